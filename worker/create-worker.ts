import { bundleWorkflowCode, NativeConnection, Worker, type BundleOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import type { CaseMetrics } from '../metrics/case-metrics';
import { workflowCacheSize } from './workflow-cache';

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Database;
  config: Config;
  /** A pre-built bundle (the image's WORKFLOW_BUNDLE; tests build one and share it); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Where activities log; a pino logger at LOG_LEVEL on stdout when absent. */
  log?: Logger;
  /** Where activities count what they store and deliver (served at the worker's /metrics). */
  metrics?: CaseMetrics;
}

/**
 * What the workflow bundle is built from, whether at worker start or ahead of time
 * (`npm run build:workflows`): one definition, so a prebuilt bundle holds what a started one would.
 */
export function workflowBundleOptions(): Pick<BundleOptions, 'workflowsPath'> {
  return { workflowsPath: require.resolve('../workflows') };
}

/** The workflow code bundled for `workflowBundle: { codePath }` (webpack's output goes to `logger`). */
export async function buildWorkflowBundle(logger?: BundleOptions['logger']): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), ...(logger ? { logger } : {}) });
  return code;
}

/** A worker that runs case workflows and their activities on one task queue. */
export async function createCaseWorker(opts: CaseWorkerOptions): Promise<Worker> {
  const { maxCachedWorkflows } = workflowCacheSize(opts.config);
  return Worker.create({
    maxCachedWorkflows,
    // Activities in flight at shutdown get this long to finish (each is idempotent, so one cut off is redone later).
    shutdownGraceTime: '5 seconds',
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : workflowBundleOptions()),
    activities: createActivities({ db: opts.db, config: opts.config, ...(opts.log ? { log: opts.log } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) }),
  });
}
