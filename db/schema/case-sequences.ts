import { integer, pgTable, text } from 'drizzle-orm/pg-core';

/**
 * Case key counters, one per prefix. A prefix belongs to the template key that claimed it
 * first, so two templates can never hand out the same case key.
 */
export const caseSequences = pgTable('case_sequences', {
  prefix: text('prefix').primaryKey(),
  templateKey: text('template_key').notNull(),
  lastNumber: integer('last_number').notNull().default(0),
});

export type CaseSequenceRow = typeof caseSequences.$inferSelect;
