/**
 * Fast failure when a dependency is down: with the Temporal server or PostgreSQL "unplugged" (a TCP
 * proxy in front of each is cut), requests answer 503 dependency_unavailable with Retry-After and
 * /readyz names the dependency that is down; once it is back, requests succeed again.
 */
import { Client } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { answerProjection } from '../../api/answer-projection';
import { createApp } from '../../api/app';
import { CaseClient, caseClientOptions } from '../../api/case-client';
import { connectTemporalClient } from '../../api/run';
import { loadConfig } from '../../config/env';
import { openDatabase, type DatabaseHandle } from '../../db/connection';
import { startTcpProxy, type TcpProxy } from '../../scripts/bench/tcp-proxy';
import { eventually, startReplacementWorker, startTestStack, type TestStack } from '../support/stack';
import { temporalDataConverter } from '../../temporal/data-converter';
import { TEST_PAYLOAD_ENV, testTemporalAddress } from '../support/temporal';
import { onboardingTemplate } from '../support/templates';

let stack: TestStack;
let pgProxy: TcpProxy;
let temporalProxy: TcpProxy;
let database: DatabaseHandle;
let app: ReturnType<typeof createApp>;
let closeConnection: () => Promise<void>;
const auth = () => ({ Authorization: `Bearer ${stack.tokens.hr}` });

beforeAll(async () => {
  stack = await startTestStack();
  const pg = new URL(stack.databaseUrl);
  pgProxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  const [host, port] = testTemporalAddress().split(':');
  temporalProxy = await startTcpProxy({ host: host!, port: Number(port) });
  pg.host = `127.0.0.1:${pgProxy.port}`;
  database = await openDatabase({ url: pg.toString(), connectTimeoutS: 2 });
  const config = loadConfig({ NODE_ENV: 'test', TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE, TEMPORAL_CALL_TIMEOUT_MS: '2000', START_TIMEOUT_MS: '3000', COMMAND_TIMEOUT_MS: '3000', ...TEST_PAYLOAD_ENV });
  const connection = await connectTemporalClient(config, `127.0.0.1:${temporalProxy.port}`);
  closeConnection = () => connection.close();
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) });
  app = createApp({ db: database.db, cases: new CaseClient(client, stack.taskQueue, caseClientOptions(config, undefined, answerProjection(database.db))), temporal: connection, config, log: pino({ level: 'silent' }) });
  // Its own key prefix: test files share one Temporal server, and case keys count per database.
  expect((await stack.http().post('/v1/templates').set({ Authorization: `Bearer ${stack.tokens.admin}` }).send(onboardingTemplate({ key: 'outage-onboarding', prefix: 'OUT' }))).status).toBe(201);
});
afterAll(async () => {
  await closeConnection?.();
  await database?.close();
  await pgProxy?.close();
  await temporalProxy?.close();
  await stack?.close();
});

test('Temporal unreachable: 503 dependency_unavailable with Retry-After; reads from the read model still work', async () => {
  const created = await request(app).post('/v1/cases').set(auth()).send({ template: 'outage-onboarding', title: 'Outage', fields: { fullName: 'Oona' } });
  expect(created.status).toBe(201);
  const id = created.body.id;
  await temporalProxy.cut();
  try {
    for (const res of [
      await request(app).get(`/v1/cases/${id}`).set(auth()),
      await request(app).post(`/v1/cases/${id}/comments`).set(auth()).send({ text: 'anyone?' }),
      await request(app).post('/v1/cases').set(auth()).send({ template: 'outage-onboarding', title: 'During', fields: { fullName: 'D' } }),
    ]) {
      expect({ status: res.status, code: res.body.code, dependency: res.body.dependency }).toEqual({ status: 503, code: 'dependency_unavailable', dependency: 'temporal' });
      expect(res.headers['retry-after']).toBeDefined();
    }
    expect((await request(app).get('/v1/cases?limit=5').set(auth())).status).toBe(200);
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe('ok');
    expect(ready.body.checks.temporal).toMatch(/^unavailable/);
  } finally {
    await temporalProxy.restore();
  }
  await eventually(async () => (await request(app).get(`/v1/cases/${id}`).set(auth())).status === 200, 30_000, 'the case to answer again');
});

test('PostgreSQL unreachable: 503 dependency_unavailable with Retry-After; /readyz names the database', async () => {
  await pgProxy.cut();
  try {
    for (const res of [await request(app).get('/v1/cases').set(auth()), await request(app).get('/v1/templates').set(auth())]) {
      expect({ status: res.status, code: res.body.code, dependency: res.body.dependency }).toEqual({ status: 503, code: 'dependency_unavailable', dependency: 'database' });
      expect(res.headers['retry-after']).toBeDefined();
    }
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toMatch(/^unavailable/);
    expect(ready.body.checks.temporal).toBe('ok');
  } finally {
    await pgProxy.restore();
  }
  await eventually(async () => (await request(app).get('/v1/cases').set(auth())).status === 200, 30_000, 'the database to answer again');
});

