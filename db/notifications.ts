import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from './connection';
import { clampLimit, keysetPage, olderThan } from './keyset';
import { notifications, type NotificationRow } from './schema';

/** In-app notifications: one row per dedupe key, so a retried writer adds nothing. */

export interface NewNotification {
  dedupeKey: string;
  userId: string;
  caseKey: string | null;
  seq: number | null;
  subject: string;
  body: string;
}

/** Inserts the notification, or returns the one already stored under its dedupe key. */
export async function insertNotification(db: Database, input: NewNotification): Promise<{ row: NotificationRow; created: boolean }> {
  const [inserted] = await db
    .insert(notifications)
    .values({ id: `ntf_${randomBytes(12).toString('base64url')}`, ...input })
    .onConflictDoNothing({ target: notifications.dedupeKey })
    .returning();
  if (inserted) return { row: inserted, created: true };
  const [existing] = await db.select().from(notifications).where(eq(notifications.dedupeKey, input.dedupeKey)).limit(1);
  if (!existing) throw new Error(`notification ${input.dedupeKey} vanished between insert and read`);
  return { row: existing, created: false };
}

export interface NotificationInfo {
  id: string;
  caseKey: string | null;
  seq: number | null;
  subject: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export function toNotificationInfo(row: NotificationRow): NotificationInfo {
  return {
    id: row.id,
    caseKey: row.caseKey,
    seq: row.seq,
    subject: row.subject,
    body: row.body,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt ? row.readAt.toISOString() : null,
  };
}

export interface ListNotificationsFilter {
  unread?: boolean;
  limit?: number;
  cursor?: string;
}

/** A user's notifications, newest first, keyset-paginated. */
export async function listNotifications(
  db: Database,
  userId: string,
  filter: ListNotificationsFilter = {},
): Promise<{ items: NotificationInfo[]; nextCursor: string | null }> {
  const limit = clampLimit(filter.limit, 50, 200);
  const conditions: SQL[] = [eq(notifications.userId, userId)];
  if (filter.unread) conditions.push(isNull(notifications.readAt));
  if (filter.cursor !== undefined) conditions.push(olderThan(notifications.createdAt, notifications.id, filter.cursor));
  const rows = await db
    .select()
    .from(notifications)
    .where(and(...conditions))
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit + 1);
  const { page, nextCursor } = keysetPage(rows, limit);
  return { items: page.map(toNotificationInfo), nextCursor };
}

/**
 * Marks a user's notification read, keeping the first read time on a repeat. Null when the
 * notification does not exist or belongs to someone else (callers cannot tell the two apart).
 */
export async function markNotificationRead(db: Database, userId: string, id: string): Promise<NotificationInfo | null> {
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning();
  return row ? toNotificationInfo(row) : null;
}
