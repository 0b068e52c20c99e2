import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../db/connection';

/**
 * A throwaway, migrated database for a benchmark: embedded PGlite in a temporary directory, or a
 * new database on a PostgreSQL server (`url`, else TEST_DATABASE_URL, else the local one), whose
 * own URL is returned for processes that connect to it themselves. `drop` removes it.
 */
export async function freshBenchDatabase(opts: { prefix: string; pglite?: boolean; url?: string }): Promise<{ handle: DatabaseHandle; driver: 'pglite' | 'postgres'; url?: string; drop: () => Promise<void> }> {
  if (opts.pglite) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${opts.prefix}-`));
    const handle = await openDatabase({ dataDir: dir });
    await handle.migrate();
    return { handle, driver: 'pglite', drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const server = opts.url ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${opts.prefix.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(server, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString() });
  await handle.migrate();
  return {
    handle,
    driver: 'postgres',
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}
