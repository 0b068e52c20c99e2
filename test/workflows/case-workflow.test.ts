import { WorkflowUpdateFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { CaseClient } from '../../api/case-client';
import type { Actor } from '../../domain/actor';
import type { CommandRequest } from '../../domain/commands';
import { publishTemplate } from '../../db/templates';
import { getTimeline } from '../../db/read-model';
import type { PublishedTemplate } from '../../domain/template';
import { validateTemplate } from '../../domain/template-validation';
import { CASE_INPUT_VERSION, caseViewQuery, caseWorkflowId, commandSignal, commandUpdate, recentTimelineQuery, type CaseWorkflowInput } from '../../workflows/messages';
import { CaseStage, CaseStatus } from '../../workflows/search-attributes';
import { payloadCodecOf } from '../../temporal/data-converter';
import { recordHistory } from '../support/histories';
import { testTemporalAddress } from '../support/temporal';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

const EventType = temporal.api.enums.v1.EventType;

let stack: TestStack;
let template: PublishedTemplate;
let counter = 0;
const hr: Actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' };

beforeAll(async () => {
  stack = await startTestStack({ archiveAfterMs: 1500 });
  const validation = validateTemplate(onboardingTemplate());
  if (!validation.ok) throw new Error('example template invalid');
  template = await publishTemplate(stack.db, { definition: validation.template, publishedBy: 'test' });
});
afterAll(() => stack?.close());

/** A case started as `stack.cases` starts it, without search attributes; `input` adds to its workflow input. */
async function startCase(fields: Record<string, unknown> = { fullName: 'Jane Doe' }, input: Partial<CaseWorkflowInput> = {}) {
  const caseKey = `WF-${++counter}${Date.now() % 100000}`;
  const opened = await stack.cases.open(
    {
      caseKey,
      template,
      start: { title: 'Workflow test', templateKey: template.key, templateVersion: template.version, fields, actor: hr },
      archiveAfterMs: 1500,
      ...input,
    },
    [],
  );
  return { caseKey, opened, handle: stack.client.workflow.getHandle(caseWorkflowId(caseKey)) };
}

const command = (c: CommandRequest['command'], extra: Partial<CommandRequest> = {}): CommandRequest => ({ actor: hr, command: c, ...extra });

async function historyEventTypes(workflowId: string): Promise<string[]> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => String(e.eventType));
}

test('a refused update leaves no trace in history; the case view says why', async () => {
  const { caseKey, handle } = await startCase();
  const { lastSeq } = await handle.query(caseViewQuery);
  // Wait until the projection activity has run and history is quiet.
  await eventually(async () => (await getTimeline(stack.db, caseKey, {})).items.length === lastSeq);
  let before: string[] = [];
  await eventually(async () => {
    const now = await historyEventTypes(handle.workflowId);
    const stable = now.length === before.length;
    before = now;
    return stable;
  });
  const err = await handle.executeUpdate(commandUpdate, { args: [command({ type: 'advance', to: 'review' })] }).catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  expect(err.cause.details[0]).toMatchObject({ code: 'transition_not_allowed', missing: { fields: ['startDate', 'contractType'] } });
  const after = await historyEventTypes(handle.workflowId);
  expect(after.filter((t) => /UPDATE/.test(t))).toEqual([]);
  expect(after).toEqual(before);
  expect((await handle.query(caseViewQuery)).lastSeq).toBe(lastSeq);
});

test('malformed and refused signals become command.rejected events, never failed workflow tasks', async () => {
  const { caseKey, handle } = await startCase();
  await handle.signal(commandSignal, { actor: hr, command: { type: 'advance', to: 'review' }, requestId: 'sig-1' });
  await handle.signal(commandSignal, { nonsense: true } as unknown as CommandRequest);
  await handle.signal(commandSignal, { actor: hr, command: { type: 'comment', text: 'fine' }, requestId: 'sig-2' });
  await handle.signal(commandSignal, { actor: hr, command: { type: 'comment', text: 'fine' }, requestId: 'sig-2' });
  const recent = await eventually(async () => {
    const events = await handle.query(recentTimelineQuery, 100);
    return events.filter((e) => e.type === 'command.rejected' || e.type === 'comment.added').length === 3 ? events : undefined;
  });
  const rejected = recent.filter((e) => e.type === 'command.rejected');
  expect(rejected.map((e) => e.data)).toEqual([
    { command: 'advance', code: 'transition_not_allowed', detail: expect.stringContaining('missing fields'), requestId: 'sig-1' },
    { command: 'unknown', code: 'invalid_command', detail: 'the command is malformed' },
  ]);
  expect(recent.filter((e) => e.type === 'comment.added')).toHaveLength(1);
  const types = await historyEventTypes(handle.workflowId);
  expect(types.some((t) => /WORKFLOW_TASK_FAILED/.test(t))).toBe(false);
  const projected = await eventually(async () => {
    const page = await getTimeline(stack.db, caseKey, { types: ['command.rejected'] });
    return page.items.length === 2 ? page.items : undefined;
  });
  expect(projected[0]!.actor.id).toBe('hana');
});

