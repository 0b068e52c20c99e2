/**
 * `npm run worker` as the image runs it: the workflow bundle prebuilt by `npm run build:workflows`
 * and loaded from WORKFLOW_BUNDLE (no webpack at start), its /healthz and /readyz, and one
 * /metrics with the business metrics it counts and the Temporal SDK's own. An in-test API on the
 * same database and task queue runs a case on it. Then every metric the Grafana dashboard
 * (ops/grafana/case-orchestrator.json) queries must be exported by the API or the worker.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { parser } from '@prometheus-io/lezer-promql';
import pino from 'pino';
import request from 'supertest';
import { createAppFromConfig } from '../../api/app';
import { loadConfig } from '../../config/env';
import { createApiToken } from '../../db/tokens';
import { freePort } from '../../scripts/temporal-dev-server';
import { DIGEST_SCHEDULE_ID } from '../../worker/schedules';
import { caseWorkflowId } from '../../workflows/messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Scrape } from '../support/prometheus';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { eventually } from '../support/stack';
import { TEST_PAYLOAD_ENV, testNamespace, testTemporalAddress } from '../support/temporal';

const root = path.resolve(__dirname, '../..');
const bundle = path.join(root, 'test-output', `workflow-bundle-prebuilt-${process.pid}.js`);
const dashboardFile = path.join(root, 'ops/grafana/case-orchestrator.json');
const taskQueue = `worker-process-${randomUUID()}`;

let database: TestDatabase;
let workerEnv: NodeJS.ProcessEnv;
let worker: { child: ChildProcess; output: () => string; exited: Promise<number | null>; url: string };
let connection: Connection;
let api: ReturnType<typeof request>;
let adminToken: string;
let receiver: WebhookReceiver;
const started: string[] = [];

beforeAll(async () => {
  // The image's build step, as the Dockerfile runs it.
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-workflows.ts', bundle], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
  expect({ status: build.status, stderr: build.stderr }).toMatchObject({ status: 0 });
  expect(build.stdout).toMatch(/workflow bundle written to .*workflow-bundle-prebuilt/);

  receiver = await startWebhookReceiver();

  database = await createTestDatabase();
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_NAMESPACE: testNamespace(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    WEBHOOK_SECRET: 'worker-process-secret',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    // Production refuses to write payloads to Temporal unencrypted; the API below uses the same key.
    ...TEST_PAYLOAD_ENV,
  };
  workerEnv = { ...env, HOST: '127.0.0.1', WORKER_PORT: String(await freePort()), WORKFLOW_BUNDLE: bundle, LOG_LEVEL: 'info' };
  worker = await startWorker(workerEnv);

  connection = await Connection.connect({ address: testTemporalAddress() });
  const config = loadConfig({ ...env, NODE_ENV: 'test' });
  api = request(createAppFromConfig({ connection, db: database.db, config, log: pino({ level: 'silent' }) }));
  adminToken = (await createApiToken(database.db, { actorId: 'ada', actorName: 'Ada Admin', roles: ['admin'] })).token;
}, 180_000);

afterAll(async () => {
  await Promise.all(started.map((key) => connection?.workflowService.terminateWorkflowExecution({ namespace: testNamespace(), workflowExecution: { workflowId: caseWorkflowId(key) } }).catch(() => undefined)));
  // The worker created the owner-digest schedule on the shared dev server: test/workflows/digest.test.ts expects to create it.
  if (connection) await new Client({ connection, namespace: testNamespace() }).schedule.getHandle(DIGEST_SCHEDULE_ID).delete().catch(() => undefined);
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await connection?.close();
  await database?.close();
  await receiver?.close();
  fs.rmSync(bundle, { force: true });
});

function spawnWorker(env: NodeJS.ProcessEnv) {
  // NODE_OPTIONS: jest's --experimental-vm-modules is not for the process under test.
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startWorker(env: NodeJS.ProcessEnv) {
  const { child, output, exited } = spawnWorker(env);
  const deadline = Date.now() + 90_000;
  let url: string | undefined;
  while (!(url = /"healthUrl":"(http:[^"]+)".*"msg":"worker started"/.exec(output())?.[1])) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not start:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output, exited, url };
}

const auth = () => ({ Authorization: `Bearer ${adminToken}` });

async function workerMetrics(): Promise<Scrape> {
  const res = await fetch(`${worker.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return new Scrape(await res.text());
}

async function apiMetrics(): Promise<Scrape> {
  const res = await api.get('/metrics').set(auth());
  expect(res.status).toBe(200);
  return new Scrape(res.text);
}

test('starts from the prebuilt bundle: no webpack at start', () => {
  expect(worker.output()).toContain(`"workflowBundle":"${bundle}"`);
  expect(worker.output()).not.toMatch(/webpack|Workflow bundle created/);
});

/** The image's HEALTHCHECK (scripts/healthcheck.ts) against this worker's port; PORT is a port nothing listens on. */
async function probe(): Promise<number | null> {
  const port = new URL(worker.url).port;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/healthcheck.ts'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '', HOST: '127.0.0.1', PORT: String(await freePort()), WORKER_PORT: port }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('close', resolve));
}

