import { index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Participants of every case, replaced from the case view on each newer projection. */
export const participants = pgTable(
  'participants',
  {
    caseKey: text('case_key').notNull(),
    participantId: text('participant_id').notNull(),
    kind: text('kind').$type<'internal' | 'external'>().notNull(),
    role: text('role').notNull(),
    name: text('name').notNull(),
    userId: text('user_id'),
    email: text('email'),
    addedAt: timestamp('added_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caseKey, t.participantId] }),
    index('participants_user_idx').on(t.userId),
    index('participants_email_idx').on(t.email),
  ],
);

export type ParticipantRow = typeof participants.$inferSelect;
