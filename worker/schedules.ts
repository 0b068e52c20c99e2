import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../config/env';

/** Id of the daily owner digest schedule, as shown in the Temporal UI's Schedules page. */
export const DIGEST_SCHEDULE_ID = 'owner-digest';

/**
 * The workflow the schedule starts (`digestWorkflow`, exported from workflows/index.ts). Named
 * rather than imported, so the worker process does not load workflow code outside its sandbox.
 */
export const DIGEST_WORKFLOW_TYPE = 'digestWorkflow';

export interface DigestScheduleOptions {
  client: Client;
  config: Pick<Config, 'DIGEST_SCHEDULE' | 'DIGEST_TIMEZONE'>;
  /** The task queue of the worker that serves `digestWorkflow`. */
  taskQueue: string;
}

/**
 * Creates the `owner-digest` schedule, or — when it exists (another worker, an earlier boot) —
 * sets its spec and action to the configured ones, so a changed DIGEST_SCHEDULE or
 * DIGEST_TIMEZONE takes effect at the next worker start. Safe to call on every boot and from
 * several workers at once. A paused schedule stays paused (its state is left alone).
 */
export async function ensureDigestSchedule(opts: DigestScheduleOptions): Promise<'created' | 'updated'> {
  const spec: ScheduleSpec = { cronExpressions: [opts.config.DIGEST_SCHEDULE], timezone: opts.config.DIGEST_TIMEZONE };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: DIGEST_WORKFLOW_TYPE,
    taskQueue: opts.taskQueue,
    // The server appends the scheduled time, so each run has its own id in the UI.
    workflowId: DIGEST_SCHEDULE_ID,
    staticSummary: 'Daily digest of overdue and due-soon cases per owner',
  };
  try {
    await opts.client.schedule.create({
      scheduleId: DIGEST_SCHEDULE_ID,
      spec,
      action,
      // A digest still running when the next is due makes the next one redundant.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await opts.client.schedule.getHandle(DIGEST_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec,
    action,
    state: { paused: previous.state.paused, ...(previous.state.note !== undefined ? { note: previous.state.note } : {}), ...remainingActions(previous.state) },
  }));
  return 'updated';
}

/** A schedule limited to N actions keeps its remaining count across the update. */
function remainingActions(state: { remainingActions?: number }): { remainingActions?: number } {
  return state.remainingActions !== undefined ? { remainingActions: state.remainingActions } : {};
}
