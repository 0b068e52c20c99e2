import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export type EmailStatus = 'sending' | 'sent' | 'outbox' | 'failed';

/**
 * Every e-mail the service sends, keyed by its idempotency key (case key + event seq + action
 * index): a retried activity finds its row instead of sending twice. Without a Resend API key
 * the rows with status `outbox` are the development outbox.
 */
export const emails = pgTable(
  'emails',
  {
    id: text('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseKey: text('case_key'),
    from: text('from').notNull(),
    to: jsonb('to').$type<string[]>().notNull(),
    subject: text('subject').notNull(),
    html: text('html').notNull(),
    text: text('text'),
    status: text('status').$type<EmailStatus>().notNull(),
    providerId: text('provider_id'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('emails_created_idx').on(t.createdAt), index('emails_case_idx').on(t.caseKey)],
);

export type EmailRow = typeof emails.$inferSelect;
