import { proxyActivities } from '@temporalio/workflow';
import type { createActivities, DigestRunResult } from '../activities';

const { sendDigests } = proxyActivities<ReturnType<typeof createActivities>>({
  // One pass over every owner; heartbeats after each owner reveal a stuck worker early.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/**
 * The daily owner digest, started by the `owner-digest` Temporal Schedule (see
 * worker/schedules.ts). The digest is "as of" the workflow's start time; the activity dedupes
 * per owner and day, so a manual trigger on the same day sends nothing twice.
 */
export async function digestWorkflow(): Promise<DigestRunResult> {
  // Workflow time: the start of this run, identical on replay.
  return sendDigests({ at: new Date().toISOString() });
}
