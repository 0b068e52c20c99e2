/**
 * One request id finds everything one request did: the API's request line, the worker's line for
 * the update (or signal) it sent, and the e-mail activity that the command's automation ran later
 * in the case's own loop. The SDK's lines are captured through the same JSON logger the worker
 * installs (config/logger.ts `createTemporalLogger`).
 */
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createTemporalLogger } from '../../config/logger';
import { captureLogs } from '../support/logs';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { emailOnReviewTemplate } from '../support/templates';

const logs = captureLogs('info');
let stack: TestStack;
const admin = () => ({ Authorization: `Bearer ${stack.tokens.admin}` });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Line = Record<string, unknown> & { msg?: string; requestId?: string };
const parsed = (): Line[] => logs.lines.map((l) => JSON.parse(l) as Line);
const withId = (requestId: string) => parsed().filter((l) => l.requestId === requestId);

beforeAll(async () => {
  // Before the stack: the worker's SDK lines (workflow `log` calls included) go to the captured logger.
  Runtime.install({ logger: createTemporalLogger(logs.log.child({ sdk: 'temporal' })), telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  stack = await startTestStack({ log: logs.log });
  await stack
    .http()
    .post('/v1/templates')
    .set(admin())
    .send(emailOnReviewTemplate('correlated', 'COR'))
    .expect(201);
});
afterAll(async () => {
  await stack?.close();
});

async function startCase(requestId?: string): Promise<string> {
  const req = stack.http().post('/v1/cases').set(admin());
  if (requestId) req.set('X-Request-Id', requestId);
  const res = await req.send({ template: 'correlated', title: 'Correlated case' }).expect(201);
  return res.body.id as string;
}

/** The outbox e-mail an automation sent for a case, once its activity has run. */
const emailOf = (caseKey: string) =>
  eventually(async () => {
    const res = await stack.http().get(`/v1/outbox?caseKey=${caseKey}`).set(admin()).expect(200);
    return res.body.items[0] as { id: string } | undefined;
  }, 30_000, `the e-mail of ${caseKey}`);

test('X-Request-Id is echoed and found on the request line, the workflow update line and the e-mail activity it caused', async () => {
  const caseKey = await startCase('start-of-abc');
  const res = await stack.http().post(`/v1/cases/${caseKey}/advance`).set(admin()).set('X-Request-Id', 'abc-123').send({ to: 'review' }).expect(200);
  expect(res.headers['x-request-id']).toBe('abc-123');
  const email = await emailOf(caseKey);

  const lines = await eventually(async () => {
    const found = withId('abc-123');
    const request = found.find((l) => l.msg === 'request completed');
    const update = found.find((l) => l.msg === 'update handled');
    const activity = found.find((l) => typeof l.msg === 'string' && l.msg.startsWith('e-mail written to the development outbox'));
    return request && update && activity ? { request, update, activity } : undefined;
  }, 15_000, 'the three log lines of abc-123');

  // The API's line: the case and the actor besides the request.
  expect(lines.request).toMatchObject({ caseKey, actor: { id: 'ada', kind: 'user' }, res: { statusCode: 200 } });
  // The worker's line for the workflow task that applied the update.
  expect(lines.update).toMatchObject({ sdk: 'temporal', workflowId: `case-${caseKey}`, updateName: 'advance', command: 'advance' });
  // The e-mail activity, run later in the case's own loop, under the id of the command that caused it.
  expect(lines.activity).toMatchObject({ emailId: email.id, caseKey });
  // Each of them once, and the start's id on the start only.
  expect(withId('abc-123').filter((l) => l.msg === 'update handled')).toHaveLength(1);
  expect(withId('start-of-abc').some((l) => l.msg === 'request completed' && l.caseKey === caseKey)).toBe(true);
});

test('a command sent for a 202 (Prefer: respond-async) carries the id too', async () => {
  const caseKey = await startCase();
  await stack.http().post(`/v1/cases/${caseKey}/advance`).set(admin()).set('Prefer', 'respond-async').set('X-Request-Id', 'sig-456').send({ to: 'review' }).expect(202);
  await emailOf(caseKey);
  await eventually(async () => withId('sig-456').some((l) => l.msg === 'update handled' && l.workflowId === `case-${caseKey}`), 15_000, 'the update line');
  await eventually(async () => withId('sig-456').some((l) => String(l.msg).startsWith('e-mail written')), 15_000, 'the e-mail line');
});

test.each([
  ['with spaces', 'not a good id'],
  ['too long', 'x'.repeat(129)],
  ['with a quote', 'abc"123'],
])('an X-Request-Id %s is replaced by a generated one', async (_what, bad) => {
  const res = await stack.http().get('/v1/templates').set(admin()).set('X-Request-Id', bad).expect(200);
  const id = res.headers['x-request-id'] as string;
  expect(id).toMatch(UUID);
  await eventually(async () => withId(id).some((l) => l.msg === 'request completed'), 5_000, 'the request line');
  expect(logs.lines.some((l) => l.includes(`"requestId":${JSON.stringify(bad)}`))).toBe(false);
});

test('without X-Request-Id, the trace id of a valid traceparent is the request id; an invalid one is ignored', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traced = await stack.http().get('/v1/templates').set(admin()).set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`).expect(200);
  expect(traced.headers['x-request-id']).toBe(traceId);
  const invalid = await stack.http().get('/v1/templates').set(admin()).set('traceparent', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`).expect(200);
  expect(invalid.headers['x-request-id']).toMatch(UUID);
  // X-Request-Id wins over traceparent.
  const both = await stack.http().get('/v1/templates').set(admin()).set('X-Request-Id', 'mine').set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`).expect(200);
  expect(both.headers['x-request-id']).toBe('mine');
});

test('every request line carries the request id, and a line is written once per request', async () => {
  await stack.http().get('/v1/cases').set(admin()).set('X-Request-Id', 'list-789').expect(200);
  const lines = await eventually(async () => {
    const found = withId('list-789').filter((l) => l.msg === 'request completed');
    return found.length ? found : undefined;
  }, 5_000, 'the request line');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ actor: { id: 'ada', kind: 'user' } });
  // The id appears once in the line's JSON (bound by pino-http, not added again by the logger).
  const raw = logs.lines.find((l) => l.includes('"list-789"') && l.includes('request completed'))!;
  expect(raw.match(/"requestId"/g)).toHaveLength(1);
});
