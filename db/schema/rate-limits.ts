import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Request counters shared by every API replica (fixed windows): one row per limited key, e.g.
 * `starts:actor:alice`, `uploads:link:<hash>` or `auth-failure:203.0.113.7` (api/rate-limit.ts),
 * reset when its window has passed.
 */
export const rateLimitCounters = pgTable('rate_limit_counters', {
  key: text('key').primaryKey(),
  windowStart: timestamp('window_start', { withTimezone: true, precision: 3 }).notNull(),
  hits: integer('hits').notNull(),
});