test('what is left to a caller that never writes it reaches the read model through the workflow, after the grace', async () => {
  // A client that writes nothing to the read model: an API that crashed between the answer and its write.
  const forgetful = new CaseClient(stack.client, stack.taskQueue);
  const caseKey = `WF-LOST-${Date.now() % 100000}`;
  const opened = await forgetful.open(
    { caseKey, template, start: { title: 'Lost writes', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Jane Doe' }, actor: hr } },
    [],
  );
  const answer = await forgetful.execute(caseKey, command({ type: 'comment', text: 'left to the caller' }));
  expect(answer.project).toBe(true);
  const lastSeq = answer.events.at(-1)!.seq;
  expect(lastSeq).toBeGreaterThan(opened.lastSeq);
  const timeline = await eventually(async () => {
    const page = await getTimeline(stack.db, caseKey, {});
    return page.items.length === lastSeq && page.items;
  }, 20_000, 'the workflow to project what the caller did not');
  expect(timeline.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
  expect(timeline.at(-1)).toMatchObject({ type: 'comment.added', data: { text: 'left to the caller' } });
  // By the grace timer, once for the opening and the command together: one projection, not one per command.
  const types = await historyEventTypes(caseWorkflowId(caseKey));
  expect(types.filter((t) => t === String(EventType.EVENT_TYPE_TIMER_FIRED))).toHaveLength(1);
  expect(types.filter((t) => t === String(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))).toHaveLength(1);
});

test('a caller whose write failed tells the case, which writes at once rather than after its grace', async () => {
  // Every write of this client fails (a database that refused it): it signals the case instead.
  const failing = new CaseClient(stack.client, stack.taskQueue, { projectAnswer: async () => false });
  const caseKey = `WF-TOLD-${Date.now() % 100000}`;
  await failing.open(
    {
      caseKey,
      template,
      start: { title: 'Failed writes', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Jane Doe' }, actor: hr },
      // Far longer than the test: only the signal can have the events written.
      callerGraceMs: 10 * 60_000,
      caseRun: true,
    },
    [],
  );
  const answer = await failing.execute(caseKey, command({ type: 'comment', text: 'the write failed' }));
  const lastSeq = answer.events.at(-1)!.seq;
  const timeline = await eventually(async () => {
    const page = await getTimeline(stack.db, caseKey, {});
    return page.items.length === lastSeq && page.items;
  }, 20_000, 'the workflow to write what its caller could not');
  expect(timeline.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
  const history = (await stack.client.workflow.getHandle(caseWorkflowId(caseKey)).fetchHistory()).events ?? [];
  const signals = history.flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
  expect(signals).toEqual(['projectBacklog', 'projectBacklog']);
  expect(history.some((e) => e.timerFiredEventAttributes)).toBe(false);
  await recordHistory(testTemporalAddress(), caseWorkflowId(caseKey), undefined, 'started-caller-write-failed');
});

test('search attributes follow the stage and status', async () => {
  const { handle } = await startCase({ fullName: 'A', startDate: '2027-01-01', contractType: 'employee' });
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'advance', to: 'review' })] });
  const described = await eventually(async () => {
    const d = await handle.describe();
    return d.typedSearchAttributes.get(CaseStage) === 'review' ? d : undefined;
  });
  expect(described.typedSearchAttributes.get(CaseStatus)).toBe('open');
  expect(await described.staticSummary()).toContain('Workflow test');
  const listed = await eventually(async () => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `CaseStage = 'review' AND WorkflowId = '${handle.workflowId}'` })) ids.push(wf.workflowId);
    return ids.length === 1 ? ids : undefined;
  });
  expect(listed).toEqual([handle.workflowId]);
});

