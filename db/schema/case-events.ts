import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { Actor } from '../../domain/actor';

/** The full timeline of every case; (case_key, seq) makes re-projection idempotent. */
export const caseEvents = pgTable(
  'case_events',
  {
    caseKey: text('case_key').notNull(),
    seq: integer('seq').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    type: text('type').notNull(),
    stage: text('stage').notNull(),
    actor: jsonb('actor').$type<Actor>().notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.caseKey, t.seq] }), index('case_events_type_at_idx').on(t.type, t.at)],
);

export type CaseEventRow = typeof caseEvents.$inferSelect;
