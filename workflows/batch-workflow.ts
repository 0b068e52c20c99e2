import { CancellationScope, continueAsNew, isCancellation, proxyActivities, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { BATCH_LIMITS, type BatchItemResult, type BatchWorkflowInput } from '../domain/batch';

type Activities = ReturnType<typeof createActivities>;

// An item is retried while the case service is unreachable or the case is busy (about 8 minutes);
// after that it is recorded as failed and the batch goes on.
const itemOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
};
const { applyBatchItem } = proxyActivities<Activities>(itemOptions);
const { recordBatchItem, finishBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** What each outcome counted so far (carried across continue-as-new). */
export type BatchCounts = Record<BatchItemResult['outcome'], number>;

/**
 * A bulk action or a template migration (workflow id `bulk-…` / `migration-…`, visible in the
 * Temporal UI): sends each case its command, a few at a time and no faster than `perSecond`, each
 * as the actor who asked. Resumes where it was after a crash (a case's item carries a request id of
 * the batch, so one cut off mid-way is applied once); cancelled, it marks the cases it never reached.
 * Each run handles at most BATCH_LIMITS.casesPerRun cases, then continues as new.
 */
export async function batchWorkflow(input: BatchWorkflowInput & { counts?: BatchCounts }): Promise<BatchCounts> {
  const counts: BatchCounts = input.counts ?? { applied: 0, refused: 0, not_visible: 0, failed: 0 };
  let offset = input.offset ?? 0;
  const runEnd = Math.min(input.caseKeys.length, offset + BATCH_LIMITS.casesPerRun);
  try {
    while (offset < runEnd) {
      const chunk = input.caseKeys.slice(offset, Math.min(runEnd, offset + BATCH_LIMITS.concurrency));
      const started = Date.now();
      for (const result of await Promise.all(chunk.map((caseKey) => applyItem(input, caseKey)))) counts[result.outcome]++;
      offset += chunk.length;
      // The rate limit: a chunk of n cases takes at least n / perSecond seconds.
      const wait = Math.ceil((chunk.length * 1000) / input.perSecond) - (Date.now() - started);
      if (wait > 0 && offset < input.caseKeys.length) await sleep(wait, { summary: `rate limit: ${input.perSecond} cases/s` });
    }
    if (offset < input.caseKeys.length) return await continueAsNew<typeof batchWorkflow>({ ...input, offset, counts });
    await finishBatch({ batchId: input.batchId, status: 'completed' });
    return counts;
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => finishBatch({ batchId: input.batchId, status: 'cancelled' }));
    throw err;
  }
}

async function applyItem(input: BatchWorkflowInput, caseKey: string): Promise<BatchItemResult> {
  try {
    // Summarised for the Temporal UI: `advance ONB-12`, `migrate ONB-12`.
    const summary = `${input.message.type === 'command' ? input.message.command.type : 'migrate'} ${caseKey}`;
    return await applyBatchItem.executeWithOptions({ ...itemOptions, summary }, [{ batchId: input.batchId, caseKey, actor: input.actor, message: input.message }]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const detail = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    const result: BatchItemResult = { caseKey, outcome: 'failed', code: 'failed', detail: detail.slice(0, 2000) };
    await recordBatchItem({ batchId: input.batchId, result });
    return result;
  }
}
