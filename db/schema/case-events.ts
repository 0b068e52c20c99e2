import { sql } from 'drizzle-orm';
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
  (t) => [
    primaryKey({ columns: [t.caseKey, t.seq] }),
    index('case_events_type_at_idx').on(t.type, t.at),
    // Reports (db/reports.ts): the event that opened a stage visit, found backwards from the one that ended it…
    index('case_events_visit_bounds_idx').on(t.caseKey, t.seq).where(sql`type in ('stage.entered', 'stage.exited', 'case.closed', 'case.cancelled')`),
    // …and the SLA clock of the visit, between the two.
    // The audit export (db/exports.ts) walks every event in a time range in (at, case_key, seq) batches.
    index('case_events_at_idx').on(t.at, t.caseKey, t.seq),
    index('case_events_sla_idx').on(t.caseKey, t.seq).where(sql`type in ('sla.started', 'sla.goal_missed', 'sla.deadline_missed', 'sla.deadline_changed')`),
  ],
);

export type CaseEventRow = typeof caseEvents.$inferSelect;
