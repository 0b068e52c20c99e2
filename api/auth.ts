import type { Request } from 'express';
import type { Logger } from 'pino';
import { isCredentialParam, looksLikeCredential } from '../config/logger';
import type { Actor } from '../domain/actor';
import { resolveApiToken } from '../db/tokens';
import type { Database } from '../db/connection';
import { Problem } from './errors';
import { looksLikeJwt, type OidcVerifier } from './oidc';
import { clientAddress, type AuthFailureLimit } from './rate-limit';

/**
 * How long the token lookup may take. Every authenticated request starts with it, so a database
 * that hangs instead of refusing (a proxy that accepts and drops connections makes postgres.js
 * reconnect forever) still gets a fast 503 rather than a request that never ends.
 */
const LOOKUP_TIMEOUT_MS = 4_000;

/**
 * What every refused credential is told, whichever check failed: an attacker learns nothing from
 * the answer (the reason goes to the log).
 */
const REFUSED = 'The bearer token was not accepted: send a valid API token, or a token of the configured identity provider';
const MISPLACED = 'Credentials go in the Authorization header only: a token in the query string or a cookie is refused (and should be treated as leaked)';

/** Cookie names that carry bearer credentials by convention; any cookie whose value is one of our tokens or a JWT counts too. */
const CREDENTIAL_COOKIES = new Set(['access_token', 'id_token', 'token', 'auth_token', 'api_key', 'apikey', 'jwt', 'auth', 'authorization', 'bearer']);

export type Authenticate = (req: Request) => Promise<Actor | undefined>;

export interface AuthOptions {
  log: Logger;
  /** Verifies JWTs when single sign-on is configured. */
  oidc?: OidcVerifier;
  /** Failed authentication per client address. */
  failures?: AuthFailureLimit;
  /** Query parameters routes document (never taken for misplaced credentials by their name). */
  documentedQuery?: ReadonlySet<string>;
}

type Verdict = { ok: true; actor: Actor } | { ok: false; reason: string; misplaced?: boolean };

/**
 * Resolves the credentials of a request to the actor recorded on every event; undefined when
 * none are sent. `Authorization: Bearer cot_…` is an API token (looked up by its hash), a JWT is
 * verified by single sign-on (api/oidc.ts). A credential in the query string or a cookie is
 * refused (401). Every refusal is `401 unauthorized` with the same detail, logged with its reason
 * (never the token) and counted against the client address; past AUTH_FAILURE_LIMIT that address
 * gets `429` without its credentials being looked at.
 */
export function bearerAuthenticator(db: Database, opts?: AuthOptions): Authenticate {
  const documented = opts?.documentedQuery ?? new Set<string>();
  return async (req) => {
    const misplaced = misplacedCredential(req, documented);
    const header = req.get('Authorization');
    if (header === undefined && !misplaced) return undefined;

    const address = clientAddress(req);
    const wait = opts?.failures?.retryAfter(address);
    if (wait !== undefined) throw tooManyFailures(wait);

    const verdict: Verdict = misplaced ? { ok: false, reason: misplaced, misplaced: true } : await verifyHeader(db, header ?? '', opts?.oidc);
    if (verdict.ok) return verdict.actor;

    opts?.log.info({ reason: verdict.reason, address, method: req.method, path: req.path }, 'authentication failed');
    const over = await countFailure(opts, address);
    if (over !== undefined) throw tooManyFailures(over);
    throw new Problem('unauthorized', verdict.misplaced ? MISPLACED : REFUSED);
  };
}

async function verifyHeader(db: Database, header: string, oidc: OidcVerifier | undefined): Promise<Verdict> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const token = match?.[1];
  if (!token) return { ok: false, reason: 'Authorization is not "Bearer <token>"' };
  if (looksLikeJwt(token)) {
    if (!oidc) return { ok: false, reason: 'a JWT, but single sign-on is not configured (OIDC_ISSUER)' };
    const verdict = await oidc.verify(token);
    return verdict.ok ? verdict : { ok: false, reason: `JWT refused: ${verdict.reason}` };
  }
  const actor = await withDeadline(resolveApiToken(db, token), LOOKUP_TIMEOUT_MS);
  return actor ? { ok: true, actor } : { ok: false, reason: 'API token unknown, revoked or expired' };
}

/** Where a request carries a credential outside the Authorization header, if it does. */
export function misplacedCredential(req: Request, documented: ReadonlySet<string>): string | undefined {
  const query = req.url.indexOf('?');
  if (query >= 0) {
    for (const [name, value] of new URLSearchParams(req.url.slice(query + 1))) {
      if (value !== '' && ((isCredentialParam(name) && !documented.has(name)) || looksLikeCredential(value))) return `credential in the query string (${name.slice(0, 40)})`;
    }
  }
  for (const part of (req.get('Cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (value !== '' && (CREDENTIAL_COOKIES.has(name.toLowerCase()) || looksLikeCredential(value))) return `credential in a cookie (${name.slice(0, 40)})`;
  }
  return undefined;
}

/** Counts the failure; a store that cannot count (database down) leaves the answer a 401. */
async function countFailure(opts: AuthOptions | undefined, address: string): Promise<number | undefined> {
  try {
    return await opts?.failures?.failed(address);
  } catch {
    return undefined;
  }
}

function tooManyFailures(wait: number): Problem {
  return new Problem('too_many_requests', `Too many failed authentications from your address; retry in ${wait} s`, { retryAfter: wait });
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Problem('dependency_unavailable', 'The database did not answer in time; try again shortly', { dependency: 'database' })), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
