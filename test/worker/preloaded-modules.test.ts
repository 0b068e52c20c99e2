/**
 * The domain modules the worker shares among workflows (worker/preloaded-modules.ts) are exactly
 * those the workflow bundle holds, apart from the schemas an old case's workflow loads lazily:
 * a module the workflows start to import is shared too, and a listed one that no longer exists
 * fails here rather than in the bundler.
 */
import path from 'node:path';
import { buildWorkflowBundle } from '../../worker/create-worker';
import { preloadedModules } from '../../worker/preloaded-modules';

const root = path.resolve(__dirname, '../..');

test('the preloaded modules are the domain modules the workflow bundle imports eagerly', async () => {
  const code = await buildWorkflowBundle({ tracing: false, logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never });
  const bundled = [...new Set([...code.matchAll(/^\/\*\*\*\/ "\.\/(domain\/[^"]+\.ts)"/gm)].map((m) => m[1]!))].filter((m) => !m.startsWith('domain/schemas/'));
  expect(bundled.length).toBeGreaterThan(10);
  expect(preloadedModules().map((m) => path.relative(root, m)).sort()).toEqual(bundled.sort());
  // The bundle's entry evaluates them before any workflow exists (the SDK's `preloadModules`).
  // (Booleans, not matchers on `code`: a failure would print the whole bundle.)
  const preloads = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
  // Those, after the module that sets the sandbox's stack frames (workflows/sandbox-stack-frames.ts).
  const required = [...preloads.matchAll(/"(\.\/[^"]+)"\);/g)].map((m) => m[1]);
  expect(preloads.match(/__webpack_require__\(/g)?.length).toBe(preloadedModules().length + 1);
  expect(required[0]).toBe('./workflows/sandbox-stack-frames.ts');
}, 120_000);
