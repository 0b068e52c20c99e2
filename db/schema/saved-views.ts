import { jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** A user's saved case-list views (the console's "saved views"): a name and the list's query parameters. */
export const savedViews = pgTable(
  'saved_views',
  {
    actorId: text('actor_id').notNull(),
    name: text('name').notNull(),
    query: jsonb('query').$type<Record<string, string>>().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.actorId, t.name] })],
);
