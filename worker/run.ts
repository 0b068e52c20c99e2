import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { createTemporalLogger } from '../config/logger';
import type { Database } from '../db/connection';
import { CaseMetrics } from '../metrics/case-metrics';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { temporalDataConverter } from '../temporal/data-converter';
import { startTracing } from '../startup/tracing';
import { createCaseWorker, workflowThreads } from './create-worker';
import { freeLoopbackPort, listenHealth, workerHealthApp } from './health-server';
import { ensureDigestSchedule } from './schedules';
import { registerSearchAttributes } from './search-attributes';
import { workflowCacheSize } from './workflow-cache';

export interface RunningWorker {
  /** Resolves when the worker stops; rejects if it fails. */
  done: Promise<void>;
  /** Where `/healthz`, `/readyz` and `/metrics` are served, when they are (WORKER_PORT). */
  healthUrl?: string;
  /** Stops polling and waits for tasks in flight; safe to call more than once. */
  stop(): Promise<void>;
}

/** Set once this process has installed the SDK runtime: the URL of its Prometheus exporter. */
let runtime: { sdkMetricsUrl: string } | undefined;

/**
 * Finer buckets (seconds) than the SDK's defaults, whose first is 0.1 s: a healthy workflow task
 * waits and runs for milliseconds, and the dashboard's percentiles need buckets there.
 */
const LATENCY_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const SDK_LATENCY_BUCKETS = Object.fromEntries(
  [
    'workflow_task_schedule_to_start_latency',
    'workflow_task_execution_latency',
    'workflow_task_replay_latency',
    'activity_schedule_to_start_latency',
    'activity_execution_latency',
    'request_latency',
  ].map((name) => [name, LATENCY_SECONDS]),
);

/**
 * The SDK runtime, once per process: logs through our logger, no signal handlers of its own (the
 * process decides when the worker stops, after the API has drained), and the core's metrics
 * exported in Prometheus form on a loopback port the health server reads them from, so each
 * worker has one /metrics. Counters end in `_total` and durations are seconds, as Prometheus
 * names them.
 */
async function installRuntime(log: Logger): Promise<{ sdkMetricsUrl: string }> {
  if (runtime) return runtime;
  // The exporter cannot tell which port it took for `:0`: a free one is picked first, and picked
  // again should another process take it in between (the install then fails, and can be redone).
  for (let attempt = 1; ; attempt++) {
    const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
    try {
      Runtime.install({
        // The SDK's lines — the core's forwarded too — are the same JSON as the service's own.
        logger: createTemporalLogger(log.child({ sdk: 'temporal' })),
        shutdownSignals: [],
        telemetryOptions: {
          logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
          metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true, histogramBucketOverrides: SDK_LATENCY_BUCKETS } },
        },
      });
      runtime = { sdkMetricsUrl: `http://${bindAddress}/metrics` };
      return runtime;
    } catch (err) {
      if (attempt >= 5 || !/address already in use/i.test((err as Error).message)) throw err;
    }
  }
}

/** How webpack names OpenTelemetry's workflow interceptor module in a bundle that has it (workflowBundleOptions(true)). */
const TRACING_MODULE = '"./workflows/tracing-interceptors';

/**
 * The prebuilt bundle WORKFLOW_BUNDLE names, if any. A missing file, or one built for the other
 * tracing setting (OpenTelemetry's workflow interceptors are bundled only for tracing), stops the
 * start rather than running workflows different from what this worker would bundle itself.
 */
function prebuiltBundle(config: Config, tracing: boolean): { codePath: string } | undefined {
  if (!config.WORKFLOW_BUNDLE) return undefined;
  const codePath = path.resolve(config.WORKFLOW_BUNDLE);
  if (!fs.existsSync(codePath)) throw new Error(`WORKFLOW_BUNDLE=${config.WORKFLOW_BUNDLE} does not exist: build it with \`npm run build:workflows\`, or unset it to bundle at start`);
  const hasTracing = fs.readFileSync(codePath, 'utf8').includes(TRACING_MODULE);
  if (hasTracing !== tracing) {
    throw new Error(
      `WORKFLOW_BUNDLE=${config.WORKFLOW_BUNDLE} was built ${hasTracing ? 'with' : 'without'} tracing, but tracing is ${tracing ? 'on (OTEL_EXPORTER_OTLP_ENDPOINT)' : 'off'}: ` +
        `build it with \`npm run build:workflows${tracing ? ' -- --tracing' : ''}\`, or unset it to bundle at start`,
    );
  }
  return { codePath };
}

/**
 * The worker service as every run mode starts it (`npm start`, `npm run worker`): the SDK
 * runtime, the case search attributes, the worker, the owner-digest schedule, and its health and
 * metrics server on WORKER_PORT (else `health.port`; none when both are unset) and HOST (else
 * `health.host`).
 */
export async function runWorker(opts: {
  config: Config;
  log: Logger;
  db: Database;
  temporalAddress: string;
  health?: { port?: number; host: string };
}): Promise<RunningWorker> {
  const { config, log, db, temporalAddress } = opts;
  const { sdkMetricsUrl } = await installRuntime(log);
  const tracing = startTracing(config);
  const workflowBundle = prebuiltBundle(config, !!tracing);
  const connectionOptions = temporalConnectionOptions(config, temporalAddress);
  const client = await Connection.connect(connectionOptions);
  try {
    await registerSearchAttributes(client, config.TEMPORAL_NAMESPACE);
    // The schedule's workflow arguments are payloads too: encrypted like every other.
    const scheduleClient = new Client({ connection: client, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter(config) });
    const digest = await ensureDigestSchedule({ client: scheduleClient, config, taskQueue: config.TEMPORAL_TASK_QUEUE });
    log.info({ schedule: digest, cron: config.DIGEST_SCHEDULE, timezone: config.DIGEST_TIMEZONE }, 'owner digest schedule ready');
  } finally {
    await client.close();
  }
  const connection = await NativeConnection.connect(connectionOptions);
  const metrics = new CaseMetrics();
  const worker = await createCaseWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db,
    config,
    metrics,
    ...(tracing ? { tracing } : {}),
    ...(workflowBundle ? { workflowBundle } : {}),
  });
  const cache = workflowCacheSize(config);
  const port = config.WORKER_PORT ?? opts.health?.port;
  // Listening before the worker runs: a port already taken fails the start with nothing left running.
  const health =
    port === undefined
      ? undefined
      : await listenHealth(workerHealthApp({ worker, connection, db, metrics, sdkMetricsUrl }), port, config.HOST ?? opts.health?.host ?? '0.0.0.0').catch(async (err: unknown) => {
          await connection.close().catch(() => undefined);
          throw err;
        });
  const done = worker.run().finally(() => connection.close().catch(() => undefined));
  log.info(
    { taskQueue: config.TEMPORAL_TASK_QUEUE, address: temporalAddress, workflowBundle: workflowBundle?.codePath ?? 'bundled at start', ...(health ? { healthUrl: health.url } : {}), ...cache, workflowThreads: workflowThreads(config) },
    'worker started',
  );
  let stopped: Promise<void> | undefined;
  return {
    done,
    ...(health ? { healthUrl: health.url } : {}),
    stop: () =>
      (stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
        await tracing?.flush().catch(() => undefined);
        await health?.close();
      })()),
  };
}