test('stage moves in a burst upsert search attributes once, then the latest values once the interval has passed', async () => {
  const fields = { fullName: 'A', startDate: '2027-01-01', contractType: 'employee' };
  const burst = async (extra: { attributesEveryMs?: number }) => {
    // Started without search attributes: the first task upserts them (a change after a quiet spell: at once).
    const { handle } = await startCase(fields, { caseRun: true, waitsForUpdates: true, ...extra });
    // review, documentation, review: each changes the stage, the last differs from the upserted one.
    for (let i = 0; i < 3; i++) {
      const c = i % 2 === 0 ? command({ type: 'advance', to: 'review' }) : command({ type: 'advance', to: 'documentation', reason: 'back again' });
      await handle.executeUpdate(commandUpdate, { args: [c] });
    }
    const upserts = async () => ((await handle.fetchHistory()).events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length;
    return { handle, upserts };
  };
  // Held: the three moves (well within 1.5 s of the first upsert) as one upsert of the last, once the interval is over.
  const held = await burst({ attributesEveryMs: 1500 });
  expect(await held.upserts()).toBe(1);
  await eventually(async () => (await held.upserts()) === 2, 10_000, 'the held attributes upserted');
  await eventually(async () => (await held.handle.describe()).typedSearchAttributes.get(CaseStage) === 'review', 10_000, 'the latest stage in visibility');
  await recordHistory(testTemporalAddress(), held.handle.workflowId, undefined, 'started-attributes-held');
  // Runs started without the interval upsert every change at once.
  const plain = await burst({});
  expect(await plain.upserts()).toBe(4);
});

/** The events of a case's search-attributes timer (told from its other timers by its label in the Temporal UI): started, cancelled, fired. */
async function attributesTimerEvents(handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }) {
  const events = (await handle.fetchHistory()).events ?? [];
  const ids = new Set<string>();
  for (const e of events) {
    const summary = e.userMetadata?.summary;
    if (!e.timerStartedEventAttributes || !summary) continue;
    const [decoded] = await payloadCodecOf(stack.config).decode([summary]);
    if (Buffer.from(decoded!.data ?? new Uint8Array()).toString('utf8').includes('search attributes')) ids.add(e.timerStartedEventAttributes.timerId!);
  }
  const of = (id: string | null | undefined) => id !== undefined && id !== null && ids.has(id);
  return {
    started: ids.size,
    cancelled: events.filter((e) => of(e.timerCanceledEventAttributes?.timerId)).length,
    fired: events.filter((e) => of(e.timerFiredEventAttributes?.timerId)).length,
    upserts: events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length,
  };
}

test('since version 6, the first command after the interval upserts held search attributes, and their timer is cancelled rather than fired', async () => {
  const fields = { fullName: 'A', startDate: '2027-01-01', contractType: 'employee' };
  const everyMs = 2000;
  // (Events its callers leave wait 10 minutes: no projection's task comes to take the held change along.)
  const { handle } = await startCase(fields, { inputVersion: CASE_INPUT_VERSION, caseRun: true, waitsForUpdates: true, attributesEveryMs: everyMs, callerGraceMs: 10 * 60_000 });
  const startedAt = Date.now();
  // Upserted by the first task; this move, within the interval, is held (its timer set an interval after the interval).
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'advance', to: 'review' })] });
  expect(await attributesTimerEvents(handle)).toEqual({ started: 1, cancelled: 0, fired: 0, upserts: 1 });
  // After the interval, before that timer: a comment (which changes no attribute) takes the held move along.
  await new Promise((r) => setTimeout(r, Math.max(0, startedAt + everyMs * 1.25 - Date.now())));
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'comment', text: 'after the interval' })] });
  expect(await attributesTimerEvents(handle)).toEqual({ started: 1, cancelled: 1, fired: 0, upserts: 2 });
  await eventually(async () => (await handle.describe()).typedSearchAttributes.get(CaseStage) === 'review', 10_000, 'the held stage in visibility');
  // Past the cancelled timer's instant: it never fired, so it cost no workflow task of its own.
  await new Promise((r) => setTimeout(r, Math.max(0, startedAt + everyMs * 2.5 - Date.now())));
  expect((await attributesTimerEvents(handle)).fired).toBe(0);
  // A case that goes quiet with a change held still upserts it, by the timer: a move after a quiet
  // spell is upserted at once, the move back right after it is held, and no command follows.
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'advance', to: 'documentation', reason: 'back again' })] });
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'advance', to: 'review' })] });
  expect(await attributesTimerEvents(handle)).toEqual({ started: 2, cancelled: 1, fired: 0, upserts: 3 });
  await eventually(async () => (await attributesTimerEvents(handle)).upserts === 4, 15_000, 'the quiet case upserted by its timer');
  expect(await attributesTimerEvents(handle)).toEqual({ started: 2, cancelled: 1, fired: 1, upserts: 4 });
  await eventually(async () => (await handle.describe()).typedSearchAttributes.get(CaseStage) === 'review', 10_000, 'the latest stage in visibility');
  await recordHistory(testTemporalAddress(), handle.workflowId, undefined, 'started-attributes-flushed-with-command');
}, 60_000);

