import v8 from 'node:v8';
import type { Config } from '../config/env';

/**
 * Heap a cached case workflow may need, worst case. A typical case costs ~0.13 MB of heap in the
 * worker (measured; the minimal raw-SDK workflow costs ~0.07 MB), but one filled to every byte
 * budget of domain/limits.ts carries ~1.1 MB of JSON (its input, state, backlog and effects): the
 * default cache is sized for those, so no mix of cases can exhaust the heap.
 */
export const HEAP_MIB_PER_CACHED_CASE = 2;
const MIN_CACHE = 50;
const MAX_DEFAULT_CACHE = 2000;

export interface WorkflowCacheSize {
  maxCachedWorkflows: number;
  heapLimitMiB: number;
  /** `configured` (WORKER_MAX_CACHED_WORKFLOWS) or `heap` (derived from the heap limit). */
  basis: 'configured' | 'heap';
}

/**
 * How many case workflows the worker keeps in memory. The SDK's default is sized from the heap
 * limit at ~1.7 MB per workflow, far above what a case could cost before (2.4 MB) and still above
 * a worst-case case now; the worker died past ~1,500 open cases. Cases beyond the cache are
 * evicted and replayed from history on their next task, correctly, so the number of open cases
 * is unbounded and memory is not. The workflow thread's heap is the process's
 * (`NODE_OPTIONS=--max-old-space-size=<MiB>`).
 */
export function workflowCacheSize(config: Pick<Config, 'WORKER_MAX_CACHED_WORKFLOWS'>, heapLimitBytes = v8.getHeapStatistics().heap_size_limit): WorkflowCacheSize {
  const heapLimitMiB = Math.floor(heapLimitBytes / 2 ** 20);
  if (config.WORKER_MAX_CACHED_WORKFLOWS) return { maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS, heapLimitMiB, basis: 'configured' };
  // Half the heap for cached cases; the rest for activities, the SDK and garbage.
  const fromHeap = Math.floor(heapLimitMiB / 2 / HEAP_MIB_PER_CACHED_CASE);
  return { maxCachedWorkflows: Math.min(MAX_DEFAULT_CACHE, Math.max(MIN_CACHE, fromHeap)), heapLimitMiB, basis: 'heap' };
}
