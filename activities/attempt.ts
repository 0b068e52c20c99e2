import { Context } from '@temporalio/activity';

/** The running activity's attempt number (1 for the first); 1 when called outside an activity (tests). */
export function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
