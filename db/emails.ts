import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { redactPortalTokens } from '../config/logger';
import type { Database } from './connection';
import { clampLimit, keysetPage, olderThan } from './keyset';
import { emails, type EmailRow, type EmailStatus } from './schema';

/** The ledger of e-mails: one row per idempotency key, written before the provider is called. */

export interface NewEmail {
  idempotencyKey: string;
  caseKey: string | null;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text?: string | null;
  /** `sending` when a provider will be called, `outbox` when the table is the delivery. */
  status: Extract<EmailStatus, 'sending' | 'outbox'>;
}

/**
 * Inserts the row for `idempotencyKey`, or returns the one already there (a retried activity):
 * `created` tells which. The first attempt's content wins; a retry never rewrites it.
 */
export async function claimEmail(db: Database, input: NewEmail): Promise<{ row: EmailRow; created: boolean }> {
  const [inserted] = await db
    .insert(emails)
    .values({
      id: `em_${randomBytes(12).toString('base64url')}`,
      idempotencyKey: input.idempotencyKey,
      caseKey: input.caseKey,
      from: input.from,
      to: input.to,
      subject: input.subject,
      html: input.html,
      text: input.text ?? null,
      status: input.status,
    })
    .onConflictDoNothing({ target: emails.idempotencyKey })
    .returning();
  if (inserted) return { row: inserted, created: true };
  const existing = await getEmailByKey(db, input.idempotencyKey);
  if (!existing) throw new Error(`e-mail ${input.idempotencyKey} vanished between insert and read`);
  return { row: existing, created: false };
}

export async function getEmail(db: Database, id: string): Promise<EmailRow | null> {
  const [row] = await db.select().from(emails).where(eq(emails.id, id)).limit(1);
  return row ?? null;
}

export async function getEmailByKey(db: Database, idempotencyKey: string): Promise<EmailRow | null> {
  const [row] = await db.select().from(emails).where(eq(emails.idempotencyKey, idempotencyKey)).limit(1);
  return row ?? null;
}

/** Counts a provider call before it is made, so a crash mid-call still shows up in `attempts`. */
export async function recordEmailAttempt(db: Database, id: string): Promise<void> {
  await db
    .update(emails)
    .set({ attempts: sql`${emails.attempts} + 1`, status: 'sending' })
    .where(eq(emails.id, id));
}

/** The stored texts of a message with its magic-link tokens redacted. */
export type EmailContent = Pick<EmailRow, 'subject' | 'html' | 'text'>;

export function withoutPortalTokens(content: EmailContent): EmailContent {
  return { subject: redactPortalTokens(content.subject), html: redactPortalTokens(content.html), text: content.text === null ? null : redactPortalTokens(content.text) };
}

/**
 * `last_error` stays: it tells why an e-mail needed more than one attempt. `redacted`: the content
 * to keep from now on — a message delivered by Resend keeps no live magic link (only its
 * recipient holds it); retries needed it byte for byte until now.
 */
export async function markEmailSent(db: Database, id: string, providerId: string, redacted?: EmailContent): Promise<EmailRow> {
  const [row] = await db
    .update(emails)
    .set({ status: 'sent', providerId, sentAt: sql`coalesce(${emails.sentAt}, now())`, ...(redacted ?? {}) })
    .where(eq(emails.id, id))
    .returning();
  if (!row) throw new Error(`e-mail ${id} not found`);
  return row;
}

/** The development outbox: the row is the delivery. */
export async function markEmailOutbox(db: Database, id: string): Promise<EmailRow> {
  const [row] = await db.update(emails).set({ status: 'outbox' }).where(eq(emails.id, id)).returning();
  if (!row) throw new Error(`e-mail ${id} not found`);
  return row;
}

/** Records why an attempt failed; `permanent` marks the message `failed` (no retry will follow), and stores `redacted` content when given. */
export async function recordEmailError(db: Database, id: string, error: string, permanent: boolean, redacted?: EmailContent): Promise<void> {
  await db
    .update(emails)
    .set({ lastError: error.slice(0, 2000), ...(permanent ? { status: 'failed' as const, ...(redacted ?? {}) } : {}) })
    .where(eq(emails.id, id));
}

export interface ListEmailsFilter {
  caseKey?: string;
  status?: EmailStatus;
  limit?: number;
  cursor?: string;
}

export interface EmailInfo {
  id: string;
  idempotencyKey: string;
  caseKey: string | null;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string | null;
  status: EmailStatus;
  providerId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /**
   * Whether magic-link tokens in subject, HTML and text are shown as `cpt_[redacted]`: always,
   * except for the development outbox (no RESEND_API_KEY), where the stored message is the delivery.
   */
  linksRedacted: boolean;
}

/** A row as listed. Messages for Resend never show a live magic link, even while still being sent. */
export function toEmailInfo(row: EmailRow): EmailInfo {
  const linksRedacted = row.status !== 'outbox';
  return {
    ...row,
    ...(linksRedacted ? withoutPortalTokens(row) : {}),
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt ? row.sentAt.toISOString() : null,
    linksRedacted,
  };
}

/**
 * Newest first, keyset-paginated (`nextCursor` goes back as `cursor`); with `to`, only the
 * e-mails addressed to that address (compared case-insensitively).
 */
export async function listEmails(db: Database, filter: ListEmailsFilter = {}, to?: string): Promise<{ items: EmailInfo[]; nextCursor: string | null }> {
  const limit = clampLimit(filter.limit, 50, 200);
  const conditions: SQL[] = [];
  if (to !== undefined) conditions.push(sql`exists (select 1 from jsonb_array_elements_text(${emails.to}) as r(address) where lower(r.address) = lower(${to}))`);
  if (filter.caseKey !== undefined) conditions.push(eq(emails.caseKey, filter.caseKey));
  if (filter.status !== undefined) conditions.push(eq(emails.status, filter.status));
  if (filter.cursor !== undefined) conditions.push(olderThan(emails.createdAt, emails.id, filter.cursor));
  const rows = await db
    .select()
    .from(emails)
    .where(and(...conditions))
    .orderBy(desc(emails.createdAt), desc(emails.id))
    .limit(limit + 1);
  const { page, nextCursor } = keysetPage(rows, limit);
  return { items: page.map(toEmailInfo), nextCursor };
}
