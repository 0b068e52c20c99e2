/**
 * A case as of any moment: GET /v1/cases/:id?asOf= folds the case's timeline up to the instant
 * with the workflow's own rules, and GET …/timeline?until= pages up to it. Checked against the
 * views the live case answered right after each command.
 */
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startTestStack();
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate({ key: 'as-of', prefix: 'ASO' }))).status).toBe(201);
}, 60_000);
afterAll(() => stack?.close());

/** What must match between a live view and the same moment folded: everything but the clock readings of "now". */
function comparable(view: Record<string, unknown>) {
  const { allowed: _a, asOf: _o, historical: _h, sla, ...rest } = view as { allowed?: unknown; asOf?: unknown; historical?: unknown; sla: Record<string, unknown> | null };
  const clock = sla && { stage: sla.stage, startedAt: sla.startedAt, goalAt: sla.goalAt, deadlineAt: sla.deadlineAt, paused: sla.paused, escalationLevel: sla.escalationLevel };
  const { overdue: _d, ...still } = rest as Record<string, unknown>;
  return { ...still, sla: clock };
}

test('the case as of each moment is the view it had then; the timeline pages up to it', async () => {
  const started = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'as-of', title: 'Onboard Ann', fields: { fullName: 'Ann', salary: 50_000 } });
  expect(started.status).toBe(201);
  const key = started.body.id as string;
  const moments: Array<{ at: string; view: Record<string, unknown> }> = [];
  const remember = async () => {
    // A moment strictly between this command and the next one.
    await pause(30);
    const at = new Date().toISOString();
    await pause(30);
    const view = (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.hr))).body;
    moments.push({ at, view });
  };
  await remember();
  const commands: Array<[string, string, unknown]> = [
    ['patch', 'fields', { startDate: '2027-01-04', contractType: 'employee', salary: 52_000 }],
    ['post', 'advance', { to: 'review' }],
    ['post', 'tasks', { title: 'Check references', assignee: 'max' }],
    ['post', 'comments', { text: 'Looks good @max' }],
    ['post', 'tasks/T-1/complete', {}],
    ['post', 'participants', { kind: 'internal', role: 'manager', name: 'Max', userId: 'max' }],
    ['put', 'owner', { owner: 'max' }],
    ['post', 'advance', { to: 'documentation', reason: 'Missing a page' }],
  ];
  for (const [method, path, body] of commands) {
    const res = await stack.http()[method as 'post'](`/v1/cases/${key}/${path}`).set(auth(stack.tokens.hr)).send(body as object);
    expect(res.status).toBe(200);
    await remember();
  }
  const lastSeq = moments.at(-1)!.view.lastSeq as number;
  await eventually(async () => (await stack.http().get(`/v1/cases/${key}/timeline?limit=500`).set(auth(stack.tokens.hr))).body.items?.length === lastSeq);

  for (const { at, view } of moments) {
    const then = await stack.http().get(`/v1/cases/${key}?asOf=${encodeURIComponent(at)}`).set(auth(stack.tokens.hr));
    expect(then.status).toBe(200);
    expect(then.headers['case-source']).toBe('read-model');
    expect(then.body).toMatchObject({ historical: true, asOf: at });
    expect(then.body.allowed).toBeUndefined();
    expect(comparable(then.body)).toEqual(comparable(view));
    // The timeline up to the instant ends at the view's last event.
    const page = await stack.http().get(`/v1/cases/${key}/timeline?limit=500&until=${encodeURIComponent(at)}`).set(auth(stack.tokens.hr));
    expect(page.body.items.at(-1).seq).toBe(view.lastSeq);
  }
  // Later moments differ: the fold really is of the moment asked for.
  expect(comparable(moments[0]!.view)).not.toEqual(comparable(moments.at(-1)!.view));

  // Redaction applies to the past too: IT may see the case (a view role) but not the salary.
  const asIt = await stack.http().get(`/v1/cases/${key}?asOf=${encodeURIComponent(moments[1]!.at)}`).set(auth(stack.tokens.it));
  expect(asIt.body.fields.salary).toEqual({ redacted: true });
  expect(asIt.body.fields.startDate).toBe('2027-01-04');
});

test('asOf before the case, in the future or malformed, and a case one may not see: precise answers', async () => {
  const started = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'as-of', title: 'Onboard Bo', fields: { fullName: 'Bo' } });
  const key = started.body.id as string;
  await eventually(async () => (await stack.http().get(`/v1/cases/${key}/timeline`).set(auth(stack.tokens.hr))).body.items?.length > 0);
  const ask = (asOf: string, token = stack.tokens.hr) => stack.http().get(`/v1/cases/${key}?asOf=${encodeURIComponent(asOf)}`).set(auth(token));

  const before = await ask('2020-01-01T00:00:00Z');
  expect(before.status).toBe(422);
  expect(before.body.errors).toEqual([{ path: 'asOf', message: 'is before the case was opened' }]);
  const future = await ask(new Date(Date.now() + 3_600_000).toISOString());
  expect(future.status).toBe(422);
  expect(future.body.errors[0].path).toBe('asOf');
  for (const bad of ['yesterday', '2027-13-01T00:00:00Z', '2027-01-01']) {
    const res = await ask(bad);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  }
  expect((await stack.http().get(`/v1/cases/${key}/timeline?until=soon`).set(auth(stack.tokens.hr))).status).toBe(422);
  // Someone who may not see the case gets the same 404 as for a case that does not exist.
  const hidden = await ask(new Date().toISOString(), stack.tokens.outsider);
  expect(hidden.status).toBe(404);
  expect(hidden.body.code).toBe('case_not_found');
});
