import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Database } from './connection';
import { savedViews } from './schema';

/** A user's saved case-list views: each a name and the list's query parameters. */
export interface SavedView {
  name: string;
  query: Record<string, string>;
  updatedAt: string;
}

/** How many views one user may keep: a menu, not a database. */
export const MAX_SAVED_VIEWS = 50;

export class TooManyViewsError extends Error {}

const toView = (r: typeof savedViews.$inferSelect): SavedView => ({ name: r.name, query: r.query, updatedAt: r.updatedAt.toISOString() });

export async function listSavedViews(db: Database, actorId: string): Promise<SavedView[]> {
  const rows = await db.select().from(savedViews).where(eq(savedViews.actorId, actorId)).orderBy(asc(savedViews.name));
  return rows.map(toView);
}

/** Creates or replaces a view; `created` tells which. Refuses a new one past MAX_SAVED_VIEWS. */
export async function saveView(db: Database, actorId: string, name: string, query: Record<string, string>): Promise<{ view: SavedView; created: boolean }> {
  return db.transaction(async (tx) => {
    // One writer per user at a time, so two tabs cannot both pass the count check.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`saved-views:${actorId}`}))`);
    const [existing] = await tx.select({ name: savedViews.name }).from(savedViews).where(and(eq(savedViews.actorId, actorId), eq(savedViews.name, name)));
    if (!existing) {
      const [row] = await tx.select({ n: count() }).from(savedViews).where(eq(savedViews.actorId, actorId));
      if ((row?.n ?? 0) >= MAX_SAVED_VIEWS) throw new TooManyViewsError(`at most ${MAX_SAVED_VIEWS} saved views per user`);
    }
    const [saved] = await tx
      .insert(savedViews)
      .values({ actorId, name, query, updatedAt: new Date() })
      .onConflictDoUpdate({ target: [savedViews.actorId, savedViews.name], set: { query, updatedAt: new Date() } })
      .returning();
    return { view: toView(saved!), created: !existing };
  });
}

export async function deleteSavedView(db: Database, actorId: string, name: string): Promise<boolean> {
  const deleted = await db.delete(savedViews).where(and(eq(savedViews.actorId, actorId), eq(savedViews.name, name))).returning({ name: savedViews.name });
  return deleted.length > 0;
}
