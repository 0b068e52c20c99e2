import { projectCase } from '../../db/read-model';
import { getPinnedDefinition } from '../../db/templates';
import { startTestStack, eventually, type TestStack } from '../support/stack';
import { emailOnReviewTemplate, onboardingTemplate } from '../support/templates';
import { getLatestTemplate, toPublishedTemplate } from '../../db/templates';
import { applyDrafts, emptyState, foldEvents } from '../../domain/case-state';
import { toCaseView } from '../../domain/case-view';
import { decideStart } from '../../domain/decide';
import { caseWorkflow } from '../../workflows';
import { commandSignal, recentTimelineQuery } from '../../workflows/messages';
import { recordHistory } from '../support/histories';
import { testTemporalAddress } from '../support/temporal';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  stack = await startTestStack();
  const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate());
  expect(res.status).toBe(201);
});
afterAll(() => stack?.close());

async function startCase(title = 'Onboard Jane Doe', fields: Record<string, unknown> = { fullName: 'Jane Doe' }) {
  const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'employee-onboarding', title, fields, owner: 'hana' });
  expect(res.status).toBe(201);
  return res.body as { id: string; stage: { key: string }; lastSeq: number };
}

describe('the onboarding walkthrough', () => {
  test('refused advance says what is missing, then succeeds once fixed', async () => {
    const created = await startCase();
    expect(created.id).toMatch(/^ONB-\d+$/);
    expect(created.stage.key).toBe('documentation');

    const refused = await stack.http().post(`/v1/cases/${created.id}/advance`).set(auth(stack.tokens.hr)).send({ to: 'review' });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.code).toBe('transition_not_allowed');
    expect(refused.body.missing).toEqual({ fields: ['startDate', 'contractType'], documents: [], tasks: [] });

    const patched = await stack.http().patch(`/v1/cases/${created.id}/fields`).set(auth(stack.tokens.hr)).send({ startDate: '2027-01-04', contractType: 'employee' });
    expect(patched.status).toBe(200);
    expect(patched.body.events.map((e: { type: string }) => e.type)).toEqual(['field.changed', 'field.changed']);
    expect(patched.body.events[0].data).toEqual({ field: 'startDate', old: null, new: '2027-01-04' });

    const advanced = await stack.http().post(`/v1/cases/${created.id}/advance`).set(auth(stack.tokens.hr)).send({ to: 'review' });
    expect(advanced.status).toBe(200);
    expect(advanced.body.case.stage.key).toBe('review');
    expect(advanced.body.events.map((e: { type: string }) => e.type)).toEqual(['stage.exited', 'stage.entered']);
    expect(advanced.body.events[1].actor).toMatchObject({ id: 'hana', name: 'Hana HR' });

    const timeline = await eventually(async () => {
      const res = await stack.http().get(`/v1/cases/${created.id}/timeline`).set(auth(stack.tokens.manager));
      return res.body.items?.length === advanced.body.case.lastSeq ? res.body : undefined;
    });
    const seqs = timeline.items.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => a - b));
    expect(timeline.items.map((e: { type: string }) => e.type)).toEqual([
      'case.created',
      'stage.entered',
      'field.changed',
      // Documentation has an SLA: its clock starts as the case opens there.
      'sla.started',
      // Its document request goes to the candidate, and this case has none: the rule says so.
      'automation.ran',
      'automation.failed',
      'field.changed',
      'field.changed',
      'stage.exited',
      'stage.entered',
    ]);
  });

  test('the README walkthrough: the candidate gets a document request whose portal link works', async () => {
    const res = await stack
      .http()
      .post('/v1/cases')
      .set(auth(stack.tokens.hr))
      .send({
        template: 'employee-onboarding',
        title: 'Onboard Jane <Doe>',
        fields: { fullName: 'Jane Doe' },
        owner: 'hana',
        participants: [{ kind: 'external', role: 'candidate', name: 'Jane Doe', email: 'jane@example.com' }],
      });
    expect(res.status).toBe(201);
    expect(res.body.sla).toMatchObject({ stage: 'documentation', paused: false, deadlineMissed: false });
    const email = await eventually(async () => {
      const outbox = await stack.http().get(`/v1/outbox?caseKey=${res.body.id}`).set(auth(stack.tokens.admin));
      return outbox.body.items?.[0];
    });
    expect(email).toMatchObject({ to: ['jane@example.com'], subject: 'Documents for Onboard Jane <Doe>', status: 'outbox' });
    expect(email.html).toContain('Hello Jane Doe');
    const link = /href="[^"]*?(\/portal\/cpt_[A-Za-z0-9_-]+)"/.exec(email.html.replace(/&#x2F;/g, '/'))?.[1];
    expect(link).toBeDefined();
    const page = await stack.http().get(link!);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Onboard Jane &lt;Doe&gt;');
    const timeline = await eventually(async () => {
      const t = await stack.http().get(`/v1/cases/${res.body.id}/timeline?type=email.sent`).set(auth(stack.tokens.hr));
      return t.body.items?.length === 1 ? t.body.items : undefined;
    });
    expect(timeline[0].data).toMatchObject({ to: 'jane@example.com', delivery: 'outbox', name: 'Request documents' });
  });

  test('the full life of a case: tasks, comments, decisions, participants, back moves, close, reopen', async () => {
    const { id } = await startCase('Onboard John Roe', { fullName: 'John Roe', startDate: '2027-02-01', contractType: 'contractor' });
    const hr = auth(stack.tokens.hr);
    const it = auth(stack.tokens.it);
    const post = (path: string, body: unknown, headers = hr) => stack.http().post(`/v1/cases/${id}${path}`).set(headers).send(body as object);

    expect((await post('/advance', { to: 'review' })).status).toBe(200);
    // a skip needs a reason, and the manager may act in review
    const skip = await post('/advance', { to: 'completed' }, auth(stack.tokens.manager));
    expect([409, 422]).toContain(skip.status);
    expect((await post('/advance', { to: 'provisioning' }, auth(stack.tokens.manager))).status).toBe(200);

    const view = (await stack.http().get(`/v1/cases/${id}`).set(hr)).body;
    expect(view.tasks.map((t: { key: string }) => t.key)).toEqual(['laptop', 'accounts']);
    expect(view.stage.missing.tasks).toEqual(['laptop', 'accounts']);

    const refused = await post('/advance', { to: 'completed' }, it);
    expect(refused.status).toBe(409);
    expect(refused.body.missing.tasks).toEqual(['laptop', 'accounts']);

    expect((await post('/tasks/T-1/complete', {}, it)).status).toBe(200);
    expect((await post('/tasks/T-1/complete', {}, it)).body.code).toBe('task_already_completed');
    expect((await post('/tasks/T-9/complete', {}, it)).status).toBe(404);
    const created = await post('/tasks', { title: 'Order a badge', assignee: 'ivan', dueAt: '2027-01-30T17:00:00+01:00' }, it);
    expect(created.status).toBe(200);
    expect(created.body.events[0].data).toMatchObject({ taskId: 'T-3', assignee: 'ivan', dueAt: '2027-01-30T16:00:00.000Z', stage: 'provisioning' });
    expect((await post('/tasks/T-2/reassign', { assignee: 'ivan' }, it)).status).toBe(200);
    expect((await post('/tasks/T-2/complete', { note: 'done' }, it)).status).toBe(200);
    expect((await post('/tasks/T-2/reopen', { reason: 'missing VPN' }, it)).status).toBe(200);
    expect((await post('/tasks/T-2/complete', {}, it)).status).toBe(200);

    const comment = await post('/comments', { text: 'Laptop ready, @max please check. Mail it@example.com' }, it);
    expect(comment.body.events[0].data.mentions).toEqual(['max']);
    const decision = await post('/decisions', { decision: 'approve', justification: 'All good', options: ['approve', 'reject'] }, it);
    expect(decision.status).toBe(200);
    expect(decision.body.case.decisions[0]).toMatchObject({ decision: 'approve', by: { id: 'ivan' } });
    expect((await post('/decisions', { decision: 'maybe', justification: 'x', options: ['approve', 'reject'] }, it)).status).toBe(422);

    const participant = await post('/participants', { kind: 'external', role: 'candidate', name: 'John Roe', email: 'john@example.com' });
    expect(participant.status).toBe(200);
    expect((await post('/participants', { kind: 'external', role: 'candidate', name: 'John', email: 'JOHN@example.com' })).status).toBe(409);
    expect((await post('/participants', { kind: 'internal', role: 'buddy', name: 'Bo' })).status).toBe(422);
    const removed = await stack.http().delete(`/v1/cases/${id}/participants/P-1`).set(hr);
    expect(removed.status).toBe(200);
    expect(removed.body.case.participants).toEqual([]);

    const owner = await stack.http().put(`/v1/cases/${id}/owner`).set(hr).send({ owner: 'max' });
    expect(owner.body.case.owner).toBe('max');

    // closing outside a terminal stage needs a reason
    expect((await post('/close', {}, it)).body.code).toBe('reason_required');
    expect((await post('/advance', { to: 'completed' }, it)).status).toBe(200);
    const closed = await post('/close', undefined, hr);
    expect(closed.status).toBe(200);
    expect(closed.body.case.status).toBe('closed');
    expect((await post('/comments', { text: 'closing note' })).status).toBe(200);
    expect((await post('/tasks', { title: 'late' })).body.code).toBe('case_not_open');
    expect((await post('/reopen', { reason: 'forgot the badge' })).body.case.status).toBe('open');
    expect((await post('/advance', { to: 'provisioning' })).body.code).toBe('reason_required');
    expect((await post('/advance', { to: 'provisioning', reason: 'badge' })).status).toBe(200);
    expect((await post('/cancel', { reason: 'candidate withdrew' })).body.case.status).toBe('cancelled');
  });
});

