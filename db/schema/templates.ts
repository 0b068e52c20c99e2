import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { TemplateDefinition } from '../../domain/template';

/** Published template versions: immutable once written; a case pins (key, version). */
export const templates = pgTable(
  'templates',
  {
    key: text('key').notNull(),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    definition: jsonb('definition').$type<TemplateDefinition>().notNull(),
    /** The text as submitted (JSON or YAML), kept so authors get their comments and layout back. */
    source: text('source'),
    publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    publishedBy: text('published_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.version] }), index('templates_prefix_idx').on(t.prefix)],
);

export type TemplateRow = typeof templates.$inferSelect;
