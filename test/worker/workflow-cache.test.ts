import { HEAP_MIB_PER_CACHED_CASE, workflowCacheSize } from '../../worker/workflow-cache';
import { workflowThreads } from '../../worker/create-worker';

const MiB = 2 ** 20;

test('the cache is sized from the heap, within bounds, unless configured', () => {
  expect(workflowCacheSize({}, 4144 * MiB)).toEqual({ maxCachedWorkflows: Math.floor(4144 / 2 / HEAP_MIB_PER_CACHED_CASE), heapLimitMiB: 4144, basis: 'heap' });
  expect(workflowCacheSize({}, 64 * MiB).maxCachedWorkflows).toBe(50);
  expect(workflowCacheSize({}, 64 * 1024 * MiB).maxCachedWorkflows).toBe(2000);
  expect(workflowCacheSize({ WORKER_MAX_CACHED_WORKFLOWS: 7 }, 4144 * MiB)).toMatchObject({ maxCachedWorkflows: 7, basis: 'configured' });
});

describe('workflowThreads', () => {
  test('two threads where there are two cores or more, one on a single core; the setting wins', () => {
    expect(workflowThreads({}, 1)).toBe(1);
    expect(workflowThreads({}, 2)).toBe(2);
    expect(workflowThreads({}, 16)).toBe(2);
    expect(workflowThreads({ WORKER_WORKFLOW_THREADS: 4 }, 2)).toBe(4);
  });
});
