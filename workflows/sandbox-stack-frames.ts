/**
 * Loaded first into each workflow thread's sandbox, as a preloaded module (worker/create-worker.ts):
 * how many frames a stack trace taken in workflow code keeps. It has to run there, before the SDK
 * freezes the sandbox's globals, and V8 reads the limit of the sandbox's own `Error`, so the
 * worker's other stacks keep theirs.
 *
 * Why: the SDK records a stack for every promise workflow code creates (for the Temporal UI's Stack
 * Trace tab), source-mapped frame by frame; a command creates ~17 of them. With V8's default of 10
 * frames that cost 19 µs a promise against 5 µs with none (a micro-benchmark of the SDK's hook), and
 * ~1–1.5 ms of the worker's CPU per command in the reference benchmark — the largest single part of
 * what a case's workflow task costs more than a minimal workflow's. The price: errors raised in
 * workflow code carry their message without frames, and, with no frames to record, the worker does
 * not install the SDK's promise stack hook at all (worker/workflow-threads.ts), so the Stack Trace
 * tab says stack traces are not enabled — unless the bundle is built with frames
 * (WORKFLOW_STACK_FRAMES, inlined here by the bundler; README, "Workflow stack traces").
 */
declare const __WORKFLOW_STACK_FRAMES__: number | undefined;

Error.stackTraceLimit = typeof __WORKFLOW_STACK_FRAMES__ === 'number' ? __WORKFLOW_STACK_FRAMES__ : 10;

export {};
