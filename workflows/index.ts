// The worker bundles this module: every workflow the task queue serves is exported here.
export { caseWorkflow } from './case-workflow';
export { digestWorkflow } from './digest-workflow';
export { batchWorkflow } from './batch-workflow';