describe('commands are validated against the live case', () => {
  test('permissions per stage: 403 for a role that may not act; 404 for one that may not even see the case', async () => {
    const { id } = await startCase();
    // The manager sees onboarding cases, but only hr acts in documentation.
    const res = await stack.http().post(`/v1/cases/${id}/tasks`).set(auth(stack.tokens.manager)).send({ title: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    // The outsider does not see it: answered exactly like a case that does not exist.
    const hidden = await stack.http().post(`/v1/cases/${id}/tasks`).set(auth(stack.tokens.outsider)).send({ title: 'x' });
    const missing = await stack.http().post('/v1/cases/ONB-999999/tasks').set(auth(stack.tokens.outsider)).send({ title: 'x' });
    expect(hidden.status).toBe(404);
    expect({ ...hidden.body, instance: undefined, detail: undefined }).toEqual({ ...missing.body, instance: undefined, detail: undefined });
    expect(hidden.body.detail).toBe(`No case ${id}`);
    // admin may act everywhere
    expect((await stack.http().post(`/v1/cases/${id}/tasks`).set(auth(stack.tokens.admin)).send({ title: 'x' })).status).toBe(200);
  });

  test('typed fields: every bad value reported, nothing changed', async () => {
    const { id, lastSeq } = await startCase();
    const res = await stack
      .http()
      .patch(`/v1/cases/${id}/fields`)
      .set(auth(stack.tokens.hr))
      .send({ startDate: '04/01/2027', contractType: 'intern', salary: 'a lot', nope: 1, fullName: null });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('invalid_fields');
    const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['fields.contractType', 'fields.fullName', 'fields.nope', 'fields.salary', 'fields.startDate']);
    const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    expect(view.lastSeq).toBe(lastSeq);
    const same = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send({ fullName: 'Jane Doe' });
    expect(same.body.code).toBe('no_change');
  });

  test('unknown stage, case, task; moves the template forbids', async () => {
    const { id } = await startCase();
    const hr = auth(stack.tokens.hr);
    expect((await stack.http().post(`/v1/cases/${id}/advance`).set(hr).send({ to: 'nowhere' })).body.code).toBe('unknown_stage');
    const forbidden = await stack.http().post(`/v1/cases/${id}/advance`).set(hr).send({ to: 'provisioning', reason: 'skip it' });
    expect(forbidden.status).toBe(409);
    expect(forbidden.body.code).toBe('transition_not_allowed');
    expect(forbidden.body.detail).toContain('only to: review');
    expect((await stack.http().get('/v1/cases/ONB-999999').set(hr)).status).toBe(404);
    expect((await stack.http().post('/v1/cases/ONB-999999/comments').set(hr).send({ text: 'hi' })).body.code).toBe('case_not_found');
    expect((await stack.http().get('/v1/cases/not-a-key').set(hr)).status).toBe(422);
    expect((await stack.http().post(`/v1/cases/${id}/tasks/T-42/complete`).set(hr).send({})).body.code).toBe('task_not_found');
  });

  test('an Idempotency-Key applies a command once', async () => {
    const { id } = await startCase();
    const send = () =>
      stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Idempotency-Key', `c-${id}`).send({ text: 'only once' });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.events.map((e: { seq: number }) => e.seq)).toEqual(first.body.events.map((e: { seq: number }) => e.seq));
    expect(second.body.case.comments).toBe(1);
  });

  test('Prefer: respond-async answers 202 after the same admission checks; a signal refused later lands on the timeline', async () => {
    const { id } = await startCase();
    const ok = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Prefer', 'respond-async').send({ text: 'async hello' });
    expect(ok.status).toBe(202);
    expect(ok.headers['preference-applied']).toBe('respond-async');
    expect(ok.body).toEqual({ accepted: true, requestId: expect.any(String), caseKey: id });
    // Sent again with its key, for a 202 or an answer: applied once; the answer carries the first one's events.
    const keyed = () => stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Idempotency-Key', 'async-once').send({ text: 'once' });
    expect((await keyed().set('Prefer', 'respond-async')).status).toBe(202);
    expect((await keyed().set('Prefer', 'respond-async')).status).toBe(202);
    const answered = await keyed();
    expect(answered.status).toBe(200);
    expect(answered.body.events).toEqual([expect.objectContaining({ type: 'comment.added', data: expect.objectContaining({ text: 'once' }) })]);
    // Refused up front, exactly as a synchronous command would be: nothing is sent.
    const bad = await stack.http().post(`/v1/cases/${id}/advance`).set(auth(stack.tokens.hr)).set('Prefer', 'respond-async').send({ to: 'review' });
    expect(bad.status).toBe(409);
    expect(bad.body).toMatchObject({ code: 'transition_not_allowed', missing: { fields: ['startDate', 'contractType'] } });
    const forbidden = await stack.http().post(`/v1/cases/${id}/advance`).set(auth(stack.tokens.manager)).set('Prefer', 'respond-async').send({ to: 'review' });
    expect(forbidden.status).toBe(403);
    // One who may not see the case is told it does not exist, before anything is signalled.
    const hidden = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.outsider)).set('Prefer', 'respond-async').send({ text: 'psst' });
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('case_not_found');
    // A signal sent around the API (the Temporal UI, another system) is checked when it arrives.
    await stack.client.workflow.getHandle(`case-${id}`).signal(commandSignal, { requestId: 'from-elsewhere', actor: { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' }, command: { type: 'advance', to: 'review' } });
    const rejected = await eventually(async () => {
      const res = await stack.http().get(`/v1/cases/${id}/timeline?type=command.rejected`).set(auth(stack.tokens.hr));
      return res.body.items?.[0];
    });
    expect(rejected.data).toMatchObject({ command: 'advance', code: 'transition_not_allowed', requestId: 'from-elsewhere' });
    const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    expect(view.stage.key).toBe('documentation');
    expect(view.comments).toBe(2);
    // Commands sent for a 202 (the commandAsync update) and a signal, for the replay test.
    await recordHistory(testTemporalAddress(), `case-${id}`, undefined, 'started-async-commands');
  });

  test('a command to an archived case says so to those who may see it, and is a 404 to others, for a 202 or not', async () => {
    const { id } = await startCase();
    // Its run gone, as after its retention: only the read model remembers the case.
    await stack.client.workflow.getHandle(`case-${id}`).terminate('archived, for the test');
    for (const prefer of [{}, { Prefer: 'respond-async' }]) {
      const comment = (token: string) => stack.http().post(`/v1/cases/${id}/comments`).set(auth(token)).set(prefer).send({ text: 'too late' });
      const seen = await comment(stack.tokens.hr);
      expect([seen.status, seen.body.code]).toEqual([409, 'case_archived']);
      const hidden = await comment(stack.tokens.outsider);
      expect([hidden.status, hidden.body.code]).toEqual([404, 'case_not_found']);
    }
  });
});

describe('the read model', () => {
  test('a case taking commands back to back leaves their events to the API, which tells it what it wrote: the case never writes them again', async () => {
    const created = await startCase('Busy case');
    // ~60 KiB of comments: without the API saying what it wrote, the case writes them again past 32 KiB.
    let lastSeq = created.lastSeq;
    for (let i = 0; i < 24; i++) {
      const res = await stack.http().post(`/v1/cases/${created.id}/comments`).set(auth(stack.tokens.hr)).send({ text: `${i} ${'y'.repeat(2500)}` });
      expect(res.status).toBe(200);
      lastSeq = res.body.case.lastSeq;
    }
    const timeline = await eventually(async () => {
      const res = await stack.http().get(`/v1/cases/${created.id}/timeline?limit=200`).set(auth(stack.tokens.hr));
      return res.body.items?.length === lastSeq && res.body.items;
    }, 10_000, 'every event in the read model');
    expect(timeline.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    const history = (await stack.client.workflow.getHandle(`case-${created.id}`).fetchHistory()).events ?? [];
    const projections = history.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'projectCase');
    expect(projections).toEqual([]);
  });
});

describe('starting cases', () => {
  test('Idempotency-Key on start returns the same case; a different body is refused', async () => {
    const body = { template: 'employee-onboarding', title: 'Idem', fields: { fullName: 'I Dem' } };
    const first = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('Idempotency-Key', 'start-1').send(body);
    const second = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('Idempotency-Key', 'start-1').send(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.lastSeq).toBe(first.body.lastSeq);
    // Answered no events the second time, the API asks the case to write what it holds (the first try may have died before its write).
    const signalled = async () => ((await stack.client.workflow.getHandle(`case-${first.body.id}`).fetchHistory()).events ?? []).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
    await eventually(async () => (await signalled()).includes('projectBacklog'), 10_000, 'the projectBacklog signal');
    const other = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('Idempotency-Key', 'start-1').send({ ...body, title: 'Other' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  test('bad starts: unknown template, missing required field, unknown property', async () => {
    const hr = auth(stack.tokens.hr);
    const unknown = await stack.http().post('/v1/cases').set(hr).send({ template: 'nope', title: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('template_not_found');
    const missing = await stack.http().post('/v1/cases').set(hr).send({ template: 'employee-onboarding', title: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ path: 'fields.fullName', message: 'is required' }]);
    const extra = await stack.http().post('/v1/cases').set(hr).send({ template: 'employee-onboarding', title: 'x', colour: 'red' });
    expect(extra.status).toBe(422);
    expect(extra.body.code).toBe('validation_failed');
  });

  test('a start no automation reacts to is decided by the API and adopted by the case: it holds exactly what its starter was told', async () => {
    const admin = auth(stack.tokens.admin);
    const hr = auth(stack.tokens.hr);
    // Fields, a participant and an SLA clock at the opening; the only automation waits for `review`.
    const quiet = {
      ...emailOnReviewTemplate('quiet-intake', 'QI'),
      fields: [{ key: 'name', type: 'text', required: true }, { key: 'amount', type: 'number' }],
      stages: [{ key: 'intake', sla: { goal: '2 days', deadline: '3 days' } }, { key: 'review' }, { key: 'done', terminal: true }],
      permissions: { view: ['hr'] },
    };
    expect((await stack.http().post('/v1/templates').set(admin).send(quiet)).status).toBe(201);
    const body = { template: 'quiet-intake', title: 'Quiet one', fields: { name: 'Q', amount: 3 }, participants: [{ kind: 'external', role: 'client', name: 'Cli Ent', email: 'client@example.com' }] };
    const started = await stack.http().post('/v1/cases').set(hr).set('Idempotency-Key', 'quiet-1').send(body);
    expect(started.status).toBe(201);
    const id: string = started.body.id;
    expect(started.body).toMatchObject({ stage: { key: 'intake' }, fields: { name: 'Q', amount: 3 }, participants: [expect.objectContaining({ name: 'Cli Ent' })], dueAt: expect.any(String) });

    // The case's own view (its workflow answers GET) and timeline are the answer's, to the millisecond.
    const live = (await stack.http().get(`/v1/cases/${id}`).set(hr)).body;
    for (const key of ['lastSeq', 'stage', 'fields', 'participants', 'createdAt', 'updatedAt', 'dueAt', 'owner', 'status'] as const) expect([key, live[key]]).toEqual([key, started.body[key]]);
    const handle = stack.client.workflow.getHandle(`case-${id}`);
    const inCase = await handle.query(recentTimelineQuery);
    const stored = (await stack.http().get(`/v1/cases/${id}/timeline`).set(hr)).body.items;
    expect(inCase.map((e: { type: string }) => e.type)).toEqual(['case.created', 'stage.entered', 'field.changed', 'field.changed', 'participant.added', 'sla.started']);
    expect(stored).toEqual(inCase);

    // One workflow task, no update, and no projection of its own: the API wrote the opening.
    const history = (await handle.fetchHistory()).events ?? [];
    expect(history.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect(history.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.activityTaskScheduledEventAttributes)).toBe(false);

    // Retried, the start answers the same case, started once. The first try might have died before
    // its write, so the case is asked to write what it holds (it does, through its projection).
    const again = await stack.http().post('/v1/cases').set(hr).set('Idempotency-Key', 'quiet-1').send(body);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(id);
    expect(again.body.lastSeq).toBe(started.body.lastSeq);
    await eventually(async () => ((await handle.fetchHistory()).events ?? []).some((e) => e.activityTaskCompletedEventAttributes), 30_000, 'the projection the retry asked for');
    expect((await stack.http().get(`/v1/cases/${id}/timeline`).set(hr)).body.items).toEqual(inCase);

    // It runs on as any case: a command, then the automation on review.
    expect((await stack.http().post(`/v1/cases/${id}/advance`).set(hr).send({ to: 'review' })).status).toBe(200);
    await eventually(async () => ((await stack.http().get(`/v1/outbox?caseKey=${id}`).set(admin)).body.items?.length ?? 0) > 0, 30_000, 'the review e-mail');
    await recordHistory(testTemporalAddress(), `case-${id}`, undefined, 'started-decided-opening');
  });

  test('an opening adopted from a start whose automations the API did not know (mid-deploy) is completed by the case, which writes what it added', async () => {
    // A key the API never allocates (its counter starts at 1), unique on a dev server kept between runs.
    const key = `ONB-9${Date.now() % 1_000_000}`;
    const latest = await getLatestTemplate(stack.db, 'employee-onboarding');
    const template = toPublishedTemplate(latest!.template);
    const actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' as const };
    const start = { title: 'Started by an older API', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Old Api' } };
    const at = new Date().toISOString();
    const decided = decideStart(template.definition, start, emptyState(''), at);
    if (!decided.ok) throw new Error(decided.rejection.detail);
    const opening = applyDrafts(emptyState(key), decided.events, actor, at).events;
    // As an API that saw no reaction would: the opening written, the case started with it.
    await projectCase(stack.db, { caseKey: key, view: toCaseView(foldEvents(key, opening), template, at), events: opening }, template.definition);
    await stack.client.workflow.start(caseWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: `case-${key}`,
      args: [{ caseKey: key, template, templateCurrent: true, start: { ...start, actor }, opening, caseRun: true }],
    });
    // The onboarding's rule on the opening (a document request to a candidate it has not got) reacts in the case.
    const timeline = await eventually(async () => {
      const items = (await stack.http().get(`/v1/cases/${key}/timeline`).set(auth(stack.tokens.hr))).body.items ?? [];
      return items.length > opening.length ? items : undefined;
    }, 30_000, 'the reaction written by the case');
    expect(timeline.slice(0, opening.length)).toEqual(opening);
    expect(timeline.slice(opening.length).map((e: { type: string }) => e.type)).toContain('automation.failed');
    const view = (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.hr))).body;
    expect(view.lastSeq).toBe(timeline.length);
  });

  test('a case pins its template version', async () => {
    const { id } = await startCase();
    const v2 = onboardingTemplate();
    (v2.stages as Array<Record<string, unknown>>)[0]!.name = 'Paperwork';
    const published = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(v2);
    expect(published.status).toBe(201);
    const old = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    expect(old.stage.name).toBe('Documentation');
    const fresh = await startCase();
    const view = (await stack.http().get(`/v1/cases/${fresh.id}`).set(auth(stack.tokens.hr))).body;
    expect(view.template.version).toBe(published.body.version);
    expect(view.stage.name).toBe('Paperwork');
  });
});

describe('lists and boards from the read model', () => {
  test('filters, search and keyset pagination; board counts', async () => {
    const key = `list-${Date.now()}`;
    const template = onboardingTemplate({ key, prefix: 'LST' });
    expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(template)).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: key, title: `Case ${i} 100%`, fields: { fullName: `Person ${i}` } });
      ids.push(res.body.id);
    }
    await stack.http().patch(`/v1/cases/${ids[0]}/fields`).set(auth(stack.tokens.hr)).send({ startDate: '2027-01-01', contractType: 'employee' });
    await stack.http().post(`/v1/cases/${ids[0]}/advance`).set(auth(stack.tokens.hr)).send({ to: 'review' });

    const inReview = await eventually(async () => {
      const res = await stack.http().get(`/v1/cases?template=${key}&stage=review`).set(auth(stack.tokens.hr));
      return res.body.items?.length === 1 ? res.body : undefined;
    });
    expect(inReview.items[0].id).toBe(ids[0]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: Array<{ id: string }>; nextCursor: string | null } } = await stack.http().get(`/v1/cases?template=${key}&limit=2${cursor ? `&cursor=${cursor}` : ''}`).set(auth(stack.tokens.hr));
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((c: { id: string }) => c.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const search = await stack.http().get(`/v1/cases?template=${key}&q=person 3`).set(auth(stack.tokens.hr));
    expect(search.body.items.map((c: { id: string }) => c.id)).toEqual([ids[3]]);
    const percent = await stack.http().get(`/v1/cases?template=${key}&q=100%25`).set(auth(stack.tokens.hr));
    expect(percent.body.items).toHaveLength(5);

    const board = await stack.http().get(`/v1/boards/${key}`).set(auth(stack.tokens.hr));
    expect(board.status).toBe(200);
    const counts = Object.fromEntries(board.body.stages.map((s: { key: string; count: number }) => [s.key, s.count]));
    expect(counts).toMatchObject({ documentation: 4, review: 1, provisioning: 0, completed: 0 });

    expect((await stack.http().get('/v1/cases?cursor=garbage').set(auth(stack.tokens.hr))).status).toBe(422);
    expect((await stack.http().get('/v1/cases?status=weird').set(auth(stack.tokens.hr))).status).toBe(422);
    expect((await stack.http().get('/v1/boards/unknown-template').set(auth(stack.tokens.hr))).status).toBe(404);
  });

  test('a case whose workflow is gone from Temporal is still served from the read model', async () => {
    const { id } = await startCase();
    const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    // An archived case whose run Temporal no longer keeps: only its projection is left.
    const archivedKey = 'ONB-777777';
    await projectCase(stack.db, { caseKey: archivedKey, view: { ...view, id: archivedKey, status: 'closed' }, events: [] }, (await getPinnedDefinition(stack.db, view.template.key, view.template.version))!);
    const res = await stack.http().get(`/v1/cases/${archivedKey}`).set(auth(stack.tokens.hr));
    expect(res.status).toBe(200);
    expect(res.headers['case-source']).toBe('read-model');
    expect(res.body).toMatchObject({ id: archivedKey, status: 'closed' });
    expect((await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).headers['case-source']).toBe('workflow');
  });

  test('timeline pages oldest first', async () => {
    const { id } = await startCase();
    for (let i = 0; i < 5; i++) await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).send({ text: `c${i}` });
    const all = await eventually(async () => {
      const res = await stack.http().get(`/v1/cases/${id}/timeline?limit=500`).set(auth(stack.tokens.hr));
      return res.body.items?.length === 11 ? res.body.items : undefined;
    });
    const page1 = await stack.http().get(`/v1/cases/${id}/timeline?limit=3`).set(auth(stack.tokens.hr));
    expect(page1.body.items.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    const page2 = await stack.http().get(`/v1/cases/${id}/timeline?limit=3&after=${page1.body.nextCursor}`).set(auth(stack.tokens.hr));
    expect(page2.body.items.map((e: { seq: number }) => e.seq)).toEqual([4, 5, 6]);
    expect(all).toHaveLength(11);
    expect((await stack.http().get('/v1/cases/ONB-999999/timeline').set(auth(stack.tokens.hr))).status).toBe(404);
  });
});
