/**
 * Workflow threads take the process's Node options but the TypeScript loader
 * (worker/workflow-threads.ts); whether they record promise stacks is tested through the Stack
 * Trace tab (sandbox-stack-frames.test.ts).
 */
import { threadExecArgv } from '../../worker/workflow-threads';

test('the TypeScript loader is left out, in each way Node is told to load it', () => {
  expect(threadExecArgv(['--import', 'tsx'])).toEqual([]);
  expect(threadExecArgv(['--import=tsx', '--require', 'tsx/cjs', '--loader', 'tsx/esm', '-r', '/app/node_modules/tsx/dist/cjs/index.cjs'])).toEqual([]);
});

test('every other option is kept as given, in its order', () => {
  expect(threadExecArgv(['--cpu-prof', '--cpu-prof-dir', '/tmp/prof', '--import', 'tsx', '--import', './tracing.mjs', '--enable-source-maps'])).toEqual([
    '--cpu-prof',
    '--cpu-prof-dir',
    '/tmp/prof',
    '--import',
    './tracing.mjs',
    '--enable-source-maps',
  ]);
  // A module that merely has "tsx" in its name is not the loader.
  expect(threadExecArgv(['--import', './tsx-helpers.mjs', '--require=my-tsx'])).toEqual(['--import', './tsx-helpers.mjs', '--require=my-tsx']);
});
