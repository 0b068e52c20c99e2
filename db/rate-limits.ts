import { eq, sql } from 'drizzle-orm';
import type { Database } from './connection';
import { prepared, value } from './prepared';
import { rateLimitCounters } from './schema';

/**
 * Fixed-window request counters shared by every API replica: one row per key, one statement per
 * counted request or lease of requests (api/rate-limit.ts). The database's clock decides when a
 * window starts and ends, so replicas with skewed clocks still agree.
 */

export interface CounterHit {
  /** Requests counted in the current window, this one included. */
  hits: number;
  /** Milliseconds until the window ends (by the database's clock). */
  resetInMs: number;
}

const windowInterval = (windowMs: number) => `${Math.round(windowMs)} milliseconds`;
const interval = (windowMs: number) => sql`${windowInterval(windowMs)}::interval`;

/**
 * Counts `n` requests (1, or a lease of several a process then spends on its own) under `key`: a
 * new row, the next hits of the current window, or the first of a new window when the old one has
 * passed — one upsert, atomic under concurrency (the row lock of `on conflict do update`
 * serialises hits on the same key).
 */
export async function hitCounter(db: Database, key: string, windowMs: number, n = 1): Promise<CounterHit> {
  const [row] = await prepared(db, 'rate-limits-hit', prepareHit).execute({ key, window: windowInterval(windowMs), n });
  if (!row) throw new Error(`rate-limit counter ${key} was not written`);
  // window_start is stored to the millisecond, now() has microseconds: the rounding can add up to 1 ms.
  return { hits: row.hits, resetInMs: Math.min(Number(row.resetInMs), windowMs) };
}

function prepareHit(db: Database) {
  // In the SET list, columns are the row's values before the update.
  const window = sql`${value('window')}::interval`;
  const n = sql`${value('n')}::int`;
  const expired = sql`${rateLimitCounters.windowStart} <= now() - ${window}`;
  return db
    .insert(rateLimitCounters)
    .values({ key: value('key'), windowStart: sql`now()`, hits: n })
    .onConflictDoUpdate({
      target: rateLimitCounters.key,
      set: {
        windowStart: sql`case when ${expired} then now() else ${rateLimitCounters.windowStart} end`,
        hits: sql`case when ${expired} then ${n} else ${rateLimitCounters.hits} + ${n} end`,
      },
    })
    .returning({
      hits: rateLimitCounters.hits,
      resetInMs: sql<number>`greatest(0, ceil(extract(epoch from (${rateLimitCounters.windowStart} + ${window} - now())) * 1000))::int`,
    })
    .prepare('rate-limits-hit');
}

/** Takes back one hit (express-rate-limit's decrement); never below zero. */
export async function unhitCounter(db: Database, key: string): Promise<void> {
  await db
    .update(rateLimitCounters)
    .set({ hits: sql`greatest(0, ${rateLimitCounters.hits} - 1)` })
    .where(eq(rateLimitCounters.key, key));
}

export async function resetCounter(db: Database, key: string): Promise<void> {
  await db.delete(rateLimitCounters).where(eq(rateLimitCounters.key, key));
}

/** Deletes the counters under `prefix` whose window ended more than `windowMs` ago: rows of clients that went away. */
export async function deleteStaleCounters(db: Database, prefix: string, windowMs: number): Promise<void> {
  await db.delete(rateLimitCounters).where(sql`starts_with(${rateLimitCounters.key}, ${prefix}) and ${rateLimitCounters.windowStart} < now() - ${interval(2 * windowMs)}`);
}
