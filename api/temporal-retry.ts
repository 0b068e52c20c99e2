import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions, type GrpcRetryOptions } from '@temporalio/client';
import { grpcStatus } from './temporal-errors';

type StatusObject = Parameters<GrpcRetryOptions['delayFunction']>[1];
type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** Attempts of any call: a few quick ones, then the request answers 503 (each call also has its deadline). */
const MAX_ATTEMPTS = 3;
/** Attempts of an update the server turned away as RESOURCE_EXHAUSTED: 25, 50, 75, 100, 100… ms apart, ~0.55 s in all. */
const UPDATE_BUSY_ATTEMPTS = 8;

/**
 * How the API's Temporal client retries a failed call of `method` (a gRPC method name of the
 * WorkflowService). The SDK's default waits 1 s, then 1.7 s, after a RESOURCE_EXHAUSTED, which suits
 * a namespace over its rate limit; but the server also answers an update with RESOURCE_EXHAUSTED
 * ("workflow is closing") when it reaches a case in the very workflow task that continues it as
 * new, and the resend lands on the new run, ready ~100 ms later. With the default that command
 * stalled 1.7–1.9 s (measured); an update is therefore resent after 25 ms, then a little later each
 * time, up to ~0.55 s, after which the case answers `case_busy`.
 */
export function temporalRetryPolicy(method: string): GrpcRetryOptions {
  const base = defaultGrpcRetryOptions({ maxAttempts: MAX_ATTEMPTS });
  if (method !== 'UpdateWorkflowExecution') return base;
  const busy = (status: StatusObject) => status.code === grpcStatus.RESOURCE_EXHAUSTED;
  return {
    retryableDecider: (attempt, status) => (busy(status) ? attempt < UPDATE_BUSY_ATTEMPTS : base.retryableDecider(attempt, status)),
    delayFunction: (attempt, status) => (busy(status) ? Math.min(25 * attempt, 100) : base.delayFunction(attempt, status)),
  };
}

/** The client interceptor applying `temporalRetryPolicy` to each call by its method. */
export function temporalRetryInterceptor(): Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path;
    return makeGrpcRetryInterceptor(temporalRetryPolicy(path.slice(path.lastIndexOf('/') + 1)))(options, nextCall);
  };
}
