import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { loadConfig, type Config } from '../../config/env';
import { redactingStream } from '../../config/logger';
import { answerProjection } from '../../api/answer-projection';
import { CaseClient } from '../../api/case-client';
import { caseClientInterceptors } from '../../api/correlation';
import type { Tracing } from '../../startup/tracing';
import type { Database } from '../../db/connection';
import { createApiToken } from '../../db/tokens';
import { CaseMetrics } from '../../metrics/case-metrics';
import { createCaseWorker } from '../../worker/create-worker';
import { createTestDatabase } from './database';
import { temporalConnectionOptions } from '../../temporal/connection-options';
import { temporalDataConverter } from '../../temporal/data-converter';
import { TEST_PAYLOAD_ENV, testNamespace, testTemporalAddress } from './temporal';
import { testWorkflowBundle } from './workflow-bundle';

let runtimeInstalled = false;

export interface TestStack {
  db: Database;
  databaseUrl: string;
  client: Client;
  cases: CaseClient;
  taskQueue: string;
  config: Config;
  app: ReturnType<typeof createApp>;
  /** The stack's worker (its status tells how many workflows it caches). */
  worker: Worker;
  /**
   * The business metrics of both the API and the worker of this stack (one registry, as if
   * Prometheus summed the two processes), served at the app's /metrics.
   */
  metrics: CaseMetrics;
  /** Bearer tokens of test actors by role name. */
  tokens: Record<'admin' | 'hr' | 'manager' | 'it' | 'outsider', string>;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

/**
 * A real stack for one test file: a fresh PostgreSQL database, a worker on its own task queue
 * against the shared Temporal dev server, and the Express app (for supertest).
 */
export async function startTestStack(
  opts: {
    address?: string;
    archiveAfterMs?: number;
    env?: Record<string, string>;
    /** The logger of the API and the activities (e.g. one that captures its lines: test/support/logs.ts). */
    log?: Logger;
    /** OpenTelemetry for the API and the worker (startup/tracing.ts); the worker then runs the traced workflow bundle. */
    tracing?: Tracing;
  } = {},
): Promise<TestStack> {
  if (!runtimeInstalled) {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
    } catch {
      // already installed by another stack in this file
    }
    runtimeInstalled = true;
  }
  const address = opts.address ?? testTemporalAddress();
  const namespace = testNamespace();
  const database = await createTestDatabase();
  const taskQueue = `test-${randomUUID()}`;
  // Starts and commands wait longer than in production: a loaded 2-core CI machine can take more than
  // 15 s for a first workflow task. Tests of those deadlines set their own. Payloads are encrypted.
  const config = loadConfig({ NODE_ENV: 'test', BODY_LIMIT: '100kb', TEMPORAL_NAMESPACE: namespace, START_TIMEOUT_MS: '30000', COMMAND_TIMEOUT_MS: '30000', ...TEST_PAYLOAD_ENV, ...opts.env });
  // Connected as the service connects (TLS settings of opts.env included).
  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config, address));
  const metrics = new CaseMetrics();
  const worker: Worker = await createCaseWorker({
    connection: nativeConnection,
    namespace,
    taskQueue,
    db: database.db,
    config,
    // Bundled as the worker would with this configuration (WORKFLOW_STACK_FRAMES is set at bundling).
    workflowBundle: await testWorkflowBundle({ tracing: !!opts.tracing, ...(opts.env?.WORKFLOW_STACK_FRAMES ? { stackFrames: config.WORKFLOW_STACK_FRAMES } : {}) }),
    metrics,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.tracing ? { tracing: opts.tracing } : {}),
  });
  const running = worker.run();
  const connection = await Connection.connect(temporalConnectionOptions(config, address));
  // The API's client (api/app.ts): its data converter, and its interceptors (request ids, spans with tracing on).
  const client = new Client({ connection, namespace, dataConverter: temporalDataConverter(config), interceptors: { workflow: caseClientInterceptors(!!opts.tracing) } });
  await pollersSeen(connection, namespace, taskQueue);
  // With the deadlines above (the client's own defaults are production's 15 s).
  const cases = new CaseClient(client, taskQueue, {
    projectAnswer: answerProjection(database.db, undefined, metrics),
    metrics,
    commandTimeoutMs: config.COMMAND_TIMEOUT_MS,
    startTimeoutMs: config.START_TIMEOUT_MS,
  });
  // Unexpected API errors are kept in test-output/api-errors.log, to diagnose a failed CI run.
  // Secrets are redacted from these lines as from the service's (config/logger.ts).
  const log =
    opts.log ??
    (process.env.TEST_LOG_LEVEL
      ? pino({ level: process.env.TEST_LOG_LEVEL }, redactingStream(pino.destination(1)))
      : pino({ level: 'error' }, redactingStream(pino.destination({ dest: path.resolve(__dirname, '../../test-output/api-errors.log'), mkdir: true, append: true, sync: true }))));
  const app = createApp({
    db: database.db,
    cases,
    temporal: connection,
    config: { ...config, ...(opts.archiveAfterMs ? { archiveAfterMs: opts.archiveAfterMs } : {}) },
    log,
    metrics,
    ...(opts.tracing ? { tracer: opts.tracing.tracer } : {}),
  });
  const actor = (id: string, name: string, roles: string[]) => createApiToken(database.db, { actorId: id, actorName: name, roles }).then((t) => t.token);
  const tokens = {
    admin: await actor('ada', 'Ada Admin', ['admin']),
    hr: await actor('hana', 'Hana HR', ['hr']),
    manager: await actor('max', 'Max Manager', ['manager']),
    it: await actor('ivan', 'Ivan IT', ['it']),
    outsider: await actor('olga', 'Olga Outsider', ['sales']),
  };
  return {
    db: database.db,
    databaseUrl: database.url,
    client,
    cases,
    taskQueue,
    config,
    app,
    worker,
    metrics,
    tokens,
    http: () => request(app),
    async close() {
      // A test may have stopped the worker already (to see how the API behaves without one).
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
      await database.close();
    },
  };
}

/**
 * Another case worker on the stack's task queue, for tests that stop the stack's own (a killed
 * worker, a case nobody runs): as the stack's, over its own connection. `stop` is idempotent.
 */
export async function startReplacementWorker(stack: Pick<TestStack, 'config' | 'taskQueue' | 'db'>): Promise<{ worker: Worker; stop: () => Promise<void> }> {
  const nativeConnection = await NativeConnection.connect(temporalConnectionOptions(stack.config, testTemporalAddress()));
  const worker = await createCaseWorker({ connection: nativeConnection, namespace: stack.config.TEMPORAL_NAMESPACE, taskQueue: stack.taskQueue, db: stack.db, config: stack.config, workflowBundle: await testWorkflowBundle() });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  const stopOnce = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await nativeConnection.close();
  };
  // However often it is called, the worker is shut down and its native connection closed once.
  return { worker, stop: () => (stopped ??= stopOnce()) };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Waits until the server has seen the worker poll its task queue: on a loaded machine a worker can
 * take seconds to start polling, and the server answers queries on an unpolled queue with
 * "no poller seen" rather than waiting.
 */
async function pollersSeen(connection: Connection, namespace: string, taskQueue: string): Promise<void> {
  await eventually(
    async () => {
      const { pollers } = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
      return (pollers?.length ?? 0) > 0;
    },
    60_000,
    `a worker polling ${taskQueue}`,
  );
}
