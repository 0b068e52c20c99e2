import type { Request } from 'express';
import type { Actor } from '../domain/actor';
import { resolveApiToken } from '../db/tokens';
import type { Database } from '../db/connection';
import { Problem } from './errors';

/** Resolves the bearer token to the actor recorded on every event; undefined when none is sent. */
export function bearerAuthenticator(db: Database) {
  return async (req: Request): Promise<Actor | undefined> => {
    const header = req.get('Authorization');
    if (!header) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new Problem('unauthorized', 'The Authorization header must be "Bearer <token>"');
    const actor = await resolveApiToken(db, match[1]);
    if (!actor) throw new Problem('unauthorized', 'The API token is unknown, revoked or expired');
    return actor;
  };
}
