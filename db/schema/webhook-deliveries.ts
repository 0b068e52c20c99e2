import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Outbound webhook calls by idempotency key: the receiver sees the same delivery id on a retry. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: text('id').primaryKey(),
  idempotencyKey: text('idempotency_key').notNull().unique(),
  caseKey: text('case_key'),
  url: text('url').notNull(),
  status: text('status').$type<'pending' | 'delivered' | 'failed'>().notNull(),
  attempts: integer('attempts').notNull().default(0),
  responseStatus: integer('response_status'),
  lastError: text('last_error'),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  deliveredAt: timestamp('delivered_at', { withTimezone: true, precision: 3 }),
});

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
