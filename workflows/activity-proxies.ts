import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { EffectActivities } from '../domain/effects';

export type { EffectActivities } from '../domain/effects';

type Activities = ReturnType<typeof createActivities>;

/** Projection: retried until the read model takes it, without holding the case's workflow task. */
export const { projectCase } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
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
