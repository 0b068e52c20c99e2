import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { Actor } from '../../domain/actor';
import type { BatchItemOutcome, BatchKind, BatchStatus } from '../../domain/batch';

/**
 * Bulk actions and template migrations (one row each): what was asked, by whom, and how far the
 * Temporal workflow that carries it out (`id` is its workflow id) has come. Per-case outcomes are
 * in `batch_items`.
 */
export const batches = pgTable(
  'batches',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<BatchKind>().notNull(),
    action: text('action').notNull(),
    /** The template a migration moves cases of (null for other bulk actions). */
    templateKey: text('template_key'),
    /** The request as normalised by the API (action parameters, migration plan, filter). */
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    actor: jsonb('actor').$type<Actor>().notNull(),
    status: text('status').$type<BatchStatus>().notNull(),
    total: integer('total').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('batches_kind_created_idx').on(t.kind, t.createdAt)],
);

/** One case of a batch and what became of it (`pending` until the workflow reached it). */
export const batchItems = pgTable(
  'batch_items',
  {
    batchId: text('batch_id').notNull(),
    caseKey: text('case_key').notNull(),
    /** Order in which the workflow processes the batch's cases. */
    position: integer('position').notNull(),
    outcome: text('outcome').$type<BatchItemOutcome>().notNull(),
    code: text('code'),
    detail: text('detail'),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.caseKey] }), index('batch_items_batch_position_idx').on(t.batchId, t.position)],
);

export type BatchRow = typeof batches.$inferSelect;
export type BatchItemRow = typeof batchItems.$inferSelect;