test('no worker: a start answers 504 start_timeout with the case key, and a retry with the same Idempotency-Key returns that case once a worker is back', async () => {
  stack.worker.shutdown();
  await new Promise((r) => setTimeout(r, 500));
  const body = { template: 'outage-onboarding', title: 'Nobody home', fields: { fullName: 'N' } };
  const first = await request(app).post('/v1/cases').set(auth()).set('Idempotency-Key', 'no-worker-1').send(body);
  expect(first.status).toBe(504);
  expect(first.body.code).toBe('start_timeout');
  expect(first.body.caseKey).toMatch(/^OUT-\d+$/);
  expect(first.headers.location).toBe(`/v1/cases/${first.body.caseKey}`);
  expect(first.headers['retry-after']).toBeDefined();

  const worker = await startReplacementWorker(stack);
  try {
    const retried = await request(app).post('/v1/cases').set(auth()).set('Idempotency-Key', 'no-worker-1').send(body);
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(first.body.caseKey);
    expect(retried.body.lastSeq).toBeGreaterThan(0);
  } finally {
    await worker.stop();
  }
});

test('no worker: a start no automation reacts to is answered 201 once Temporal holds it; the case runs its first task when a worker is back', async () => {
  const admin = { Authorization: `Bearer ${stack.tokens.admin}` };
  expect((await stack.http().post('/v1/templates').set(admin).send({ key: 'outage-quiet', name: 'Quiet', prefix: 'OQ', roles: ['hr'], permissions: { view: ['hr'] }, stages: [{ key: 'intake' }, { key: 'done', terminal: true }] })).status).toBe(201);
  // The stack's own worker is stopped by the test above when the file runs whole.
  if (stack.worker.getState() === 'RUNNING') stack.worker.shutdown();
  await new Promise((r) => setTimeout(r, 500));
  const started = await request(app).post('/v1/cases').set(auth()).send({ template: 'outage-quiet', title: 'Nobody home yet' });
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ id: expect.stringMatching(/^OQ-\d+$/), stage: { key: 'intake' }, lastSeq: 2 });
  // Listed at once: the API wrote the opening it answered.
  const listed = await request(app).get('/v1/cases?template=outage-quiet').set(auth());
  expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([started.body.id]);

  const worker = await startReplacementWorker(stack);
  try {
    const view = await request(app).get(`/v1/cases/${started.body.id}`).set(auth());
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ lastSeq: 2, createdAt: started.body.createdAt, stage: { key: 'intake' } });
    expect((await request(app).post(`/v1/cases/${started.body.id}/comments`).set(auth()).send({ text: 'Now it runs' })).status).toBe(200);
  } finally {
    await worker.stop();
  }
});

test('no worker: a command answers 504 command_timeout with its request id, and sent again with it as Idempotency-Key once a worker is back, it is answered and applied once', async () => {
  let worker = await startReplacementWorker(stack);
  const created = await request(app).post('/v1/cases').set(auth()).send({ template: 'outage-onboarding', title: 'Unanswered', fields: { fullName: 'U' } });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await worker.stop();

  // Nobody runs the case: the update waits in the server past COMMAND_TIMEOUT_MS (3 s here).
  const first = await request(app).post(`/v1/cases/${id}/comments`).set(auth()).send({ text: 'Did this land?' });
  expect({ status: first.status, code: first.body.code, caseKey: first.body.caseKey }).toEqual({ status: 504, code: 'command_timeout', caseKey: id });
  expect(first.body.requestId).toEqual(expect.any(String));
  expect(first.body.detail).toContain(`Idempotency-Key ${first.body.requestId}`);
  expect(first.headers['retry-after']).toBeDefined();

  // The first send may still be applied when the case runs again; the resend learns its outcome.
  worker = await startReplacementWorker(stack);
  try {
    const again = await request(app).post(`/v1/cases/${id}/comments`).set(auth()).set('Idempotency-Key', first.body.requestId).send({ text: 'Did this land?' });
    expect(again.status).toBe(200);
    expect(again.body.events).toEqual([expect.objectContaining({ type: 'comment.added' })]);
    const view = await request(app).get(`/v1/cases/${id}`).set(auth());
    expect(view.body.comments).toBe(1);
  } finally {
    await worker.stop();
  }
});
