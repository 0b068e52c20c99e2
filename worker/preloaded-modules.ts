/**
 * The domain modules the case workflow imports, which the SDK evaluates once per workflow thread
 * and shares, frozen, among the workflows it runs (`preloadModules`) instead of evaluating a copy
 * for every case. They are pure rules: no per-workflow state, no workflow APIs, nothing they
 * export is written after their module scope has run. That cut the worker's heap per cached case
 * from 173 KB to 111 KB (the raw SDK's minimal workflow: 67 KB); what it saves of a start's worker
 * CPU was within the measurement's noise. What they import from packages comes along (mustache,
 * json-logic-js, which the domain configures while its module scope runs); luxon and zod, which
 * mutate their own caches, stay each workflow's own and are loaded only where needed. test/worker/preloaded-modules.test.ts
 * keeps this list equal to the domain modules the workflow bundle imports eagerly.
 */
const DOMAIN_MODULES = [
  'actor',
  'automations',
  'batch',
  'budgets',
  'case-state',
  'case-view',
  'command-verdict',
  'commands',
  'correlation',
  'decide',
  'durations',
  'effect-outcomes',
  'fields',
  'limits',
  'logic-budget',
  'mentions',
  'migration',
  'recipients',
  'rejections',
  'render',
  'run-details',
  'shapes',
  'sla',
  'template',
  'template-vocabulary',
  'visibility',
];

/** Absolute paths of the modules to preload, as `BundleOptions.preloadModules` takes them. */
export function preloadedModules(): string[] {
  return DOMAIN_MODULES.map((name) => require.resolve(`../domain/${name}`));
}
