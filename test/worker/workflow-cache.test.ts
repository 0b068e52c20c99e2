import { HEAP_MIB_PER_CACHED_CASE, workflowCacheSize } from '../../worker/workflow-cache';

const MiB = 2 ** 20;

test('the cache is sized from the heap, within bounds, unless configured', () => {
  expect(workflowCacheSize({}, 4144 * MiB)).toEqual({ maxCachedWorkflows: Math.floor(4144 / 2 / HEAP_MIB_PER_CACHED_CASE), heapLimitMiB: 4144, basis: 'heap' });
  expect(workflowCacheSize({}, 64 * MiB).maxCachedWorkflows).toBe(50);
  expect(workflowCacheSize({}, 64 * 1024 * MiB).maxCachedWorkflows).toBe(2000);
  expect(workflowCacheSize({ WORKER_MAX_CACHED_WORKFLOWS: 7 }, 4144 * MiB)).toMatchObject({ maxCachedWorkflows: 7, basis: 'configured' });
});
