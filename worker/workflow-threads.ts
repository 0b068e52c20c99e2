import workerThreads, { type WorkerOptions as ThreadOptions } from 'node:worker_threads';

/**
 * How the SDK's workflow threads start. The SDK builds them itself (`new Worker(<its thread
 * module>)`, no options), so they inherit the process's Node options and the SDK's global hooks;
 * two of those cost every workflow task without giving a case anything:
 *
 * - **The TypeScript loader.** `npm run worker` runs under tsx, which turns Node's source maps on
 *   in every thread it is loaded into. A workflow thread runs only the SDK's JavaScript and the
 *   webpack bundle (whose frames the SDK maps itself), but with source maps on Node scans every
 *   piece of code compiled from a string for a source-map comment — and the SDK's promise hook
 *   compiles two or three (`Function('return globalThis…')`) for every promise workflow code
 *   creates, ~17 per command. The threads start without tsx and with source maps off.
 * - **The promise hook itself**, which records a stack for every such promise for the Temporal UI's
 *   Stack Trace tab. With no frames kept in workflow stacks (WORKFLOW_STACK_FRAMES=0, the default)
 *   those stacks are empty anyway, so the hook is not installed: the SDK then answers the
 *   `__stack_trace` query "stack traces are not enabled on this worker", as it does on runtimes
 *   without promise hooks. With frames, the hook is installed as usual.
 *
 * Measured in the reference benchmark (commands phase, two runs each): the case's workflow task
 * took 8.1 ms at p50 as the SDK starts its threads, 7.6 ms without tsx, 6.9 ms without the hook
 * too; the same update sent straight to the case came out level with the raw SDK's minimal
 * workflow (0.98–1.08× its p50), and the worker's CPU per command fell from 7.0–8.2 ms to 5.4–6.9 ms.
 *
 * This reaches into the SDK (the path of its thread module and its `globalHandlers`); a version
 * without them gets its own threads, unchanged, and a warning (`leanWorkflowThreads` answers why).
 */

/** The SDK's workflow thread module, as its thread pool names it. */
const SDK_THREAD_MODULE = 'lib/workflow/workflow-worker-thread';
/** Where the SDK keeps the hooks it installs once per thread (`globalHandlers.install()`). */
const SDK_HOOKS_MODULE = 'lib/workflow/vm-shared';

export interface WorkflowThreadSetup {
  /** Record promise stacks for the Stack Trace tab (the SDK's promise hook): only worth it when workflow stacks keep frames. */
  recordStacks: boolean;
}

/** Node options a workflow thread takes from its process: all but the TypeScript loader (`--import tsx`, `--require tsx/cjs`, `--loader tsx`…). */
export function threadExecArgv(execArgv: readonly string[]): string[] {
  const loads = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
  const isTsx = (spec: string) => /^tsx(\/|$)/.test(spec) || /[\\/]node_modules[\\/]tsx[\\/]/.test(spec);
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf('=');
    if (eq > 0 && loads.has(arg.slice(0, eq)) && isTsx(arg.slice(eq + 1))) continue;
    if (loads.has(arg) && i + 1 < execArgv.length && isTsx(execArgv[i + 1]!)) {
      i++;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}

/** The code a workflow thread starts with: its setup, then the SDK's own thread module. */
function threadSource(paths: { thread: string; hooks: string }, setup: WorkflowThreadSetup): string {
  return [
    'process.setSourceMapsEnabled(false);',
    // Marked installed, the SDK skips its promise hook and its stack formatting for workflow code.
    setup.recordStacks ? '' : `{ const hooks = require(${JSON.stringify(paths.hooks)}).globalHandlers; if (hooks && !hooks.installed) hooks.installed = true; }`,
    `require(${JSON.stringify(paths.thread)});`,
  ].join('\n');
}

/** The SDK's module paths, or why they cannot be found (another SDK version). */
function sdkPaths(): { thread: string; hooks: string } | { missing: string } {
  try {
    const base = require.resolve('@temporalio/worker/package.json').replace(/package\.json$/, '');
    return { thread: require.resolve(`${base}${SDK_THREAD_MODULE}`), hooks: require.resolve(`${base}${SDK_HOOKS_MODULE}`) };
  } catch (err) {
    return { missing: (err as Error).message };
  }
}

/**
 * What threads started from now on get, kept on the `node:worker_threads` module itself: one
 * installation per process, even where modules are loaded more than once (Jest's registry per test file).
 */
const STATE = Symbol.for('case-orchestrator.workflow-threads');
type Installed = { setup: WorkflowThreadSetup };

/**
 * Has the workflow threads the SDK starts from now on start as `setup` says (the SDK starts them in
 * `Worker.create`; call this right before it). The setup is the process's, not one worker's: two
 * workers created at once with different settings both get the later one's (tests create theirs
 * one at a time). Answers why it could not, if it could not: the SDK then starts its threads as it
 * always does.
 */
export function leanWorkflowThreads(setup: WorkflowThreadSetup): { applied: true } | { applied: false; reason: string } {
  const module = workerThreads as typeof workerThreads & { [STATE]?: Installed };
  const state = module[STATE];
  if (state) {
    state.setup = setup;
    return { applied: true };
  }
  const found = sdkPaths();
  if ('missing' in found) return { applied: false, reason: `this SDK version has no ${SDK_THREAD_MODULE} or ${SDK_HOOKS_MODULE} (${found.missing})` };
  // Narrowed once more for the class below (a narrowing does not reach into its constructor).
  const paths: { thread: string; hooks: string } = found;
  const installed: Installed = { setup };
  const NodeWorker = workerThreads.Worker;
  // Only the SDK's workflow threads are started differently; any other thread is left as it is asked for.
  class WorkflowThreadAware extends NodeWorker {
    constructor(filename: string | URL, options?: ThreadOptions) {
      if (String(filename) !== paths.thread || options?.eval) {
        super(filename, options);
        return;
      }
      super(threadSource(paths, installed.setup), { ...options, eval: true, execArgv: threadExecArgv(process.execArgv) });
    }
  }
  // The SDK reads `Worker` off the module each time it starts a thread.
  Object.assign(module, { Worker: WorkflowThreadAware, [STATE]: installed });
  return { applied: true };
}
