import { createRequire } from 'node:module';
import os from 'node:os';
import { bundleWorkflowCode, NativeConnection, Worker, type BundleOptions, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { DEFAULT_WORKFLOW_STACK_FRAMES, type Config } from '../config/env';
import { createLogger } from '../config/logger';
import type { Database } from '../db/connection';
import type { CaseMetrics } from '../metrics/case-metrics';
import { FAILURE_CONVERTER_PATH, temporalDataConverter } from '../temporal/data-converter';
import type { Tracing } from '../startup/tracing';
import { workerInterceptors, workerSinks, workflowInterceptorModules } from './interceptors';
import { preloadedModules } from './preloaded-modules';
import { workflowCacheSize } from './workflow-cache';
import { leanWorkflowThreads } from './workflow-threads';

/** Webpack as the SDK's bundler loads it: a plugin made by another copy of webpack would not be recognised. */
const sdkWebpack = createRequire(require.resolve('@temporalio/worker'))('webpack') as typeof import('webpack');

/** Loaded before everything else in each workflow sandbox: how many frames its stack traces keep (the module says why). */
const SANDBOX_STACK_FRAMES_MODULE = require.resolve('../workflows/sandbox-stack-frames');

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
  /** OpenTelemetry, when on (startup/tracing.ts). A pre-built bundle must then include its workflow interceptors (`workflowBundleOptions(true)`). */
  tracing?: Tracing;
}

/**
 * What the workflow bundle is built from, whether the worker bundles at start or `npm run
 * build:workflows` ahead of time: the workflows, the failure converter (failures raised in workflow
 * code are encoded, and so encrypted), the workflow interceptor modules (OpenTelemetry's only
 * with tracing on), the preloaded modules, and the stack frames workflow code keeps
 * (WORKFLOW_STACK_FRAMES, inlined into workflows/sandbox-stack-frames.ts). One definition, so a
 * prebuilt bundle holds what a started one would.
 */
export function workflowBundleOptions(
  tracing: boolean,
  stackFrames: number = DEFAULT_WORKFLOW_STACK_FRAMES,
): Pick<BundleOptions, 'workflowsPath' | 'failureConverterPath' | 'workflowInterceptorModules' | 'preloadModules' | 'webpackConfigHook'> {
  return {
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    workflowInterceptorModules: workflowInterceptorModules(tracing),
    // First, so the limit holds for every stack taken in the sandbox, the other modules' included.
    preloadModules: [SANDBOX_STACK_FRAMES_MODULE, ...preloadedModules()],
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), new sdkWebpack.DefinePlugin({ __WORKFLOW_STACK_FRAMES__: JSON.stringify(stackFrames) })],
    }),
  };
}

/** Worker options that bundle the workflows at start from `workflowBundleOptions` (the worker adds its own interceptors and failure converter). */
function bundledAtStart(tracing: boolean, stackFrames: number): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  const { workflowsPath, preloadModules, webpackConfigHook } = workflowBundleOptions(tracing, stackFrames);
  return { workflowsPath, bundlerOptions: { preloadModules, webpackConfigHook } };
}

/** The workflow code bundled for `workflowBundle: { codePath }` (webpack's output goes to `logger`). */
export async function buildWorkflowBundle(opts: { tracing: boolean; stackFrames?: number; logger?: BundleOptions['logger'] }): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(opts.tracing, opts.stackFrames), ...(opts.logger ? { logger: opts.logger } : {}) });
  return code;
}

/**
 * Threads that run workflow code. The SDK's default is one; a case's workflow task does more than
 * a minimal workflow's, and under concurrent starts they queued behind each other on that thread
 * (first workflow task p50 1.9× the raw SDK's at 8 concurrent starts with one thread, 1.5× with
 * two, on 2 cores). Two where there are two cores; WORKER_WORKFLOW_THREADS to choose.
 */
export function workflowThreads(config: Pick<Config, 'WORKER_WORKFLOW_THREADS'>, cores = os.availableParallelism()): number {
  return config.WORKER_WORKFLOW_THREADS ?? Math.min(2, Math.max(1, cores));
}

/** A worker that runs case workflows and their activities on one task queue. */
export async function createCaseWorker(opts: CaseWorkerOptions): Promise<Worker> {
  const { maxCachedWorkflows } = workflowCacheSize(opts.config);
  const sinks = workerSinks(opts.tracing);
  // Workflow threads without the TypeScript loader, and without the SDK's promise stacks when workflow stacks keep no frames (the module says why).
  const threads = leanWorkflowThreads({ recordStacks: opts.config.WORKFLOW_STACK_FRAMES > 0 });
  // Said whoever created the worker: `npm run worker` hands in no logger (activities make their own).
  if (!threads.applied) (opts.log ?? createLogger(opts.config, 'worker')).warn({ reason: threads.reason }, 'workflow threads start as the SDK starts them: each workflow task costs more');
  return Worker.create({
    maxCachedWorkflows,
    workflowThreadPoolSize: workflowThreads(opts.config),
    // As many pollers on the task queue as on this worker's sticky queue (the SDK's default is 1:5).
    // A case's first workflow task, and any after its eviction, waits on the task queue: under 8
    // concurrent starts that wait was 50 ms at p50 and 190 ms at p99 with the default, 25 and 95 ms
    // with this (npm run bench, one run each); a command's tasks on the sticky queue lose nothing.
    nonStickyToStickyPollRatio: 1,
    // Activities in flight at shutdown get this long to finish (each is idempotent, so one cut off is redone later).
    shutdownGraceTime: '5 seconds',
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    // Decrypts what workflows and activities receive, encrypts what they send (PAYLOAD_KEYS).
    dataConverter: temporalDataConverter(opts.config),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : bundledAtStart(!!opts.tracing, opts.config.WORKFLOW_STACK_FRAMES)),
    activities: createActivities({ db: opts.db, config: opts.config, ...(opts.log ? { log: opts.log } : {}), ...(opts.metrics ? { metrics: opts.metrics } : {}) }),
    // A pre-built bundle has its workflow interceptor modules already (the SDK ignores them then).
    interceptors: opts.workflowBundle ? { activity: workerInterceptors(opts.tracing).activity } : workerInterceptors(opts.tracing),
    ...(sinks ? { sinks } : {}),
  });
}
