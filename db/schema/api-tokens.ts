import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Bearer tokens of the HTTP API. Only the SHA-256 of a token is stored. */
export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  actorId: text('actor_id').notNull(),
  actorName: text('actor_name').notNull(),
  roles: text('roles').array().notNull().default([]),
  description: text('description'),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
  expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
});

export type ApiTokenRow = typeof apiTokens.$inferSelect;
