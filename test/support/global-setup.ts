/**
 * One Temporal dev server for the whole run: starting one per test file would cost tens of
 * seconds each on a 2-core machine. Tests find it through TEMPORAL_TEST_ADDRESS.
 */
import path from 'node:path';
import postgres from 'postgres';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { checkTemporalReachable, startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal-dev-server';

export const SERVER_HANDLE = '__caseOrchestratorTemporalDevServer';

const log = (line: string): void => {
  process.stderr.write(`[global-setup] ${line}\n`);
};

async function checkPostgres(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, idle_timeout: 1, onnotice: () => undefined });
  try {
    await sql`select 1`;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `PostgreSQL is not reachable at ${url} (${reason}). Start it (e.g. .ci/run does ` +
        '`pg_ctlcluster <version> main start`) or point TEST_DATABASE_URL at a running server.',
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export default async function globalSetup(): Promise<void> {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  await checkPostgres(databaseUrl);
  process.env.TEST_DATABASE_URL = databaseUrl;

  process.env.TEMPORAL_TEST_NAMESPACE ||= 'default';
  const given = process.env.TEMPORAL_TEST_ADDRESS;
  if (given) {
    log(`using the Temporal server at ${given} (TEMPORAL_TEST_ADDRESS)`);
    await checkTemporalReachable(given);
    return;
  }

  const root = path.resolve(__dirname, '..', '..');
  const cliPath = await ensureTemporalCli({ log });
  const server: TemporalDevServer = await startTemporalDevServer({
    cliPath,
    headless: true,
    namespace: process.env.TEMPORAL_TEST_NAMESPACE,
    logFile: path.join(root, 'test-output', 'temporal-dev-server.log'),
    log,
  });
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  (globalThis as Record<string, unknown>)[SERVER_HANDLE] = server;
}
