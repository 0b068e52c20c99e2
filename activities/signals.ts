import { Context } from '@temporalio/activity';

/**
 * An abort signal for one outbound request: fires after `timeoutMs`, or when Temporal cancels
 * the activity (workflow cancelled, heartbeat timeout), so a hung call never outlives its attempt.
 * Outside an activity (a script calling the function directly) only the timeout applies.
 */
export function requestSignal(timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  let cancellation: AbortSignal | undefined;
  try {
    cancellation = Context.current().cancellationSignal;
  } catch {
    cancellation = undefined;
  }
  return cancellation ? AbortSignal.any([timeout, cancellation]) : timeout;
}

/** Reports progress to Temporal when running as an activity; a no-op elsewhere. */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not inside an activity
  }
}
