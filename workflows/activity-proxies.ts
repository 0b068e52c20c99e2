import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { EffectResult } from '../domain/effect-outcomes';
import type { Effect, EffectActivities } from '../domain/effects';
import type { ProjectionBatch } from '../db/read-model';

export type { EffectActivities } from '../domain/effects';

type Activities = ReturnType<typeof createActivities>;

/**
 * Activities with a summary each, so a run reads in the Temporal UI without opening payloads:
 * `projectCase ONB-12 seq 40–42`, `email: Welcome to participant P-1`. Summaries name cases, rules,
 * roles and ids, never field values, names or addresses.
 */

/** Projection: retried until the read model takes it, without holding the case's workflow task. */
const projectionOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
const projection = proxyActivities<Activities>(projectionOptions);

export function projectCase(batch: ProjectionBatch): Promise<{ projectedThrough: number }> {
  const first = batch.events[0]?.seq;
  const last = batch.events[batch.events.length - 1]?.seq;
  const seqs = first === undefined ? 'view' : first === last ? `seq ${first}` : `seq ${first}–${last}`;
  return projection.projectCase.executeWithOptions({ ...projectionOptions, summary: `projectCase ${batch.caseKey} ${seqs}` }, [batch]);
}

// Each effect is idempotent by its key, so retries are safe; after the last attempt the failure
// is recorded on the timeline and the case carries on.
const messagingOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
};
const webhookOptions: ActivityOptions = {
  // Longer than the largest WEBHOOK_TIMEOUT_MS (2 minutes): the activity times its own call out.
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
};
const documentOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
};
/** The proxies themselves (no summaries): also what the frozen v1 code (workflows/legacy) calls. */
export const messaging = proxyActivities<EffectActivities>(messagingOptions);
export const webhooks = proxyActivities<EffectActivities>(webhookOptions);
export const documents = proxyActivities<EffectActivities>(documentOptions);

/** Runs an effect through its activity, with a summary of what it does. */
export function callEffect(effect: Effect): Promise<EffectResult> {
  const rule = effect.ref.name ?? effect.ref.rule;
  switch (effect.kind) {
    case 'email':
      return messaging.sendEmail.executeWithOptions({ ...messagingOptions, summary: `email: ${rule} to ${recipientLabel(effect.to)}` }, [effect]);
    case 'notify':
      return messaging.notifyUser.executeWithOptions({ ...messagingOptions, summary: `notify ${effect.to.userId}: ${rule}` }, [effect]);
    case 'webhook':
      return webhooks.callWebhook.executeWithOptions({ ...webhookOptions, summary: `webhook to ${hostOf(effect.url)}: ${rule}` }, [effect]);
    case 'generateDocument':
      return documents.generateDocument.executeWithOptions({ ...documentOptions, summary: `generate document ${effect.template.key}: ${rule}` }, [effect]);
  }
}

/** Who an e-mail goes to, without the address or the name: a participant, a user, or "an address". */
function recipientLabel(to: { participantId?: string | undefined; userId?: string | undefined }): string {
  if (to.participantId) return `participant ${to.participantId}`;
  if (to.userId) return `user ${to.userId}`;
  return 'an address from the case';
}

/** The host of a URL (no path or query: they may carry tokens). */
function hostOf(url: string): string {
  return /^[a-z]+:\/\/([^/?#]+)/i.exec(url)?.[1] ?? 'an URL';
}
