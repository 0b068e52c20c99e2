import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import { temporalDataConverter } from '../temporal/data-converter';
import type { Tracing } from '../startup/tracing';
import { workerInterceptors, workerSinks } from './interceptors';
import { workflowCacheSize } from './workflow-cache';

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Database;
  config: Config;
  /** A pre-built bundle (tests build one and share it); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Where activities log; a pino logger at LOG_LEVEL on stdout when absent. */
  log?: Logger;
  /** OpenTelemetry, when on (startup/tracing.ts). A pre-built bundle must then include its workflow interceptors (`workflowInterceptorModules(true)`). */
  tracing?: Tracing;
}

/** A worker that runs case workflows and their activities on one task queue. */
export async function createCaseWorker(opts: CaseWorkerOptions): Promise<Worker> {
  const { maxCachedWorkflows } = workflowCacheSize(opts.config);
  const sinks = workerSinks(opts.tracing);
  return Worker.create({
    maxCachedWorkflows,
    // Activities in flight at shutdown get this long to finish (each is idempotent, so one cut off is redone later).
    shutdownGraceTime: '5 seconds',
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    // Decrypts what workflows and activities receive, encrypts what they send (PAYLOAD_KEYS).
    dataConverter: temporalDataConverter(opts.config),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ db: opts.db, config: opts.config, ...(opts.log ? { log: opts.log } : {}) }),
    // A pre-built bundle has its workflow interceptor modules already (the SDK ignores them then).
    interceptors: opts.workflowBundle ? { activity: workerInterceptors(opts.tracing).activity } : workerInterceptors(opts.tracing),
    ...(sinks ? { sinks } : {}),
  });
}
