import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { Resend, type ErrorResponse } from 'resend';
import type { Config } from '../config/env';
import { redactPortalTokens, safeError } from '../config/logger';
import type { Database } from '../db/connection';
import { claimEmail, getEmailByKey, markEmailOutbox, markEmailSent, recordEmailAttempt, recordEmailError, withoutPortalTokens } from '../db/emails';
import { isPermanentDataError } from '../db/errors';
import { createPortalLink, portalLinkTtlMs, portalUrl } from '../db/portal-links';
import type { EmailEffect, EmailResult, RenderContext } from '../domain/effects';
import { BudgetExceeded } from '../domain/logic-budget';
import { renderTemplate, templateNames } from '../domain/render';
import type { CaseMetrics, EmailOutcome } from '../metrics/case-metrics';
import { countedAttempt } from './attempt';
import { requestSignal } from './signals';

/** `ApplicationFailure.type` values of the e-mail activities. */
export const EmailFailure = {
  /** Resend refused the message itself (validation, auth, unknown sender domain…): retrying cannot help. */
  Rejected: 'EmailRejected',
  /** A transient failure (network, timeout, 429, 5xx): thrown retryable, Temporal tries again. */
  DeliveryFailed: 'EmailDeliveryFailed',
  /** The database refused the data itself (a constraint, an invalid value): retrying cannot help. */
  NotStored: 'EmailNotStored',
} as const;

/**
 * An error an activity may throw (Temporal records its message in the history, the worker logs
 * it): our own ApplicationFailures as they are; anything else sanitized — a failed insert's
 * DrizzleQueryError carries the row in its message, magic link included. A data error the
 * database refuses is permanent (`EmailNotStored`); the rest stays retryable.
 */
export function activityError(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const safe = safeError(err);
  if (!isPermanentDataError(err)) return safe;
  return ApplicationFailure.create({ type: EmailFailure.NotStored, message: `${safe.name}: ${safe.message}`, nonRetryable: true, details: [{ code: safe.code ?? null }] });
}

/** A single call to Resend never hangs longer than this; the activity's attempt then retries. */
const RESEND_REQUEST_TIMEOUT_MS = 30_000;
/** Resend's Retry-After on a 429 is honoured up to this; longer waits fall back to the retry policy. */
const MAX_RETRY_AFTER_MS = 60_000;

export interface EmailDeps {
  db: Database;
  config: Config;
  log: Logger;
  /** Counts each attempt by outcome (README "Metrics"); uncounted when absent. */
  metrics?: CaseMetrics;
}

/** A rendered message, ready to record and send. `key` is the idempotency key (also sent to Resend). */
export interface OutgoingEmail {
  key: string;
  caseKey: string | null;
  to: string;
  subject: string;
  html: string;
  text?: string;
}

