import { and, asc, desc, eq, inArray, isNotNull, lte } from 'drizzle-orm';
import type { Database } from './connection';
import { cases, participants } from './schema';

/** What the owner digest reads from the read model. */

export interface DueCase {
  key: string;
  title: string;
  stage: string;
  dueAt: Date;
}

export interface OwnerDigest {
  owner: string;
  overdue: DueCase[];
  dueSoon: DueCase[];
}

/**
 * Open cases with an owner whose earliest deadline (`due_at`) is at or before `dueSoonUntil`,
 * grouped by owner (sorted by owner id). A case is overdue when `due_at <= now`, else due soon;
 * each list is soonest deadline first.
 */
export async function dueCasesByOwner(db: Database, opts: { now: Date; dueSoonUntil: Date }): Promise<OwnerDigest[]> {
  const rows = await db
    .select({ key: cases.key, title: cases.title, stage: cases.stage, owner: cases.owner, dueAt: cases.dueAt })
    .from(cases)
    .where(and(eq(cases.status, 'open'), isNotNull(cases.owner), isNotNull(cases.dueAt), lte(cases.dueAt, opts.dueSoonUntil)))
    .orderBy(asc(cases.owner), asc(cases.dueAt), asc(cases.key));
  const byOwner = new Map<string, OwnerDigest>();
  for (const row of rows) {
    if (row.owner === null || row.dueAt === null) continue; // excluded by the query; narrows the types
    let digest = byOwner.get(row.owner);
    if (!digest) byOwner.set(row.owner, (digest = { owner: row.owner, overdue: [], dueSoon: [] }));
    const item: DueCase = { key: row.key, title: row.title, stage: row.stage, dueAt: row.dueAt };
    (row.dueAt.getTime() <= opts.now.getTime() ? digest.overdue : digest.dueSoon).push(item);
  }
  return [...byOwner.values()];
}

/**
 * E-mail addresses of users, as known from their internal participations in cases (the most
 * recently added one wins when a user appears with several). Users without one are absent.
 */
export async function emailsOfUsers(db: Database, userIds: string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([participants.userId], { userId: participants.userId, email: participants.email })
    .from(participants)
    .where(and(inArray(participants.userId, userIds), eq(participants.kind, 'internal'), isNotNull(participants.email)))
    .orderBy(asc(participants.userId), desc(participants.addedAt));
  const result = new Map<string, string>();
  for (const row of rows) if (row.userId && row.email) result.set(row.userId, row.email);
  return result;
}
