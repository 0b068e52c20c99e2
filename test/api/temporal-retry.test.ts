import type { GrpcRetryOptions } from '@temporalio/client';
import { temporalRetryPolicy } from '../../api/temporal-retry';
import { grpcStatus } from '../../api/temporal-errors';

// The policy reads only the code; the metadata is not looked at.
const status = (code: number) => ({ code, details: '' }) as unknown as Parameters<GrpcRetryOptions['delayFunction']>[1];

/** The delays before each retry, while the policy keeps retrying a call that fails with `code`. */
function delays(method: string, code: number): number[] {
  const policy = temporalRetryPolicy(method);
  const out: number[] = [];
  for (let attempt = 1; policy.retryableDecider(attempt, status(code)); attempt++) out.push(policy.delayFunction(attempt, status(code)));
  return out;
}

describe('temporalRetryPolicy', () => {
  test('an update turned away while its case continues as new is resent within ~100 ms, for ~0.55 s in all', () => {
    const busy = delays('UpdateWorkflowExecution', grpcStatus.RESOURCE_EXHAUSTED);
    expect(busy).toEqual([25, 50, 75, 100, 100, 100, 100]);
  });

  test('anything else keeps the SDK backoff, over three attempts', () => {
    // A namespace over its rate limit: the SDK's own 1 s start, not hammered.
    const rateLimited = delays('StartWorkflowExecution', grpcStatus.RESOURCE_EXHAUSTED);
    expect(rateLimited).toHaveLength(2);
    expect(Math.min(...rateLimited)).toBeGreaterThanOrEqual(1000);
    const unreachable = delays('UpdateWorkflowExecution', grpcStatus.UNAVAILABLE);
    expect(unreachable).toHaveLength(2);
    expect(unreachable[0]).toBeGreaterThan(100);
    // Not retried at all: a refusal that would be the same next time.
    expect(delays('UpdateWorkflowExecution', grpcStatus.FAILED_PRECONDITION)).toEqual([]);
    expect(delays('UpdateWorkflowExecution', grpcStatus.NOT_FOUND)).toEqual([]);
  });
});
