/**
 * API token management from the command line (the API's /v1/tokens does the same for admins):
 *   npm run tokens -- create --id alice --name "Alice Martin" --roles hr,manager [--expires 2027-01-01T00:00:00Z | --expires never]
 * Without --expires a token expires after API_TOKEN_TTL_DAYS (90 by default).
 *   npm run tokens -- list
 *   npm run tokens -- revoke tok_…
 * Uses DATABASE_URL, or the embedded database in DATA_DIR (stop `npm start` first: PGlite is single-process).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env';
import { migrateDatabase, openDatabase } from '../db/connection';
import { createApiToken, defaultTokenExpiry, listApiTokens, revokeApiToken } from '../db/tokens';

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      roles: { type: 'string', default: '' },
      description: { type: 'string' },
      expires: { type: 'string' },
    },
  });
  const [command, arg] = positionals;
  const config = loadConfig();
  const database = await openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.dataDir });
  try {
    await migrateDatabase(database);
    if (command === 'create') {
      if (!values.id || !values.name) throw new Error('create needs --id and --name');
      const roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
      const expiresAt = expiryOf(values.expires, config.API_TOKEN_TTL_DAYS);
      const created = await createApiToken(database.db, {
        actorId: values.id,
        actorName: values.name,
        roles,
        ...(values.description ? { description: values.description } : {}),
        ...(expiresAt ? { expiresAt } : {}),
      });
      console.log(`Token ${created.id} for ${values.name} (${values.id}), roles: ${roles.join(', ') || 'none'}, expires: ${expiresAt?.toISOString() ?? 'never'}`);
      console.log(created.token);
    } else if (command === 'list') {
      console.table(await listApiTokens(database.db));
    } else if (command === 'revoke' && arg) {
      console.log((await revokeApiToken(database.db, arg)) ? `Revoked ${arg}` : `No token ${arg}`);
    } else {
      throw new Error('usage: tokens create --id ID --name NAME [--roles a,b] [--description TEXT] [--expires ISO|never] | list | revoke TOKEN_ID');
    }
  } finally {
    await database.close();
  }
}

/** `--expires`: an instant, `never`, or (absent) API_TOKEN_TTL_DAYS from now. */
function expiryOf(expires: string | undefined, ttlDays: number): Date | undefined {
  if (expires === undefined) return defaultTokenExpiry(ttlDays);
  if (expires === 'never') return undefined;
  const at = new Date(expires);
  if (Number.isNaN(at.getTime())) throw new Error(`--expires must be an ISO date-time or "never", not ${expires}`);
  return at;
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
