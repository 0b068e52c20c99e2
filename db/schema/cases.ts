import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { CaseView } from '../../domain/case-view';
import type { CaseStatus } from '../../domain/events';
import type { FieldValue } from '../../domain/fields';

/**
 * Read model of a case: the workflow's latest projected view plus the columns lists filter on.
 * Written only by the projection activity; `last_seq` orders writes so an old batch never wins.
 */
export const cases = pgTable(
  'cases',
  {
    key: text('key').primaryKey(),
    templateKey: text('template_key').notNull(),
    templateVersion: integer('template_version').notNull(),
    title: text('title').notNull(),
    status: text('status').$type<CaseStatus>().notNull(),
    stage: text('stage').notNull(),
    owner: text('owner'),
    fields: jsonb('fields').$type<Record<string, FieldValue>>().notNull(),
    view: jsonb('view').$type<CaseView>().notNull(),
    lastSeq: integer('last_seq').notNull(),
    // Millisecond precision: the workflow's timestamps are ISO strings with milliseconds, and the
    // keyset cursor must round-trip created_at through a JS Date exactly.
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
    /** The earliest running deadline (stage SLA or open task): lists filter `overdue` on it. */
    dueAt: timestamp('due_at', { withTimezone: true, precision: 3 }),
    /**
     * Who may see the case besides admins and auditors, as `user:<id>` (owner, internal
     * participants) and `role:<role>` (the template's view roles): lists filter on it.
     */
    access: text('access').array().notNull().default([]),
    /** What `q` searches: key, title and the values of fields that are not sensitive. */
    searchText: text('search_text').notNull().default(''),
  },
  (t) => [
    index('cases_template_stage_idx').on(t.templateKey, t.stage),
    index('cases_status_idx').on(t.status),
    index('cases_owner_idx').on(t.owner),
    // Keyset pagination walks (created_at, key) backwards: a B-tree serves both directions.
    index('cases_created_key_idx').on(t.createdAt, t.key),
    index('cases_status_due_idx').on(t.status, t.dueAt),
    index('cases_access_idx').using('gin', t.access),
  ],
);

export type CaseRow = typeof cases.$inferSelect;
