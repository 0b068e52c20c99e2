import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import { claimWebhookDelivery, markWebhookDelivered, recordWebhookAttempt, recordWebhookError } from '../db/webhook-deliveries';
import type { WebhookEffect, WebhookResult } from '../domain/effects';
import type { RuleRef } from '../domain/events';
import { webhookUrlProblem } from '../domain/webhook-hosts';
import type { CaseMetrics, WebhookOutcome } from '../metrics/case-metrics';
import { countedAttempt } from './attempt';
import { requestSignal } from './signals';

/** `ApplicationFailure.type` values of the webhook activity. */
export const WebhookFailure = {
  /** The URL's host is not on WEBHOOK_ALLOWED_HOSTS (or the URL is not http(s)): nothing was sent. */
  HostNotAllowed: 'WebhookHostNotAllowed',
  /** The receiver answered 4xx (other than 408/429) or a redirect: retrying cannot help. */
  Rejected: 'WebhookRejected',
  /** 5xx, 408, 429, timeout or network error: thrown retryable, Temporal retries with backoff. */
  DeliveryFailed: 'WebhookDeliveryFailed',
} as const;

/**
 * The JSON body of every automation webhook. It is the same on every attempt (the attempt's
 * time travels in `X-Case-Timestamp`), so a receiver can dedupe on `id` = `X-Case-Delivery`.
 */
export interface WebhookBody {
  /** The delivery id: the effect's idempotency key (case key, automation event seq, action index). */
  id: string;
  type: 'case.automation.webhook';
  caseKey: string;
  /** The automation rule that fired and the seq of the event that triggered it. */
  rule: RuleRef;
  /** The rule's payload, as written in the template (rendered by the workflow). */
  payload: Record<string, unknown>;
}

export const WEBHOOK_SIGNATURE_HEADER = 'X-Case-Signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'X-Case-Timestamp';
export const WEBHOOK_DELIVERY_HEADER = 'X-Case-Delivery';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, Stripe-style: the timestamp is signed too, so a replay can be refused by age. */
export function signWebhook(secret: string, timestamp: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}

export interface WebhookDeps {
  db: Database;
  config: Config;
  log: Logger;
  /** Counts each attempt by outcome (README "Metrics"); uncounted when absent. */
  metrics?: CaseMetrics;
}

/**
 * The `callWebhook` activity: POSTs a signed JSON body to an allowlisted URL and records the
 * delivery under the effect's key. A delivery already recorded as delivered is not sent again.
 */
export function callWebhookActivity(deps: WebhookDeps): (effect: WebhookEffect) => Promise<WebhookResult> {
  const deliver = webhookDelivery(deps);
  const count = deps.metrics ? deps.metrics.webhookAttempt.bind(deps.metrics) : undefined;
  return (effect) => countedAttempt(() => deliver(effect), failureOutcome, count);
}

/** How a failed attempt counts, by the failure's type; anything not ours (the database…) is an `error`. */
function failureOutcome(err: unknown): WebhookOutcome {
  if (!(err instanceof ApplicationFailure)) return 'error';
  switch (err.type) {
    case WebhookFailure.HostNotAllowed:
      return 'host_not_allowed';
    case WebhookFailure.Rejected:
      return 'rejected';
    case WebhookFailure.DeliveryFailed:
      return 'transient_failure';
    default:
      return 'error';
  }
}

/** One attempt at a delivery, and how it went (a delivery recorded earlier is a `duplicate`, not sent again). */
function webhookDelivery(deps: WebhookDeps): (effect: WebhookEffect) => Promise<{ result: WebhookResult; outcome: WebhookOutcome }> {
  const { db, config, log } = deps;
  return async (effect) => {
    const delivery = await claimWebhookDelivery(db, { idempotencyKey: effect.key, caseKey: effect.caseKey, url: effect.url });
    if (delivery.status === 'delivered') return { result: { deliveryId: delivery.id, status: delivery.responseStatus ?? 200 }, outcome: 'duplicate' };

    // Checked on every attempt: the allowlist may have shrunk since the template was published.
    const hostProblem = webhookUrlProblem(effect.url, config.WEBHOOK_ALLOWED_HOSTS);
    if (hostProblem) {
      await recordWebhookError(db, delivery.id, { message: hostProblem, responseStatus: null, permanent: true });
      throw ApplicationFailure.create({ type: WebhookFailure.HostNotAllowed, message: hostProblem, nonRetryable: true, details: [{ deliveryId: delivery.id }] });
    }

    const body: WebhookBody = { id: effect.key, type: 'case.automation.webhook', caseKey: effect.caseKey, rule: effect.ref, payload: effect.payload };
    const raw = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    await recordWebhookAttempt(db, delivery.id);

    let response: Response;
    try {
      response = await fetch(effect.url, {
        method: 'POST',
        body: raw,
        // A redirect could lead off the allowlist: it is not followed but refused below.
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'case-orchestrator-webhooks',
          [WEBHOOK_DELIVERY_HEADER]: effect.key,
          [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(config.WEBHOOK_SECRET, timestamp, raw),
        },
        signal: requestSignal(config.WEBHOOK_TIMEOUT_MS),
      });
    } catch (err) {
      const reason = networkReason(err, config.WEBHOOK_TIMEOUT_MS);
      await recordWebhookError(db, delivery.id, { message: reason, responseStatus: null, permanent: false });
      log.warn({ deliveryId: delivery.id, caseKey: effect.caseKey, url: effect.url, reason }, 'webhook attempt failed');
      throw ApplicationFailure.create({ type: WebhookFailure.DeliveryFailed, message: `webhook ${effect.url}: ${reason}`, details: [{ deliveryId: delivery.id }] });
    }
    // The receiver's body is not used; reading it to the end frees the connection.
    const responseText = await response.text().catch(() => '');

    if (response.status >= 200 && response.status < 300) {
      const done = await markWebhookDelivered(db, delivery.id, response.status);
      log.info({ deliveryId: done.id, caseKey: effect.caseKey, url: effect.url, status: response.status }, 'webhook delivered');
      return { result: { deliveryId: done.id, status: response.status }, outcome: 'delivered' };
    }

    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    const reason = `HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}${excerpt(responseText)}`;
    await recordWebhookError(db, delivery.id, { message: reason, responseStatus: response.status, permanent: !retryable });
    log.warn({ deliveryId: delivery.id, caseKey: effect.caseKey, url: effect.url, status: response.status, retryable }, 'webhook refused');
    throw ApplicationFailure.create({
      type: retryable ? WebhookFailure.DeliveryFailed : WebhookFailure.Rejected,
      message: `webhook ${effect.url} answered ${reason}`,
      nonRetryable: !retryable,
      details: [{ deliveryId: delivery.id, status: response.status }],
    });
  };
}

function networkReason(err: unknown, timeoutMs: number): string {
  // Duck-typed: the abort reason is a DOMException, which need not pass `instanceof Error` in every realm.
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (name === 'AbortError') return 'the attempt was cancelled';
  const cause = (err as { cause?: unknown } | null)?.cause ?? err;
  const message = (cause as { message?: unknown } | null)?.message;
  return `network error: ${typeof message === 'string' ? message : String(cause)}`;
}

function excerpt(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return trimmed ? `: ${trimmed.slice(0, 200)}` : '';
}
