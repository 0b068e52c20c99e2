/** Helpers for showing an API problem next to what it concerns. */
import { ApiProblem } from '../../lib/api';

/** Anything thrown while talking to the API, as a problem a page can show. */
export function asProblem(err: unknown): ApiProblem {
  return err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: err instanceof Error ? err.message : String(err) });
}

/**
 * Whether a failed command may be retried as the same action (same Idempotency-Key): the answer
 * was lost or the server was busy, so the case may or may not have applied it. A refusal (4xx) was
 * not applied; trying again after changing the input is a new action with a new key.
 */
export function isRetryable(error: ApiProblem): boolean {
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}
