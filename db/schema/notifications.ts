import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** In-app notifications, one row per user and cause; `dedupe_key` makes a retried write a no-op. */
export const notifications = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    userId: text('user_id').notNull(),
    caseKey: text('case_key'),
    seq: integer('seq'),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    readAt: timestamp('read_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('notifications_user_created_idx').on(t.userId, t.createdAt)],
);

export type NotificationRow = typeof notifications.$inferSelect;
