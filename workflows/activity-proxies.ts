import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { EffectActivities } from '../domain/effects';

export type { EffectActivities } from '../domain/effects';

type Activities = ReturnType<typeof createActivities>;

/**
 * Projection as a regular activity: retried until the read model takes it, without holding the
 * case's workflow task. The fallback when the local projection fails (PostgreSQL away), and how
 * runs recorded before local projection project.
 */
export const { projectCase } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Projection as a local activity: it runs inside the workflow task that recorded the events (a
 * signal, a deadline, an effect's outcome), so writing them costs no second workflow task. Short
 * and few attempts: a read model that is away must not hold the case's workflow task (and every
 * command behind it) for long — the regular activity above takes over.
 */
export const { projectCase: projectCaseLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 seconds',
  retry: { initialInterval: '50 milliseconds', backoffCoefficient: 4, maximumAttempts: 2 },
});

// Each effect is idempotent by its key, so retries are safe; after the last attempt the failure
// is recorded on the timeline and the case carries on.
export const messaging = proxyActivities<EffectActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});
export const webhooks = proxyActivities<EffectActivities>({
  // Longer than the largest WEBHOOK_TIMEOUT_MS (2 minutes): the activity times its own call out.
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});
export const documents = proxyActivities<EffectActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});
