// Stands in for zod and luxon in test/workflows/workflow-bundle.test.ts: evaluating it means the
// case workflow loaded a module that costs every open case memory it should not.
throw new Error('zod or luxon was loaded in a case workflow');
