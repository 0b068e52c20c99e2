import { ApplicationFailure } from '@temporalio/common';
import { insertNotification } from '../db/notifications';
import type { EmailEffect, NotifyEffect, NotifyResult } from '../domain/effects';
import { activityError, EmailFailure, enrichContext, OVER_BUDGET, renderText, sendEmailActivity, type EmailDeps } from './email';

/**
 * The `notifyUser` activity: one in-app notification row per effect (dedupe key = the
 * effect's key, so a retry adds nothing), and, when the recipient has an address, the same
 * message by e-mail through the `sendEmail` path under the key `<effect key>:email`.
 *
 * The row stores subject and body rendered as plain text: it is data for the API, and whoever
 * displays it escapes it for their medium. The e-mail renders the body as escaped HTML.
 *
 * The notification is the effect; the e-mail is a courtesy copy. When Resend refuses the copy
 * for good (e.g. an invalid address), the activity still succeeds without `emailId`: the
 * refusal is logged and kept on the `emails` row (status `failed`). Transient e-mail failures
 * are thrown, so the retry sends the copy (the notification row is found, not duplicated).
 * A subject or body over its run-time budget fails for good (`TemplateOverBudget`) before
 * anything is stored; an e-mail copy over it is dropped like a refused one.
 */
export function notifyUserActivity(deps: EmailDeps): (effect: NotifyEffect) => Promise<NotifyResult> {
  const sendEmail = sendEmailActivity(deps);
  return async (effect) => {
    const context = enrichContext(effect.context, effect.to, deps.config);
    const notification = {
      dedupeKey: effect.key,
      userId: effect.to.userId,
      caseKey: effect.caseKey,
      seq: effect.ref.trigger,
      subject: renderText('notification subject', effect.subject, context, 'text').replace(/\s*[\r\n]+\s*/g, ' ').trim(),
      body: renderText('notification body', effect.body, context, 'text'),
    };
    // A failed insert would carry the rendered texts (case data) in its error: thrown sanitized.
    const { row } = await insertNotification(deps.db, notification).catch((err: unknown) => {
      throw activityError(err);
    });
    const address = effect.to.email;
    if (!address) return { notificationId: row.id };

    const email: EmailEffect = {
      kind: 'email',
      key: `${effect.key}:email`,
      caseKey: effect.caseKey,
      ref: effect.ref,
      depth: effect.depth,
      to: { ...effect.to, email: address },
      subject: effect.subject,
      body: effect.body,
      context: effect.context,
    };
    try {
      const sent = await sendEmail(email);
      return { notificationId: row.id, emailId: sent.emailId };
    } catch (err) {
      // The copy renders its body as HTML, which escaping makes longer: it can go over the budget the text fitted in.
      if (err instanceof ApplicationFailure && (err.type === EmailFailure.Rejected || err.type === OVER_BUDGET)) {
        deps.log.warn({ notificationId: row.id, caseKey: effect.caseKey, userId: effect.to.userId, reason: err.message }, 'notification stored; its e-mail copy was refused');
        return { notificationId: row.id };
      }
      throw err;
    }
  };
}
