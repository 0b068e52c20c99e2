import { applyDrafts } from '../../domain/case-state';
import { commandBudgetProblem, keepProcessed, keepRecent, projectionBatch } from '../../domain/budgets';
import type { CaseEvent } from '../../domain/events';
import { BYTES, COUNT, PROCESSED_REQUESTS, RECENT_EVENTS, TEXT, jsonBytes } from '../../domain/limits';
import { actors, onboardingInput, parseTemplate, rejectionOf, TestCase } from './helpers';

const template = parseTemplate(onboardingInput);
const start = { fields: { fullName: 'John Doe', skills: ['ts'] } };

function comment(seq: number, text: string): CaseEvent {
  return { seq, at: '2026-01-01T00:00:00.000Z', actor: actors.admin, stage: 'documentation', type: 'comment.added', data: { commentId: `C-${seq}`, text, mentions: [] } };
}

describe('per-case counts', () => {
  test('decisions, tasks, participants and versions stop at their limits with limit_exceeded', () => {
    const c = new TestCase(template, start);
    for (let i = 0; i < COUNT.decisionsPerCase; i++) c.ok({ type: 'recordDecision', decision: 'go', justification: `reason ${i}` });
    expect(rejectionOf(c.decide({ type: 'recordDecision', decision: 'go', justification: 'one more' }))).toMatchObject({ code: 'limit_exceeded' });

    for (let i = Object.keys(c.state.tasks).length; i < COUNT.tasksPerCase; i++) c.ok({ type: 'createTask', title: `task ${i}` });
    expect(rejectionOf(c.decide({ type: 'createTask', title: 'one more' }))).toMatchObject({ code: 'limit_exceeded' });

    for (let i = Object.keys(c.state.participants).length; i < COUNT.participantsPerCase; i++) {
      c.ok({ type: 'addParticipant', participant: { kind: 'internal', role: 'hr', name: `User ${i}`, userId: `u${i}` } });
    }
    const extra = { type: 'addParticipant' as const, participant: { kind: 'internal' as const, role: 'hr', name: 'Extra', userId: 'extra' } };
    expect(rejectionOf(c.decide(extra))).toMatchObject({ code: 'limit_exceeded' });
    // Removing one makes room again: the limit is on what the case holds, not on history.
    c.ok({ type: 'removeParticipant', participantId: 'P-1' });
    expect(c.decide(extra).ok).toBe(true);

    for (let i = 0; i < COUNT.versionsPerSlot; i++) c.uploadDocument('contract');
    expect(() => c.uploadDocument('contract')).toThrow(/limit_exceeded/);
  });

  test('a field change with more keys than allowed is refused without checking each key', () => {
    const c = new TestCase(template, start);
    const values = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`unknown${i}`, 'x']));
    const rejection = rejectionOf(c.decide({ type: 'setFields', values }));
    expect(rejection.code).toBe('invalid_fields');
    expect(rejection.errors?.length).toBe(1);
    expect(JSON.stringify(rejection).length).toBeLessThan(500);
  });
});

describe('commandBudgetProblem', () => {
  test('refuses a command that would grow the state past its budget, not one that shrinks it', () => {
    const c = new TestCase(template, start);
    const justification = '字'.repeat(TEXT.justification);
    let refusedAt = -1;
    for (let i = 0; i < 40; i++) {
      const decision = c.decide({ type: 'recordDecision', decision: 'go', justification });
      if (!decision.ok) throw new Error('decide refused');
      const applied = applyDrafts(c.state, decision.events, actors.admin, c.peek());
      const problem = commandBudgetProblem(c.state, applied.state, applied.events);
      if (problem) {
        expect(problem.code).toBe('limit_exceeded');
        expect(jsonBytes(applied.state)).toBeGreaterThan(BYTES.state);
        refusedAt = i;
        break;
      }
      c.ok({ type: 'recordDecision', decision: 'go', justification });
    }
    expect(refusedAt).toBeGreaterThan(0);
    expect(jsonBytes(c.state)).toBeLessThanOrEqual(BYTES.state);
  });

  test('refuses a command whose events are over the per-command budget', () => {
    const c = new TestCase(template, start);
    const events = [comment(99, '字'.repeat(BYTES.eventsPerCommand / 3 + 10))];
    expect(commandBudgetProblem(c.state, c.state, events)).toMatchObject({ code: 'limit_exceeded' });
  });
});

describe('what the workflow carries stays within its budgets', () => {
  test('recent events: by count and by bytes, newest kept', () => {
    const small = Array.from({ length: 300 }, (_, i) => comment(i + 1, 'hi'));
    expect(keepRecent(small).map((e) => e.seq)).toEqual(small.slice(-RECENT_EVENTS).map((e) => e.seq));
    const big = Array.from({ length: 20 }, (_, i) => comment(i + 1, '字'.repeat(TEXT.comment)));
    const kept = keepRecent(big);
    expect(jsonBytes(kept)).toBeLessThanOrEqual(BYTES.recentEvents);
    expect(kept.at(-1)?.seq).toBe(20);
    expect(kept.length).toBeGreaterThan(0);
  });

  test('processed request ids: by count and by bytes', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => ({ requestId: `r-${i}`.padEnd(200, 'x'), firstSeq: i, lastSeq: i }));
    const kept = keepProcessed(ids);
    expect(kept.length).toBeLessThanOrEqual(PROCESSED_REQUESTS);
    expect(jsonBytes(kept)).toBeLessThanOrEqual(BYTES.processedRequests);
    expect(kept.at(-1)?.lastSeq).toBe(4999);
  });

  test('projection batches: by bytes, at least one event', () => {
    const big = Array.from({ length: 100 }, (_, i) => comment(i + 1, '字'.repeat(TEXT.comment)));
    const batch = projectionBatch(big);
    expect(batch.length).toBeGreaterThan(0);
    expect(jsonBytes(batch)).toBeLessThanOrEqual(BYTES.projectionBatch);
    expect(batch.map((e) => e.seq)).toEqual(big.slice(0, batch.length).map((e) => e.seq));
    expect(projectionBatch([comment(1, 'x'.repeat(BYTES.projectionBatch))])).toHaveLength(1);
  });

  test('the continue-as-new input and an update result are far under 2 MiB by construction', () => {
    const carried = BYTES.template + BYTES.state + BYTES.recentEvents + BYTES.backlogHard + BYTES.processedRequests + BYTES.pendingEffects;
    expect(carried).toBeLessThan(1.25 * 2 ** 20);
    expect(BYTES.state + BYTES.eventsPerCommand + BYTES.command).toBeLessThan(2 ** 20);
  });
});
