import { Context } from '@temporalio/activity';

/** The running activity's attempt number (1 for the first); 1 when called outside an activity (tests). */
export function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Runs one attempt of a delivery and counts how it went, with the activity's attempt number:
 * the outcome `run` reports, or the one `failed` reads from what it threw (thrown on, unchanged).
 */
export async function countedAttempt<R, O extends string>(
  run: () => Promise<{ result: R; outcome: O }>,
  failed: (err: unknown) => O,
  count: ((outcome: O, attempt: number) => void) | undefined,
): Promise<R> {
  const attempt = activityAttempt();
  try {
    const { result, outcome } = await run();
    count?.(outcome, attempt);
    return result;
  } catch (err) {
    count?.(failed(err), attempt);
    throw err;
  }
}
