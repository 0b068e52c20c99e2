import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { createTemporalLogger } from '../config/logger';
import type { Database } from '../db/connection';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { temporalDataConverter } from '../temporal/data-converter';
import { startTracing } from '../startup/tracing';
import { createCaseWorker } from './create-worker';
import { ensureDigestSchedule } from './schedules';
import { registerSearchAttributes } from './search-attributes';
import { workflowCacheSize } from './workflow-cache';

export interface RunningWorker {
  /** Resolves when the worker stops; rejects if it fails. */
  done: Promise<void>;
  /** Stops polling and waits for tasks in flight; safe to call more than once. */
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * The worker service as every run mode starts it (`npm start`, `npm run worker`): the SDK
 * runtime, the case search attributes, the worker, the owner-digest schedule.
 */
export async function runWorker(opts: { config: Config; log: Logger; db: Database; temporalAddress: string }): Promise<RunningWorker> {
  const { config, log, db, temporalAddress } = opts;
  if (!runtimeInstalled) {
    // The process decides when the worker stops (after the API has drained): no signal handlers of the SDK's own.
    // The SDK's lines — the core's forwarded too — are the same JSON as the service's own.
    Runtime.install({
      logger: createTemporalLogger(log.child({ sdk: 'temporal' })),
      shutdownSignals: [],
      telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    });
    runtimeInstalled = true;
  }
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
  const tracing = startTracing(config);
  const worker = await createCaseWorker({ connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, db, config, ...(tracing ? { tracing } : {}) });
  const cache = workflowCacheSize(config);
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: temporalAddress, ...cache }, 'worker started');
  const done = worker.run().finally(() => connection.close().catch(() => undefined));
  let stopped: Promise<void> | undefined;
  return {
    done,
    stop: () =>
      (stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch(() => undefined);
        await tracing?.flush().catch(() => undefined);
      })()),
  };
}
