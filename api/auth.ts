import type { Request } from 'express';
import type { Actor } from '../domain/actor';
import { resolveApiToken } from '../db/tokens';
import type { Database } from '../db/connection';
import { Problem } from './errors';

/**
 * How long the token lookup may take. Every authenticated request starts with it, so a database
 * that hangs instead of refusing (a proxy that accepts and drops connections makes postgres.js
 * reconnect forever) still gets a fast 503 rather than a request that never ends.
 */
const LOOKUP_TIMEOUT_MS = 4_000;

/** Resolves the bearer token to the actor recorded on every event; undefined when none is sent. */
export function bearerAuthenticator(db: Database) {
  return async (req: Request): Promise<Actor | undefined> => {
    const header = req.get('Authorization');
    if (!header) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new Problem('unauthorized', 'The Authorization header must be "Bearer <token>"');
    const actor = await withDeadline(resolveApiToken(db, match[1]), LOOKUP_TIMEOUT_MS);
    if (!actor) throw new Problem('unauthorized', 'The API token is unknown, revoked or expired');
    return actor;
  };
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
