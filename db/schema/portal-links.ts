import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Magic links of the external portal: one case, one participant; only the token's hash is kept. */
export const portalLinks = pgTable(
  'portal_links',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    caseKey: text('case_key').notNull(),
    participantId: text('participant_id').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('portal_links_case_idx').on(t.caseKey, t.participantId)],
);

export type PortalLinkRow = typeof portalLinks.$inferSelect;
