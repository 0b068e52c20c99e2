import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Actor } from '../domain/actor';
import type { Database } from './connection';
import { apiTokens } from './schema';

/** Prefix of every token this service issues, so leaked ones are easy to recognise. */
export const TOKEN_PREFIX = 'cot_';

// last_used_at is informative: writing it on every request would turn reads into writes.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * How long a resolved token is trusted without asking the database again: every request starts
 * with this lookup. A revocation through this process takes effect at once; one made by another
 * API process within this time (README "Limits"). Expiry is exact: it is cached with the token.
 */
export const TOKEN_CACHE_MS = 10_000;
const TOKEN_CACHE_SIZE = 10_000;

interface CachedToken {
  actor: Actor;
  expiresAt: number | null;
  until: number;
}
const tokenCache = new WeakMap<Database, Map<string, CachedToken>>();

/** Forgets every resolved token, so the next lookup of each asks the database (revocation does this). */
export function forgetResolvedTokens(db: Database): void {
  cacheOf(db).clear();
}

function cacheOf(db: Database): Map<string, CachedToken> {
  let cache = tokenCache.get(db);
  if (!cache) tokenCache.set(db, (cache = new Map()));
  return cache;
}

/** A token as listed: everything but its secret and hash. */
export interface ApiTokenInfo {
  id: string;
  actorId: string;
  actorName: string;
  roles: string[];
  description: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export interface NewApiToken {
  actorId: string;
  actorName: string;
  roles: string[];
  description?: string;
  expiresAt?: Date | string;
}

/**
 * When a new token expires by default: `ttlDays` (API_TOKEN_TTL_DAYS) from now, or never for 0.
 * A token that lives forever is one that leaks forever; an explicit `expiresAt` still wins.
 */
export function defaultTokenExpiry(ttlDays: number, now = Date.now()): Date | undefined {
  return ttlDays > 0 ? new Date(now + Math.round(ttlDays * 24 * 3600 * 1000)) : undefined;
}

/** SHA-256 hex of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Issues a token for an actor; the returned secret is shown once and never stored. */
export async function createApiToken(db: Database, input: NewApiToken): Promise<{ id: string; token: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = await registerApiToken(db, { ...input, token });
  return { id, token };
}

/**
 * Stores a token chosen by the caller (e.g. a development token from the environment).
 * Idempotent: registering the same token again returns the existing id and changes nothing.
 */
export async function registerApiToken(db: Database, input: NewApiToken & { token: string }): Promise<string> {
  const tokenHash = hashToken(input.token);
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: `tok_${randomBytes(12).toString('base64url')}`,
      tokenHash,
      actorId: input.actorId,
      actorName: input.actorName,
      roles: input.roles,
      description: input.description ?? null,
      expiresAt: input.expiresAt === undefined ? null : new Date(input.expiresAt),
    })
    .onConflictDoNothing({ target: apiTokens.tokenHash })
    .returning({ id: apiTokens.id });
  if (row) return row.id;
  const [existing] = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
  if (!existing) throw new Error('token registration raced with its deletion');
  return existing.id;
}

/** The actor a token stands for, or null when it is unknown, revoked or expired. */
export async function resolveApiToken(db: Database, token: string): Promise<Actor | null> {
  if (!token) return null;
  const hash = hashToken(token);
  const cache = cacheOf(db);
  const now = Date.now();
  const cached = cache.get(hash);
  if (cached && cached.until > now && (cached.expiresAt === null || cached.expiresAt > now)) return cached.actor;
  const [row] = await db
    .select({
      id: apiTokens.id,
      actorId: apiTokens.actorId,
      actorName: apiTokens.actorName,
      roles: apiTokens.roles,
      lastUsedAt: apiTokens.lastUsedAt,
      expiresAt: apiTokens.expiresAt,
    })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tokenHash, hash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)),
      ),
    );
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          eq(apiTokens.id, row.id),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`)),
        ),
      );
  }
  const actor: Actor = { id: row.actorId, name: row.actorName, roles: row.roles, kind: 'user' };
  // Oldest out first: a Map iterates in insertion order.
  cache.delete(hash);
  if (cache.size >= TOKEN_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(hash, { actor, expiresAt: row.expiresAt ? row.expiresAt.getTime() : null, until: now + TOKEN_CACHE_MS });
  return actor;
}

/** Revokes a token; false when no token has this id. Revoking twice keeps the first time. */
export async function revokeApiToken(db: Database, id: string): Promise<boolean> {
  // The cache is keyed by hash, which a revocation by id does not give: forget them all.
  forgetResolvedTokens(db);
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(eq(apiTokens.id, id))
    .returning({ id: apiTokens.id });
  // Again: a lookup that read the token before the revocation committed may have cached it.
  forgetResolvedTokens(db);
  return rows.length > 0;
}

/** Every token, oldest first, without secrets or hashes. */
export async function listApiTokens(db: Database): Promise<ApiTokenInfo[]> {
  const rows = await db
    .select({
      id: apiTokens.id,
      actorId: apiTokens.actorId,
      actorName: apiTokens.actorName,
      roles: apiTokens.roles,
      description: apiTokens.description,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return rows.map((r) => ({
    ...r,
    createdAt: r.createdAt.toISOString(),
    lastUsedAt: iso(r.lastUsedAt),
    expiresAt: iso(r.expiresAt),
    revokedAt: iso(r.revokedAt),
  }));
}
