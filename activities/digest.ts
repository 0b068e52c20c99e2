import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import { dueCasesByOwner, emailsOfUsers, type DueCase, type OwnerDigest } from '../db/digest';
import { insertNotification } from '../db/notifications';
import { renderTemplate } from '../domain/render';
import { caseUrl, emailSender, EmailFailure, type EmailDeps } from './email';
import { heartbeat } from './signals';

/** `ApplicationFailure.type` values of the digest activity. */
export const DigestFailure = {
  /** DIGEST_TIMEZONE is not a time zone luxon knows. */
  InvalidTimeZone: 'DigestInvalidTimeZone',
  /** Some owners' e-mails failed transiently; the retry sends those (the others are deduplicated). */
  Incomplete: 'DigestIncomplete',
} as const;

export interface DigestInput {
  /** The instant the digest is "as of" (ISO): the workflow's start time, so a retry sees the same cut-off. */
  at: string;
}

export interface DigestRunResult {
  /** The digest's day in DIGEST_TIMEZONE (YYYY-MM-DD): part of every dedupe key. */
  date: string;
  owners: number;
  notifications: number;
  emails: number;
  /** Owners whose e-mail Resend refused for good (invalid address…); their notification stands. */
  emailsRefused: number;
}

/** Cases listed per section of a digest: an owner of thousands of due cases gets a digest within the rendering budget. */
const DIGEST_LIST_MAX = 200;

const subjectTemplate = 'Your cases: {{overdueCount}} overdue, {{dueSoonCount}} due soon';

const htmlTemplate = `<p>Cases you own that need attention ({{date}}):</p>
{{#hasOverdue}}<h3>Overdue</h3>
<ul>{{#overdue}}<li><a href="{{url}}">{{key}}</a> {{title}} (stage {{stage}}, due {{due}})</li>{{/overdue}}</ul>
{{#overdueMore}}<p>… and {{overdueMore}} more.</p>{{/overdueMore}}
{{/hasOverdue}}{{#hasDueSoon}}<h3>Due within {{dueSoonHours}} hours</h3>
<ul>{{#dueSoon}}<li><a href="{{url}}">{{key}}</a> {{title}} (stage {{stage}}, due {{due}})</li>{{/dueSoon}}</ul>
{{#dueSoonMore}}<p>… and {{dueSoonMore}} more.</p>{{/dueSoonMore}}
{{/hasDueSoon}}`;

const textTemplate = `Cases you own that need attention ({{date}}):
{{#hasOverdue}}
Overdue:
{{#overdue}}- {{key}} {{title}} (stage {{stage}}, due {{due}}) {{url}}
{{/overdue}}{{#overdueMore}}… and {{overdueMore}} more
{{/overdueMore}}{{/hasOverdue}}{{#hasDueSoon}}
Due within {{dueSoonHours}} hours:
{{#dueSoon}}- {{key}} {{title}} (stage {{stage}}, due {{due}}) {{url}}
{{/dueSoon}}{{#dueSoonMore}}… and {{dueSoonMore}} more
{{/dueSoonMore}}{{/hasDueSoon}}`;

/**
 * The `sendDigests` activity: per owner of open cases that are overdue or due within
 * DIGEST_DUE_SOON_HOURS, one notification (dedupe key `digest:<date>:<owner>`) and, when an
 * e-mail address is known for the owner (an internal participation with an address), one
 * e-mail with the same idempotency key. Running it again the same day adds nothing.
 */
export function sendDigestsActivity(deps: EmailDeps): (input: DigestInput) => Promise<DigestRunResult> {
  const { db, config, log } = deps;
  const send = emailSender(deps);
  return async (input) => {
    const at = DateTime.fromISO(input.at, { zone: config.DIGEST_TIMEZONE });
    if (!at.isValid) {
      throw ApplicationFailure.create({
        type: DigestFailure.InvalidTimeZone,
        message: `cannot compute the digest date of ${input.at} in DIGEST_TIMEZONE "${config.DIGEST_TIMEZONE}": ${at.invalidExplanation ?? at.invalidReason}`,
        nonRetryable: true,
      });
    }
    const date = at.toISODate();
    const now = at.toJSDate();
    const digests = await dueCasesByOwner(db, { now, dueSoonUntil: at.plus({ hours: config.DIGEST_DUE_SOON_HOURS }).toJSDate() });
    const addresses = await emailsOfUsers(db, digests.map((d) => d.owner));

    const result: DigestRunResult = { date, owners: digests.length, notifications: 0, emails: 0, emailsRefused: 0 };
    const transient: string[] = [];
    for (const digest of digests) {
      const key = `digest:${date}:${digest.owner}`;
      const view = digestView(digest, date, config);
      const subject = renderTemplate(subjectTemplate, view, 'text');
      const text = renderTemplate(textTemplate, view, 'text');
      await insertNotification(db, { dedupeKey: key, userId: digest.owner, caseKey: null, seq: null, subject, body: text });
      result.notifications++;

      const address = addresses.get(digest.owner);
      if (address) {
        try {
          await send({ key, caseKey: null, to: address, subject, html: renderTemplate(htmlTemplate, view, 'html'), text });
          result.emails++;
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === EmailFailure.Rejected) result.emailsRefused++;
          else transient.push(`${digest.owner}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      heartbeat({ owner: digest.owner });
    }

    if (transient.length > 0) {
      // Retryable: the owners already served are found by their keys and not sent again.
      throw ApplicationFailure.create({ type: DigestFailure.Incomplete, message: `digest e-mails failed for ${transient.length} owner(s): ${transient.join('; ')}` });
    }
    log.info(result, 'owner digest sent');
    return result;
  };
}

function digestView(digest: OwnerDigest, date: string, config: EmailDeps['config']) {
  const item = (c: DueCase) => ({
    key: c.key,
    title: c.title,
    stage: c.stage,
    url: caseUrl(config, c.key),
    due: DateTime.fromJSDate(c.dueAt, { zone: config.DIGEST_TIMEZONE }).toFormat("yyyy-LL-dd HH:mm ZZZZ"),
  });
  return {
    date,
    owner: digest.owner,
    dueSoonHours: config.DIGEST_DUE_SOON_HOURS,
    overdueCount: digest.overdue.length,
    dueSoonCount: digest.dueSoon.length,
    hasOverdue: digest.overdue.length > 0,
    hasDueSoon: digest.dueSoon.length > 0,
    // The counts say how many there are; the lists stop at DIGEST_LIST_MAX (the rest: see the overdue list in the API).
    overdue: digest.overdue.slice(0, DIGEST_LIST_MAX).map(item),
    dueSoon: digest.dueSoon.slice(0, DIGEST_LIST_MAX).map(item),
    overdueMore: Math.max(0, digest.overdue.length - DIGEST_LIST_MAX),
    dueSoonMore: Math.max(0, digest.dueSoon.length - DIGEST_LIST_MAX),
  };
}
