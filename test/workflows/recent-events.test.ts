import { keepRecent } from '../../domain/budgets';
import type { CaseEvent } from '../../domain/events';
import { BYTES, RECENT_EVENTS } from '../../domain/limits';
import { RecentEvents } from '../../workflows/recent-events';

const event = (seq: number, text = 'hello'): CaseEvent =>
  ({ type: 'comment.added', data: { commentId: `C-${seq}`, text, mentions: [] }, seq, at: '2026-01-01T00:00:00.000Z', actor: { id: 'a', name: 'A', roles: [], kind: 'user' }, stage: 's' }) as CaseEvent;

test('keeps what keepRecent keeps, measuring each event once', () => {
  const recent = new RecentEvents();
  const all: CaseEvent[] = [];
  for (let seq = 1; seq <= 400; seq++) {
    // Sizes from tiny to a third of the byte budget: both the count and the byte bound bite.
    const e = event(seq, 'x'.repeat((seq * 7919) % Math.floor(BYTES.recentEvents / 3)));
    all.push(e);
    recent.push([e]);
    expect(recent.toArray().map((x) => x.seq)).toEqual(keepRecent(all).map((x) => x.seq));
  }
});

test('an event over the whole budget leaves the window empty, as keepRecent does', () => {
  const recent = new RecentEvents([event(1)]);
  recent.push([event(2, 'y'.repeat(BYTES.recentEvents + 1))]);
  expect(recent.toArray()).toEqual(keepRecent([event(1), event(2, 'y'.repeat(BYTES.recentEvents + 1))]));
});

test('answers a range of sequence numbers and the newest N (1..RECENT_EVENTS)', () => {
  const recent = new RecentEvents(Array.from({ length: 10 }, (_, i) => event(i + 1)));
  expect(recent.between(3, 5).map((e) => e.seq)).toEqual([3, 4, 5]);
  expect(recent.newest(2).map((e) => e.seq)).toEqual([9, 10]);
  expect(recent.newest(0).map((e) => e.seq)).toEqual([10]);
  expect(recent.newest().length).toBe(Math.min(10, RECENT_EVENTS));
});
