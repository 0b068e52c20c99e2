/**
 * Shutdown that always finishes: readiness fails first, requests still arriving are turned away,
 * requests in flight get SHUTDOWN_GRACE_MS to finish and are then cut off (test/e2e/npm-start.test.ts
 * does the same through `npm start` and Ctrl-C).
 */
import http from 'node:http';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { runApi } from '../../api/run';
import { loadConfig } from '../../config/env';
import { getProjectedCaseView } from '../../db/read-model';
import { startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';
import { testTemporalAddress } from '../support/temporal';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

test('while stopping: /readyz is 503, other requests get 503 shutting_down with Connection: close, /healthz still answers', async () => {
  const lifecycle = { stopping: false };
  const app = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as never, config: stack.config, log: pino({ level: 'silent' }), lifecycle });
  const auth = { Authorization: `Bearer ${stack.tokens.admin}` };
  expect((await request(app).get('/v1/templates').set(auth)).status).toBe(200);
  lifecycle.stopping = true;
  const ready = await request(app).get('/readyz');
  expect(ready.status).toBe(503);
  expect(ready.body.status).toBe('shutting down');
  const refused = await request(app).get('/v1/templates').set(auth);
  expect(refused.status).toBe(503);
  expect(refused.body.code).toBe('shutting_down');
  expect(refused.headers['retry-after']).toBeDefined();
  expect(refused.headers.connection).toBe('close');
  expect((await request(app).get('/healthz')).status).toBe(200);
});

test('a request in flight is given the grace period, then cut off; stop() returns and new connections are refused', async () => {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', TEMPORAL_TASK_QUEUE: stack.taskQueue, TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE, LOG_LEVEL: 'silent' });
  const api = await runApi({ config, log: pino({ level: 'silent' }), db: stack.db, temporalAddress: testTemporalAddress() });
  const url = new URL(api.url);
  // A body that never finishes: the request stays in flight.
  const stalled = http.request({ host: url.hostname, port: url.port, path: '/v1/templates', method: 'POST', headers: { Authorization: `Bearer ${stack.tokens.admin}`, 'Content-Type': 'application/json', 'Content-Length': '100000' } });
  const outcome = new Promise<string>((resolve) => {
    stalled.on('response', (res) => resolve(`answered ${res.statusCode}`));
    stalled.on('error', (err) => resolve(`cut off: ${(err as NodeJS.ErrnoException).code}`));
  });
  stalled.write('{"key": "never-fin');
  await new Promise((r) => setTimeout(r, 300));

  let stopped = false;
  const stopping = api.stop(1500).then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 500));
  expect(stopped).toBe(false); // still draining within the grace period
  const refused = await fetch(`${api.url}/healthz`).then(
    () => 'answered',
    (err: Error) => `refused: ${(err.cause as NodeJS.ErrnoException | undefined)?.code}`,
  );
  expect(refused).toBe('refused: ECONNREFUSED');
  await stopping;
  expect(await outcome).toMatch(/^cut off/);
});

test('answers held for the read model are written before stop() returns', async () => {
  // A window longer than the whole test: only the flush at shutdown can write the comment.
  // The stack's configuration (its payload keys: the worker encrypts what the API reads).
  const config = { ...stack.config, TEMPORAL_TASK_QUEUE: stack.taskQueue, PORT: 0, HOST: '127.0.0.1', METRICS_PORT: undefined, LOG_LEVEL: 'silent' as const, ANSWER_WRITE_WINDOW_MS: 1_000 };
  const api = await runApi({ config, log: pino({ level: 'silent' }), db: stack.db, temporalAddress: testTemporalAddress() });
  try {
    await commandThenStop(api);
  } finally {
    await api.stop(1_000);
  }
}, 60_000);

async function commandThenStop(api: Awaited<ReturnType<typeof runApi>>) {
  const call = (method: string, path: string, body: unknown, token = stack.tokens.hr) =>
    fetch(`${api.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect((await call('POST', '/v1/templates', onboardingTemplate({ key: 'held-answers', prefix: 'HLD' }), stack.tokens.admin)).status).toBe(201);
  const started = await call('POST', '/v1/cases', { template: 'held-answers', title: 'Held answers', fields: { fullName: 'Held Answers' } });
  expect({ status: started.status, body: started.status === 201 ? undefined : await started.text() }).toEqual({ status: 201, body: undefined });
  const key = ((await started.json()) as { id: string }).id;
  const commented = await call('POST', `/v1/cases/${key}/comments`, { text: 'written at shutdown' });
  expect(commented.status).toBe(200);
  const seq = ((await commented.json()) as { events: Array<{ seq: number }> }).events[0]!.seq;
  // The read model stores a write's events and its view together: the view's last seq says what it holds.
  const storedThrough = async () => (await getProjectedCaseView(stack.db, key))?.lastSeq;
  expect(await storedThrough()).toBeLessThan(seq); // held: its window has not ended
  await api.stop(1_000);
  expect(await storedThrough()).toBe(seq);
}
