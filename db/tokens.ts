import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Actor } from '../domain/actor';
import type { Database } from './connection';
import { apiTokens } from './schema';

/** Prefix of every token this service issues, so leaked ones are easy to recognise. */
export const TOKEN_PREFIX = 'cot_';

// last_used_at is informative: writing it on every request would turn reads into writes.
const LAST_USED_RESOLUTION_MS = 60_000;

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
  const [row] = await db
    .select({
      id: apiTokens.id,
      actorId: apiTokens.actorId,
      actorName: apiTokens.actorName,
      roles: apiTokens.roles,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.tokenHash, hashToken(token)),
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
  return { id: row.actorId, name: row.actorName, roles: row.roles, kind: 'user' };
}

/** Revokes a token; false when no token has this id. Revoking twice keeps the first time. */
export async function revokeApiToken(db: Database, id: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
    .where(eq(apiTokens.id, id))
    .returning({ id: apiTokens.id });
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