/** The public base URL of the API, without a trailing slash. */
export function publicBaseUrl(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

export function caseUrl(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>, caseKey: string): string {
  return `${publicBaseUrl(config)}/v1/cases/${encodeURIComponent(caseKey)}`;
}

/** The context an automation's templates see: the workflow's, plus what only the activity knows. */
export function enrichContext(
  context: RenderContext,
  recipient: { name?: string; email?: string },
  config: Pick<Config, 'PUBLIC_URL' | 'PORT'>,
): RenderContext {
  return {
    ...context,
    case: { ...context.case, url: caseUrl(config, context.case.key) },
    recipient: {
      ...(recipient.name !== undefined ? { name: recipient.name } : {}),
      ...(recipient.email !== undefined ? { email: recipient.email } : {}),
    },
  };
}

/**
 * Renders one of a template's texts. A text over its run-time budget (domain/render.ts) renders
 * the same way on every attempt: it fails for good, and the workflow records `automation.failed`
 * with the reason instead of retrying. `what` names the text in that reason.
 */
export function renderText(what: string, source: string, context: object, mode: 'html' | 'text'): string {
  try {
    return renderTemplate(source, context, mode);
  } catch (err) {
    throw permanentIfOverBudget(err, what);
  }
}

/** `ApplicationFailure.type` of a text over its run-time budget, in every activity that renders one. */
export const OVER_BUDGET = 'TemplateOverBudget';

/** A budget error as a non-retryable `OVER_BUDGET` failure; anything else as it is. */
export function permanentIfOverBudget(err: unknown, what: string): unknown {
  if (!(err instanceof BudgetExceeded)) return err;
  return ApplicationFailure.create({ type: OVER_BUDGET, message: `${what}: ${err.message}`, nonRetryable: true, details: [{ budget: err.name }] });
}

/** Renders an automation's e-mail: subject as text (nothing interprets it), body as escaped HTML. */
export function renderEmail(effect: EmailEffect, config: Pick<Config, 'PUBLIC_URL' | 'PORT'>): OutgoingEmail {
  const context = enrichContext(effect.context, effect.to, config);
  return {
    key: effect.key,
    caseKey: effect.caseKey,
    to: effect.to.email,
    // Subjects are one line: a newline from a field value would otherwise break the header.
    subject: renderText('e-mail subject', effect.subject, context, 'text').replace(/\s*[\r\n]+\s*/g, ' ').trim(),
    html: renderText('e-mail body', effect.body, context, 'html'),
  };
}

/**
 * Records and sends one e-mail, exactly once per `key` as seen by the recipient:
 *
 * 1. The row is inserted under the key (`on conflict do nothing`) before anything is sent, so a
 *    retried attempt finds it. A row already `sent` or `outbox` is the answer: nothing is sent again.
 * 2. Resend gets the stored content (the first attempt's, byte for byte) with the same
 *    `Idempotency-Key`: if an earlier attempt was accepted but its answer lost, Resend answers
 *    with that message again instead of sending a second one.
 * 3. Without RESEND_API_KEY the row, status `outbox`, is the delivery (development outbox).
 * 4. Once Resend has accepted (or refused for good) the message, the row keeps it with magic-link
 *    tokens redacted (`cpt_[redacted]`): only the recipient holds a live link. Until then the row
 *    needs it for a byte-identical retry; the outbox listing redacts it meanwhile (db/emails.ts).
 *    The development outbox keeps its links: it is the delivery.
 *
 * Errors: Resend's 4xx refusals fail for good (`EmailRejected`, row `failed`); 429, 5xx, a
 * concurrent request with the same key, timeouts and network errors are thrown retryable
 * (`EmailDeliveryFailed`) and the row keeps status `sending` with the last error. Database errors
 * are thrown sanitized (`activityError`): never with the row's values.
 */
export function emailSender(deps: EmailDeps): (message: OutgoingEmail) => Promise<EmailResult> {
  const { db, config, log } = deps;
  const resend = config.RESEND_API_KEY
    ? new Resend(config.RESEND_API_KEY, config.RESEND_BASE_URL ? { baseUrl: config.RESEND_BASE_URL } : undefined)
    : undefined;

  const send = async (message: OutgoingEmail): Promise<{ result: EmailResult; outcome: EmailOutcome }> => {
    const { row, created } = await claimEmail(db, {
      idempotencyKey: message.key,
      caseKey: message.caseKey,
      from: config.EMAIL_FROM,
      to: [message.to],
      subject: message.subject,
      html: message.html,
      text: message.text ?? null,
      status: resend ? 'sending' : 'outbox',
    });
    if (row.status === 'sent') return { result: { emailId: row.id, delivery: 'sent', ...(row.providerId ? { providerId: row.providerId } : {}) }, outcome: 'duplicate' };
    if (row.status === 'outbox') {
      if (created) log.info({ emailId: row.id, to: row.to, subject: redactPortalTokens(row.subject), caseKey: row.caseKey }, 'e-mail written to the development outbox (RESEND_API_KEY is not set)');
      return { result: { emailId: row.id, delivery: 'outbox' }, outcome: created ? 'outbox' : 'duplicate' };
    }
    if (!resend) {
      // An earlier attempt ran with an API key, this worker has none: the outbox is its delivery now.
      const outbox = await markEmailOutbox(db, row.id);
      log.info({ emailId: outbox.id, to: outbox.to, subject: redactPortalTokens(outbox.subject), caseKey: outbox.caseKey }, 'e-mail written to the development outbox (RESEND_API_KEY is not set)');
      return { result: { emailId: outbox.id, delivery: 'outbox' }, outcome: 'outbox' };
    }

    await recordEmailAttempt(db, row.id);
    const { data, error, headers } = await resend.emails.send(
      { from: row.from, to: row.to, subject: row.subject, html: row.html, ...(row.text ? { text: row.text } : {}) },
      { idempotencyKey: row.idempotencyKey, signal: requestSignal(RESEND_REQUEST_TIMEOUT_MS) },
    );
    if (data) {
      const sent = await markEmailSent(db, row.id, data.id, withoutPortalTokens(row));
      log.info({ emailId: sent.id, providerId: data.id, caseKey: sent.caseKey }, 'e-mail sent through Resend');
      return { result: { emailId: sent.id, delivery: 'sent', providerId: data.id }, outcome: 'sent' };
    }

    const verdict = classifyResendError(error, headers);
    const detail = `Resend ${verdict.permanent ? 'refused' : 'did not accept'} e-mail ${row.id} (${describeResendError(error)})`;
    await recordEmailError(db, row.id, describeResendError(error), verdict.permanent, withoutPortalTokens(row));
    log.warn({ emailId: row.id, caseKey: row.caseKey, statusCode: error.statusCode, name: error.name, permanent: verdict.permanent }, detail);
    throw ApplicationFailure.create({
      type: verdict.permanent ? EmailFailure.Rejected : EmailFailure.DeliveryFailed,
      message: detail,
      nonRetryable: verdict.permanent,
      details: [{ emailId: row.id, statusCode: error.statusCode, name: error.name }],
      ...(verdict.retryAfterMs !== undefined ? { nextRetryDelay: verdict.retryAfterMs } : {}),
    });
  };
  const sendSafely = async (message: OutgoingEmail) => {
    try {
      return await send(message);
    } catch (err) {
      throw activityError(err);
    }
  };
  const count = deps.metrics ? deps.metrics.emailAttempt.bind(deps.metrics) : undefined;
  return (message) => countedAttempt(() => sendSafely(message), failureOutcome, count);
}

/** How a failed attempt counts: Resend's refusal, a transient failure Temporal retries, or anything else (the database…). */
function failureOutcome(failure: unknown): EmailOutcome {
  if (failure instanceof ApplicationFailure && failure.type === EmailFailure.Rejected) return 'rejected';
  if (failure instanceof ApplicationFailure && failure.type === EmailFailure.DeliveryFailed) return 'transient_failure';
  return 'error';
}

/**
 * The `sendEmail` activity: renders an automation's e-mail and sends it through `emailSender`.
 * A subject or body over its run-time budget fails for good (`TemplateOverBudget`), unsent.
 */
export function sendEmailActivity(deps: EmailDeps): (effect: EmailEffect) => Promise<EmailResult> {
  const send = emailSender(deps);
  return async (effect) => {
    let link: string | undefined;
    try {
      link = await portalLinkFor(deps, effect);
    } catch (err) {
      throw activityError(err);
    }
    return send(renderEmail(link ? { ...effect, context: { ...effect.context, portal: { link } } } : effect, deps.config));
  };
}

const mentionsPortal = (source: string) => templateNames(source).some((name) => name === 'portal' || name.startsWith('portal.'));

/**
 * `{{portal.link}}` for an external recipient: a fresh magic link, minted only while the message
 * has not been recorded yet (a retry sends the stored message, so it needs no new link).
 */
async function portalLinkFor(deps: EmailDeps, effect: EmailEffect): Promise<string | undefined> {
  const { to } = effect;
  if (!to.external || !to.participantId) return undefined;
  if (!mentionsPortal(effect.subject) && !mentionsPortal(effect.body)) return undefined;
  if (await getEmailByKey(deps.db, effect.key)) return undefined;
  const { token } = await createPortalLink(deps.db, {
    caseKey: effect.caseKey,
    participantId: to.participantId,
    createdBy: 'system',
    ttlMs: portalLinkTtlMs(deps.config),
  });
  return portalUrl(publicBaseUrl(deps.config), token);
}

export interface ResendVerdict {
  permanent: boolean;
  retryAfterMs?: number;
}

/**
 * Whether retrying can help. The SDK reports network failures and timeouts with
 * `statusCode: null`; Resend answers 429 for rate and quota limits, 409
 * `concurrent_idempotent_requests` while an earlier request with the key is still in flight,
 * and 5xx for its own trouble — all transient. Every other 4xx (400, 401, 403, 404, 422, and
 * 409 `invalid_idempotent_request`: same key, different content) is a refusal.
 */
export function classifyResendError(error: ErrorResponse, headers: Record<string, string> | null): ResendVerdict {
  const status = error.statusCode;
  if (status === null || status === undefined || status >= 500 || status === 408) return { permanent: false };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers?.['retry-after']);
    return { permanent: false, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status === 409 && error.name === 'concurrent_idempotent_requests') return { permanent: false };
  return { permanent: true };
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  const ms = Math.ceil(Number(value) * 1000);
  return ms > 0 && ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
}

function describeResendError(error: ErrorResponse): string {
  return `${error.statusCode ?? 'no response'} ${error.name}: ${error.message}`;
}