test('a bundle built without tracing is refused when tracing is on (its workflows would lack their interceptors)', async () => {
  const refused = spawnWorker({ ...workerEnv, WORKER_PORT: String(await freePort()), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
  expect(await refused.exited).toBe(1);
  expect(refused.output()).toContain('was built without tracing, but tracing is on');
  expect(refused.output()).toContain('npm run build:workflows -- --tracing');
}, 60_000);

test('/healthz and /readyz answer while it runs and polls', async () => {
  const live = await fetch(`${worker.url}/healthz`);
  expect({ status: live.status, body: await live.json() }).toEqual({ status: 200, body: { status: 'ok', worker: 'RUNNING' } });
  const ready = await eventually(async () => {
    const res = await fetch(`${worker.url}/readyz`);
    return res.status === 200 ? ((await res.json()) as { checks: Record<string, string> }) : undefined;
  }, 20_000, 'readiness');
  expect(ready.checks).toEqual({ worker: 'RUNNING', workflowPoller: 'POLLING', activityPoller: 'POLLING', temporal: 'ok', database: 'ok' });
  expect(await probe()).toBe(0);
});

test('runs a case; its /metrics has what the worker counted and the SDK metrics', async () => {
  const before = await workerMetrics();
  const published = await api
    .post('/v1/templates')
    .set(auth())
    .send({
      key: 'proc',
      name: 'Worker process',
      prefix: 'PRC',
      roles: ['agent'],
      stages: [{ key: 'open' }, { key: 'done', terminal: true }],
      automations: [{ on: 'comment.added', do: [{ webhook: { url: `${receiver.url}/hook` } }] }],
    });
  expect(published.status).toBe(201);
  const opened = await api.post('/v1/cases').set(auth()).send({ template: 'proc', title: 'Runs on the prebuilt bundle' });
  expect(opened.status).toBe(201);
  const key = opened.body.id as string;
  started.push(key);
  receiver.answerNext(503);
  expect((await api.post(`/v1/cases/${key}/comments`).set(auth()).send({ text: 'go' })).status).toBe(200);
  expect((await api.post(`/v1/cases/${key}/advance`).set(auth()).send({ to: 'done' })).status).toBe(200);
  // A workflow type the bundle does not have: a workflow task failure the SDK counts.
  const stray = `stray-${randomUUID()}`;
  await connection.workflowService.startWorkflowExecution({
    namespace: testNamespace(),
    workflowId: stray,
    workflowType: { name: 'noSuchWorkflow' },
    taskQueue: { name: taskQueue },
    requestId: randomUUID(),
  });

  const after = await eventually(
    async () => {
      const scrape = await workerMetrics();
      return scrape.value('case_events_recorded_total', { template: 'proc', type: 'webhook.delivered' }) === 1 &&
        scrape.value('temporal_workflow_task_execution_failed_total', { workflow_type: 'noSuchWorkflow' }) > 0
        ? scrape
        : undefined;
    },
    30_000,
    'the webhook on the timeline and the failed workflow task',
  );
  await connection.workflowService.terminateWorkflowExecution({ namespace: testNamespace(), workflowExecution: { workflowId: stray } });
  // Counted where it happened: the webhook's two attempts in this process…
  expect(after.value('case_webhook_deliveries_total', { outcome: 'transient_failure', attempt: '1' }) - before.value('case_webhook_deliveries_total', { outcome: 'transient_failure', attempt: '1' })).toBe(1);
  expect(after.value('case_webhook_deliveries_total', { outcome: 'delivered', attempt: '2' }) - before.value('case_webhook_deliveries_total', { outcome: 'delivered', attempt: '2' })).toBe(1);
  expect(after.value('case_projection_lag_seconds_count', { writer: 'worker' })).toBeGreaterThan(0);
  // …the case's opening and the commands' answers in the API's.
  const apiScrape = await apiMetrics();
  expect(apiScrape.value('cases_started_total', { template: 'proc' })).toBe(1);
  expect(apiScrape.value('case_commands_total', { command: 'comment', outcome: 'applied' })).toBe(1);
  expect(after.value('cases_started_total', { template: 'proc' })).toBe(0);

  // The SDK's own metrics, Prometheus-named (seconds, `_total`), for this task queue.
  const sdk = { task_queue: taskQueue };
  expect(after.value('temporal_workflow_task_schedule_to_start_latency_count', sdk)).toBeGreaterThan(0);
  expect(after.value('temporal_workflow_task_execution_latency_count', sdk)).toBeGreaterThan(0);
  expect(after.value('temporal_activity_execution_latency_count', sdk)).toBeGreaterThan(0);
  expect(after.value('temporal_activity_execution_failed_total', { ...sdk, activity_type: 'callWebhook' })).toBeGreaterThan(0);
  expect(after.value('temporal_worker_task_slots_available', { ...sdk, worker_type: 'WorkflowWorker' })).toBeGreaterThan(0);
  expect(after.value('temporal_num_pollers', { ...sdk, poller_type: 'workflow_task' })).toBeGreaterThan(0);
  expect(after.families.get('temporal_workflow_task_schedule_to_start_latency')).toBe('histogram');
  // Node's process metrics too.
  expect(after.value('process_resident_memory_bytes')).toBeGreaterThan(0);
}, 90_000);

/** Metric names a PromQL expression selects (Grafana's $variables replaced by values that parse). */
function metricNames(expr: string): string[] {
  const promql = expr.replace(/\$__(rate_)?interval/g, '5m').replace(/\$\{?\w+\}?/g, 'x');
  const tree = parser.parse(promql);
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new Error(`not valid PromQL at ${cursor.from}: ${expr}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') names.push(promql.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

/** Every PromQL expression of the dashboard: panel targets and variable queries (`label_values(metric, label)`). */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ type: string; definition?: string }> };
  };
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const variables = dashboard.templating.list.filter((v) => v.type === 'query').map((v) => /^label_values\((\w+),/.exec(v.definition ?? '')?.[1] ?? `unparsable variable ${v.definition}`);
  return [...targets, ...variables];
}

test('every metric the Grafana dashboard queries is exported by the API or the worker', async () => {
  const queries = dashboardQueries();
  expect(queries.length).toBeGreaterThan(20);
  const [fromWorker, fromApi] = [await workerMetrics(), await apiMetrics()];
  const exported = new Set([...fromWorker.names(), ...fromApi.names()]);
  const families = new Map([...fromWorker.families, ...fromApi.families]);
  // A histogram with no observation yet is declared (# TYPE) without _bucket/_count/_sum samples.
  const isExported = (name: string) => exported.has(name) || families.get(name.replace(/_(bucket|count|sum)$/, '')) === 'histogram';
  const used = [...new Set(queries.flatMap(metricNames))].sort();
  expect(used).toEqual(expect.arrayContaining(['cases_open', 'case_sla_deadline_missed_total', 'temporal_workflow_task_schedule_to_start_latency_bucket']));
  expect(used.filter((name) => !isExported(name))).toEqual([]);
});

test('SIGTERM stops the worker and its health server, exit 0', async () => {
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  expect(worker.output()).toMatch(/"msg":"worker stopped"/);
  await expect(fetch(`${worker.url}/healthz`)).rejects.toThrow();
  expect(await probe()).toBe(1);
}, 60_000);
