import type { Cause } from './correlation';
import type { RuleRef } from './events';
import type { DocumentTemplate } from './template';

/**
 * Side effects an automation asks for. The workflow keeps them (across continue-as-new) until
 * the matching activity has finished, and records the outcome on the timeline. `key` is the
 * idempotency key: case key + the `automation.ran` event's seq + action index (+ recipient index),
 * so a retried or re-dispatched effect happens once as seen from outside.
 */
export type Effect = EmailEffect | NotifyEffect | WebhookEffect | GenerateDocumentEffect;

interface EffectBase {
  key: string;
  caseKey: string;
  ref: RuleRef;
  /** How deep in an automation chain the effect was asked for; events it leads to react one level deeper. */
  depth: number;
  /** The request (and trace) that led to it, when one did: its activity logs and traces under that id. */
  cause?: Cause;
}

/** Someone a message goes to, resolved from the case when the rule ran. */
export interface Recipient {
  email?: string;
  name?: string;
  userId?: string;
  /** Set for case participants: an external one can be sent a portal link. */
  participantId?: string;
  external?: boolean;
}

/**
 * What mustache templates see. `case.url` and `portal.link` are filled in by the activity,
 * which knows the public URL and can mint a portal link for an external recipient.
 */
export interface RenderContext {
  case: { key: string; title: string; status: string; owner: string | null; template: string; url?: string };
  fields: Record<string, unknown>;
  stage: { key: string; name: string };
  event: { type: string; seq: number; at: string; data: Record<string, unknown> };
  recipient?: { name?: string; email?: string };
  portal?: { link: string };
}

export interface EmailEffect extends EffectBase {
  kind: 'email';
  to: Recipient & { email: string };
  /** Mustache source: rendered by the activity (subject as text, body as HTML-escaped HTML). */
  subject: string;
  body: string;
  context: RenderContext;
}

export interface NotifyEffect extends EffectBase {
  kind: 'notify';
  to: Recipient & { userId: string };
  subject: string;
  body: string;
  context: RenderContext;
}

export interface WebhookEffect extends EffectBase {
  kind: 'webhook';
  url: string;
  payload: Record<string, unknown>;
}

export interface GenerateDocumentEffect extends EffectBase {
  kind: 'generateDocument';
  template: DocumentTemplate;
  context: RenderContext;
}

/** Results the activities return; the workflow turns them into timeline events. */
export interface EmailResult {
  emailId: string;
  delivery: 'sent' | 'outbox';
  providerId?: string;
}
export interface NotifyResult {
  notificationId: string;
  emailId?: string;
}
export interface WebhookResult {
  deliveryId: string;
  status: number;
}
/** Metadata of the stored PDF: the workflow records it as a new version of the template's slot. */
export interface GeneratedDocument {
  documentId: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** The activities effects run through: the worker registers them (activities/index.ts), the case workflow calls them. */
export interface EffectActivities {
  sendEmail(effect: EmailEffect): Promise<EmailResult>;
  notifyUser(effect: NotifyEffect): Promise<NotifyResult>;
  callWebhook(effect: WebhookEffect): Promise<WebhookResult>;
  generateDocument(effect: GenerateDocumentEffect): Promise<GeneratedDocument>;
}
