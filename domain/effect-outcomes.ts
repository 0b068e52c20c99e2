import { systemActor } from './actor';
import type { CaseState } from './case-state';
import { decide } from './decide';
import type { Effect, EmailResult, GeneratedDocument, NotifyResult, WebhookResult } from './effects';
import type { EventDraft } from './events';
import { renderTemplate } from './render';
import type { TemplateDefinition } from './template';

export type EffectResult = EmailResult | NotifyResult | WebhookResult | GeneratedDocument;

/** How an effect's activity ended: its result, or why it failed after its last attempt. */
export type EffectOutcome =
  | { ok: true; result: EffectResult }
  | { ok: false; reason: string };

/**
 * The timeline events an effect's outcome leads to: `email.sent`, `notification.sent`,
 * `webhook.delivered`, a generated document uploaded to its slot, or `automation.failed`.
 * Pure, so the workflow only carries the effect out and the rules stay testable on their own.
 * `unbounded` renders subjects without the logic budget (runs that predate it).
 */
export function effectOutcomeEvents(
  state: CaseState,
  template: TemplateDefinition,
  effect: Effect,
  outcome: EffectOutcome,
  now: string,
  options: { unbounded?: boolean } = {},
): EventDraft[] {
  const ref = effect.ref;
  if (!outcome.ok) return [{ type: 'automation.failed', data: { ...ref, action: effect.kind, reason: outcome.reason.slice(0, 2000) } }];
  switch (effect.kind) {
    case 'email': {
      const sent = outcome.result as EmailResult;
      const subject = renderTemplate(effect.subject, effect.context, 'text', options).slice(0, 500);
      return [{ type: 'email.sent', data: { ...ref, to: effect.to.email, subject, emailId: sent.emailId, delivery: sent.delivery } }];
    }
    case 'notify': {
      const notified = outcome.result as NotifyResult;
      return [{ type: 'notification.sent', data: { ...ref, userId: effect.to.userId, notificationId: notified.notificationId } }];
    }
    case 'webhook': {
      const delivered = outcome.result as WebhookResult;
      return [{ type: 'webhook.delivered', data: { ...ref, url: effect.url, deliveryId: delivered.deliveryId, status: delivered.status } }];
    }
    case 'generateDocument': {
      // A generated document is an upload by the system: the same rules as anyone's upload.
      const doc = outcome.result as GeneratedDocument;
      const upload = { type: 'uploadDocument' as const, slot: effect.template.slot, ...doc, generatedFrom: effect.template.key };
      const decision = decide(state, template, upload, systemActor, now);
      return decision.ok
        ? decision.events
        : [{ type: 'automation.failed', data: { ...ref, action: 'generateDocument', reason: `${decision.rejection.code}: ${decision.rejection.detail}` } }];
    }
  }
}

/** The automation depth the events of an outcome react at: a failure starts no chain of its own. */
export function outcomeDepth(effect: Effect, outcome: EffectOutcome): number {
  return outcome.ok ? effect.depth : 0;
}
