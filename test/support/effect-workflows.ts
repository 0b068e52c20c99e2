/**
 * Test-only workflows that run one effect activity with a given retry policy, so the activity
 * tests see real Temporal retries (attempts, backoff, non-retryable failures) on a real worker.
 */
import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import type { EmailEffect, NotifyEffect, WebhookEffect } from '../../domain/effects';

type Activities = ReturnType<typeof createActivities>;

const activities = (retry: RetryPolicy) => proxyActivities<Activities>({ startToCloseTimeout: '20 seconds', retry });

export async function runEmailEffect(effect: EmailEffect, retry: RetryPolicy) {
  return activities(retry).sendEmail(effect);
}

export async function runNotifyEffect(effect: NotifyEffect, retry: RetryPolicy) {
  return activities(retry).notifyUser(effect);
}

export async function runWebhookEffect(effect: WebhookEffect, retry: RetryPolicy) {
  return activities(retry).callWebhook(effect);
}
