import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from './connection';
import { portalLinks } from './schema';
import { hashToken } from './tokens';

/** Prefix of portal tokens, so a leaked one is recognisable (and told apart from API tokens). */
export const PORTAL_TOKEN_PREFIX = 'cpt_';

/** Tokens carry 256 random bits; only their SHA-256 is stored. */
const TOKEN_BYTES = 32;
const LAST_USED_RESOLUTION_MS = 60_000;

export interface PortalLink {
  id: string;
  caseKey: string;
  participantId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface NewPortalLink {
  caseKey: string;
  participantId: string;
  /** Who asked for the link (an actor id, or `system` for an automation). */
  createdBy: string;
  /** How long the link stays valid, from now. */
  ttlMs: number;
}

/** How long a new link stays valid: PORTAL_LINK_TTL_DAYS. */
export function portalLinkTtlMs(config: { PORTAL_LINK_TTL_DAYS: number }): number {
  return Math.round(config.PORTAL_LINK_TTL_DAYS * 24 * 3600 * 1000);
}

/** The portal page for a token, under a public base URL such as `https://cases.example.com`. */
export function portalUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/portal/${encodeURIComponent(token)}`;
}

/**
 * Issues a magic link for one external participant of one case. The token is returned once and
 * never stored. The e-mail activity calls this for `{{portal.link}}`.
 */
export async function createPortalLink(db: Database, input: NewPortalLink): Promise<{ id: string; token: string; expiresAt: string }> {
  if (!Number.isFinite(input.ttlMs)) throw new Error('ttlMs must be a finite number of milliseconds');
  const token = `${PORTAL_TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
  const id = `pl_${randomBytes(12).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + input.ttlMs);
  await db.insert(portalLinks).values({
    id,
    tokenHash: hashToken(token),
    caseKey: input.caseKey,
    participantId: input.participantId,
    createdBy: input.createdBy,
    expiresAt,
  });
  return { id, token, expiresAt: expiresAt.toISOString() };
}

export type PortalLinkResolution = { ok: true; link: PortalLink } | { ok: false; reason: 'not_found' | 'expired'; link?: PortalLink };

const iso = (d: Date | null) => (d ? d.toISOString() : null);
function toLink(row: typeof portalLinks.$inferSelect): PortalLink {
  return {
    id: row.id,
    caseKey: row.caseKey,
    participantId: row.participantId,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: iso(row.revokedAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

/**
 * What a presented token opens. Unknown and revoked tokens are the same `not_found` (a revoked
 * link tells nothing about the case); an expired one says so, so its holder can ask for a new one.
 */
export async function resolvePortalLink(db: Database, token: string, now: Date = new Date()): Promise<PortalLinkResolution> {
  if (!token.startsWith(PORTAL_TOKEN_PREFIX) || token.length > 200) return { ok: false, reason: 'not_found' };
  const [row] = await db.select().from(portalLinks).where(eq(portalLinks.tokenHash, hashToken(token)));
  if (!row || row.revokedAt) return { ok: false, reason: 'not_found' };
  const link = toLink(row);
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired', link };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db
      .update(portalLinks)
      .set({ lastUsedAt: sql`now()` })
      .where(and(eq(portalLinks.id, row.id), or(isNull(portalLinks.lastUsedAt), lt(portalLinks.lastUsedAt, sql`now() - interval '1 minute'`))));
  }
  return { ok: true, link };
}

/** Revokes a link of a case; false when the case has no link with this id. Revoking twice keeps the first time. */
export async function revokePortalLink(db: Database, caseKey: string, id: string): Promise<PortalLink | null> {
  const [row] = await db
    .update(portalLinks)
    .set({ revokedAt: sql`coalesce(${portalLinks.revokedAt}, now())` })
    .where(and(eq(portalLinks.id, id), eq(portalLinks.caseKey, caseKey)))
    .returning();
  return row ? toLink(row) : null;
}

/** The links of a case, oldest first, without tokens. */
export async function listPortalLinks(db: Database, caseKey: string): Promise<PortalLink[]> {
  const rows = await db.select().from(portalLinks).where(eq(portalLinks.caseKey, caseKey)).orderBy(asc(portalLinks.createdAt), asc(portalLinks.id));
  return rows.map(toLink);
}