test('events their caller says it has written (`written`) are not written by the case again', async () => {
  const burst = async (inputVersion: number, sendWritten: boolean) => {
    const { opened, handle } = await startCase(undefined, { inputVersion, caseRun: true, waitsForUpdates: true, callerGraceMs: 10 * 60_000 });
    let written = opened.lastSeq;
    const answers = [];
    // ~60 KiB of comments: past the 32 KiB after which a case writes what its callers left.
    for (let i = 0; i < 24; i++) {
      const answer = await handle.executeUpdate(commandUpdate, { args: [command({ type: 'comment', text: `${i} ${'x'.repeat(2500)}` }, sendWritten ? { written } : {})] });
      answers.push(answer);
      written = answer.events.at(-1)!.seq;
    }
    const history = (await handle.fetchHistory()).events ?? [];
    return { answers, workflowId: handle.workflowId, activities: history.filter((e) => e.activityTaskScheduledEventAttributes).length };
  };
  const taking = await burst(CASE_INPUT_VERSION, true);
  expect(taking.answers.every((a) => a.takesWritten === true)).toBe(true);
  expect(taking.activities).toBe(0);
  await recordHistory(testTemporalAddress(), taking.workflowId, undefined, 'started-written-acknowledged');
  // Without it, or in a run started before version 5 (which ignores it, as it was recorded), the case writes them.
  expect((await burst(CASE_INPUT_VERSION, false)).activities).toBeGreaterThan(0);
  const older = await burst(4, true);
  expect(older.answers.some((a) => a.takesWritten)).toBe(false);
  expect(older.activities).toBeGreaterThan(0);
});

test('a run whose input is newer than the worker\'s code fails its workflow task, not the case, until a newer worker takes it', async () => {
  const caseKey = `WF-NEWER-${Date.now() % 100000}`;
  const handle = await stack.client.workflow.start('caseWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: caseWorkflowId(caseKey),
    args: [{ caseKey, inputVersion: CASE_INPUT_VERSION + 1, template, start: { title: 'From a newer API', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Jane Doe' }, actor: hr }, caseRun: true }],
  });
  const encoded = await eventually(async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    return events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.encodedAttributes ?? undefined;
  }, 10_000, 'the workflow task to fail');
  // Failure messages are encrypted in history (payload codec): decoded, they say why.
  const [decoded] = await payloadCodecOf(stack.config).decode([encoded]);
  const failure = Buffer.from(decoded!.data ?? new Uint8Array()).toString('utf8');
  expect(failure).toContain(`version ${CASE_INPUT_VERSION + 1}`);
  expect(failure).toContain('upgrade the workers');
  // Nothing was recorded for the case, which is still running: a newer worker would take it from the start.
  const description = await handle.describe();
  expect(description.status.name).toBe('RUNNING');
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.some((e) => e.workflowTaskCompletedEventAttributes)).toBe(false);
  await handle.terminate('test over');
});

test('a closed case stays reopenable, then completes once its retention passes', async () => {
  const { caseKey, handle } = await startCase();
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'close', reason: 'duplicate case' })] }).catch(async (e) => {
    const hist = await handle.fetchHistory();
    for (const ev of hist.events ?? []) if (ev.workflowTaskFailedEventAttributes) console.log(ev.workflowTaskFailedEventAttributes.failure?.message, ev.workflowTaskFailedEventAttributes.failure?.stackTrace);
    throw e;
  });
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'reopen', reason: 'not a duplicate' })] });
  await handle.executeUpdate(commandUpdate, { args: [command({ type: 'cancel', reason: 'withdrawn' })] });
  const final = await handle.result();
  expect(final.status).toBe('cancelled');
  // the read model saw every event before the workflow completed
  const page = await getTimeline(stack.db, caseKey, {});
  expect(page.items.map((e) => e.seq)).toEqual(Array.from({ length: final.lastSeq }, (_, i) => i + 1));
  // an archived case refuses commands with a clear answer
  const res = await stack
    .http()
    .post(`/v1/cases/${caseKey}/reopen`)
    .set({ Authorization: `Bearer ${stack.tokens.hr}` })
    .send({ reason: 'too late' });
  expect(res.status).toBe(409);
  expect(res.body.code).toBe('case_archived');
  // …and to one who may not see it, the same answer as a case that never existed
  const hidden = await stack.http().post(`/v1/cases/${caseKey}/reopen`).set({ Authorization: `Bearer ${stack.tokens.outsider}` }).send({ reason: 'too late' });
  expect([hidden.status, hidden.body.code, hidden.body.detail]).toEqual([404, 'case_not_found', `No case ${caseKey}`]);

  await recordHistory(testTemporalAddress(), handle.workflowId, undefined, 'case-closed-reopened-cancelled');


});
