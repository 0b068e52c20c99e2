/**
 * Fast failure when a dependency is down: with the Temporal server or PostgreSQL "unplugged" (a TCP
 * proxy in front of each is cut), requests answer 503 dependency_unavailable with Retry-After and
 * /readyz names the dependency that is down; once it is back, requests succeed again.
 */
import { Client } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { CaseClient, caseClientOptions } from '../../api/case-client';
import { connectTemporalClient } from '../../api/run';
import { loadConfig } from '../../config/env';
import { openDatabase, type DatabaseHandle } from '../../db/connection';
import { startTcpProxy, type TcpProxy } from '../../scripts/bench/tcp-proxy';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { testTemporalAddress } from '../support/temporal';
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
  const connection = await connectTemporalClient(`127.0.0.1:${temporalProxy.port}`);
  closeConnection = () => connection.close();
  const config = loadConfig({ NODE_ENV: 'test', TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE, TEMPORAL_CALL_TIMEOUT_MS: '2000' });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  app = createApp({ db: database.db, cases: new CaseClient(client, stack.taskQueue, caseClientOptions(config)), temporal: connection, config, log: pino({ level: 'silent' }) });
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
