import { caseDueAt, clockView, dueTimerEvents, nextWakeAt } from '../../domain/sla';
import { actors, parseTemplate, rejectionOf, T0, TestCase } from './helpers';

const hour = 3_600_000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

// T0 (2026-01-05) is a Monday 09:00 UTC.
const template = parseTemplate({
  key: 'claims',
  name: 'Claims',
  roles: ['agent', 'lead'],
  inactivity: '5d',
  stages: [
    {
      key: 'triage',
      sla: {
        goal: '2h',
        deadline: '4h',
        escalations: [
          { after: '1h', every: '1h', times: 3, do: [] },
          { after: '30m', do: [] },
        ],
      },
    },
    { key: 'assess', sla: { deadline: '1 business day' }, tasks: [{ key: 'call', title: 'Call the client', due: '1h' }] },
    { key: 'done', terminal: true },
  ],
});

const startCase = () => new TestCase(template, {}, 'CLM-1');
const types = (c: TestCase, now: string) => dueTimerEvents(c.state, template, now).map((d) => d.type);

describe('stage SLA clocks', () => {
  test('entering a stage starts its clock from that moment', () => {
    const c = startCase();
    expect(c.events.find((e) => e.type === 'sla.started')?.data).toEqual({ stage: 'triage', goalAt: at(2 * hour), deadlineAt: at(4 * hour) });
    expect(nextWakeAt(c.state, template)).toBe(at(2 * hour));
  });

  test('goal, deadline and escalation levels come due in order, each once', () => {
    const c = startCase();
    expect(types(c, at(2 * hour - 1))).toEqual([]);
    expect(types(c, at(2 * hour))).toEqual(['sla.goal_missed']);
    c.record(dueTimerEvents(c.state, template, at(2 * hour)));
    expect(types(c, at(2 * hour))).toEqual([]);
    expect(nextWakeAt(c.state, template)).toBe(at(4 * hour));

    c.record(dueTimerEvents(c.state, template, at(4 * hour)));
    expect(c.events.at(-1)?.type).toBe('sla.deadline_missed');
    // Escalation 1 (after 30m) comes before escalation 0 (after 1h).
    expect(nextWakeAt(c.state, template)).toBe(at(4.5 * hour));
    const levels: Array<[number, number]> = [];
    for (const now of [4.5, 5, 6, 7, 8, 9].map((h) => at(h * hour))) {
      const drafts = dueTimerEvents(c.state, template, now);
      for (const e of c.record(drafts)) if (e.type === 'sla.escalated') levels.push([e.data.escalation, e.data.level]);
    }
    // Escalation 0 repeats every hour up to 3 times; escalation 1 fires once; levels count across both.
    expect(levels).toEqual([[1, 1], [0, 2], [0, 3], [0, 4]]);
    expect(nextWakeAt(c.state, template)).toBe(at(5 * 24 * hour + 0)); // only inactivity left (from the start)
  });

  test('leaving the stage cancels its clock; re-entering starts a new one', () => {
    const c = startCase();
    c.ok({ type: 'advance', to: 'assess' });
    expect(types(c, at(10 * hour))).not.toContain('sla.goal_missed');
    c.wait(30 * 60_000);
    c.ok({ type: 'advance', to: 'triage', reason: 'missing info' });
    const started = c.events.filter((e) => e.type === 'sla.started');
    expect(started).toHaveLength(3);
    const enteredAt = c.events.at(-1)!.at;
    expect(started.at(-1)?.data).toMatchObject({ stage: 'triage', goalAt: new Date(Date.parse(enteredAt) + 2 * hour).toISOString() });
  });

  test('a business-day deadline is computed on the calendar', () => {
    const c = startCase();
    c.wait(7 * hour); // Monday 16:00-ish
    c.ok({ type: 'advance', to: 'assess' });
    const enteredAt = Date.parse(c.events.find((e) => e.type === 'stage.entered' && e.stage === 'assess')!.at);
    const deadline = c.state.clock!.deadlineAt!;
    // 8 working hours from Monday ~16:0x: one hour on Monday, seven on Tuesday.
    expect(Date.parse(deadline) - enteredAt).toBe(24 * hour);
  });

  test('pausing stops the clock: paused time does not count, and nothing fires while paused', () => {
    const c = startCase();
    c.wait(60 * 60_000);
    c.ok({ type: 'pauseClock', reason: 'waiting on the client' });
    const pausedAt = c.state.clock!.pausedAt!;
    expect(c.state.clock!.deadlineRemainingMs).toBe(Date.parse(at(4 * hour)) - Date.parse(pausedAt));
    expect(types(c, at(10 * hour))).toEqual([]);
    expect(rejectionOf(c.decide({ type: 'pauseClock', reason: 'again' })).code).toBe('clock_paused');
    expect(clockView(c.state, at(10 * hour))).toMatchObject({ paused: true, overdueMs: 0 });

    c.wait(3 * hour);
    c.ok({ type: 'resumeClock' });
    const resumedAt = c.events.at(-1)!.at;
    const pausedFor = Date.parse(resumedAt) - Date.parse(pausedAt);
    expect(c.state.clock!.deadlineAt).toBe(new Date(Date.parse(at(4 * hour)) + pausedFor).toISOString());
    expect(c.state.clock!.pausedMs).toBe(pausedFor);
    expect(rejectionOf(c.decide({ type: 'resumeClock' })).code).toBe('clock_not_paused');
  });

  test('re-targeting moves the deadline; misses and escalations count afresh', () => {
    const c = startCase();
    c.record(dueTimerEvents(c.state, template, at(4 * hour)));
    expect(c.state.clock!.deadlineMissed).toBe(true);
    c.wait(5 * hour);
    c.ok({ type: 'changeDeadline', deadlineAt: at(12 * hour), reason: 'client asked for more time' });
    expect(c.events.at(-1)?.data).toMatchObject({ from: at(4 * hour), to: at(12 * hour) });
    expect(c.state.clock).toMatchObject({ deadlineAt: at(12 * hour), deadlineMissed: false, escalated: [] });
    expect(types(c, at(11 * hour))).toEqual([]);
    expect(types(c, at(12 * hour))).toEqual(['sla.deadline_missed']);
    expect(rejectionOf(c.decide({ type: 'changeDeadline', deadlineAt: at(12 * hour), reason: 'same' })).code).toBe('no_change');
    // The same instant written with another offset is no change either: a retried request re-fires nothing.
    const sameInstant = new Date(Date.parse(at(12 * hour)) + 3_600_000).toISOString().replace('Z', '+01:00');
    expect(rejectionOf(c.decide({ type: 'changeDeadline', deadlineAt: sameInstant, reason: 'retry' })).code).toBe('no_change');
  });

  test('escalation levels count afresh from a re-targeted deadline', () => {
    const c = startCase();
    c.record(dueTimerEvents(c.state, template, at(4 * hour)));
    c.record(dueTimerEvents(c.state, template, at(4.5 * hour)));
    expect(c.state.clock!.level).toBe(1);
    c.ok({ type: 'changeDeadline', deadlineAt: at(20 * hour), reason: 'more time' });
    c.record(dueTimerEvents(c.state, template, at(20 * hour)));
    const [first] = dueTimerEvents(c.state, template, at(20.5 * hour));
    expect(first).toMatchObject({ type: 'sla.escalated', data: { level: 1, escalation: 1 } });
  });

  test('pausing after a missed deadline holds its escalations back by the paused time', () => {
    const c = startCase();
    c.record(dueTimerEvents(c.state, template, at(4 * hour)));
    c.wait(4 * hour + 10 * 60_000); // past the deadline, before the first escalation (4.5 h)
    c.ok({ type: 'pauseClock', reason: 'client on holiday' });
    c.wait(10 * hour);
    c.ok({ type: 'resumeClock' });
    const resumedAt = Date.parse(c.events.at(-1)!.at);
    // Nothing is due the moment the clock resumes: the deadline moved out by the pause.
    expect(dueTimerEvents(c.state, template, new Date(resumedAt).toISOString())).toEqual([]);
    expect(Date.parse(nextWakeAt(c.state, template)!)).toBeGreaterThan(resumedAt);
  });

  test('a stage without an SLA has no clock to change', () => {
    const c = startCase();
    c.ok({ type: 'advance', to: 'assess' });
    c.ok({ type: 'advance', to: 'done' });
    expect(rejectionOf(c.decide({ type: 'pauseClock', reason: 'x' })).code).toBe('no_clock');
  });

  test('tasks past their due date become overdue once; the case due date is the earliest deadline', () => {
    const c = startCase();
    c.ok({ type: 'advance', to: 'assess' });
    const task = Object.values(c.state.tasks)[0]!;
    expect(caseDueAt(c.state)).toBe(task.dueAt);
    const due = dueTimerEvents(c.state, template, task.dueAt!);
    expect(due).toEqual([{ type: 'task.overdue', data: { taskId: task.taskId, dueAt: task.dueAt } }]);
    c.record(due);
    expect(dueTimerEvents(c.state, template, task.dueAt!)).toEqual([]);
    c.ok({ type: 'completeTask', taskId: task.taskId });
    expect(caseDueAt(c.state)).toBe(c.state.clock!.deadlineAt);
  });

  test('inactivity marks the case stalled once, and activity clears it', () => {
    const c = startCase();
    c.ok({ type: 'advance', to: 'assess' });
    c.ok({ type: 'completeTask', taskId: 'T-1' });
    const last = c.state.lastActivityAt;
    const stalledAt = new Date(Date.parse(last) + 5 * 24 * hour).toISOString();
    expect(nextWakeAt(c.state, template)).toBe(c.state.clock!.deadlineAt);
    c.record(dueTimerEvents(c.state, template, c.state.clock!.deadlineAt!));
    expect(nextWakeAt(c.state, template)).toBe(stalledAt);
    c.record(dueTimerEvents(c.state, template, stalledAt));
    expect(c.events.at(-1)).toMatchObject({ type: 'case.stalled', data: { lastActivityAt: last, inactivity: '5d' } });
    expect(c.state.stalledAt).not.toBeNull();
    expect(dueTimerEvents(c.state, template, at(100 * 24 * hour))).toEqual([]);
    c.ok({ type: 'comment', text: 'back on it' }, actors.admin);
    expect(c.state.stalledAt).toBeNull();
  });

  test('closed cases keep no time', () => {
    const c = startCase();
    c.ok({ type: 'close', reason: 'withdrawn' });
    expect(nextWakeAt(c.state, template)).toBeUndefined();
    expect(dueTimerEvents(c.state, template, at(100 * hour))).toEqual([]);
    expect(caseDueAt(c.state)).toBeNull();
  });
});
