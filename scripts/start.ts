/**
 * `npm start`: the whole stack on one machine. Provisions the Temporal CLI, runs its dev server
 * (SQLite under DATA_DIR, Web UI), opens PostgreSQL or an embedded PGlite, applies migrations,
 * and runs the worker and the API in this process. Ctrl-C stops everything; a restart resumes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runApi } from '../api/run';
import { loadConfig, temporalAddress } from '../config/env';
import { createLogger } from '../config/logger';
import { HARD_STOP_MS } from '../config/shutdown';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '../db/connection';
import { createApiToken, defaultTokenExpiry, resolveApiToken } from '../db/tokens';
import { runWorker } from '../worker/run';
import { ensureTemporalCli } from './temporal-cli';
import { checkTemporalReachable, startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A development token kept in DATA_DIR so it survives restarts; it expires like any token (API_TOKEN_TTL_DAYS), then a new one is made. */
async function devToken(db: DatabaseHandle['db'], dataDir: string, ttlDays: number): Promise<string> {
  const file = path.join(dataDir, 'dev-token');
  const saved = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (saved && (await resolveApiToken(db, saved))) return saved;
  const expiresAt = defaultTokenExpiry(ttlDays);
  const { token } = await createApiToken(db, {
    actorId: 'dev',
    actorName: 'Developer',
    roles: ['admin', 'hr', 'manager', 'it'],
    description: 'created by npm start',
    ...(expiresAt ? { expiresAt } : {}),
  });
  await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function main() {
  const startedAt = Date.now();
  const config = loadConfig();
  const log = createLogger(config, 'cases');
  await fs.mkdir(config.dataDir, { recursive: true });
  const stack: Array<{ name: string; stop: () => Promise<unknown> }> = [];

  let stopping = false;
  // In reverse order of start: the API drains its requests (SHUTDOWN_GRACE_MS) while the worker
  // still runs their commands, then the worker, the database and last the Temporal dev server.
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nStopping…');
    const hard = setTimeout(() => {
      say(`  still stopping after ${HARD_STOP_MS / 1000}s: exiting now`);
      process.exit(code || 1);
    }, HARD_STOP_MS);
    hard.unref();
    for (const part of stack.reverse()) {
      try {
        await part.stop();
        say(`  stopped ${part.name}`);
      } catch (err) {
        say(`  ${part.name} did not stop cleanly: ${(err as Error).message}`);
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait
    void stopAll(0);
  });
  process.on('SIGTERM', () => void stopAll(0));

  try {
    // Temporal: an explicitly configured server, or the dev server.
    let temporalUi: string | undefined;
    let address = temporalAddress(config);
    if (config.TEMPORAL_ADDRESS) {
      say(`Using the Temporal server at ${address}`);
      await checkTemporalReachable(address, 30_000);
    } else {
      const cliPath = await ensureTemporalCli({ log: (line) => say(`[temporal-cli] ${line}`) });
      say(`Starting the Temporal dev server (${cliPath})…`);
      const server: TemporalDevServer = await startTemporalDevServer({
        cliPath,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        ip: '127.0.0.1',
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        namespace: config.TEMPORAL_NAMESPACE,
        logFile: path.join(config.dataDir, 'temporal.log'),
        log: (line) => say(`[temporal] ${line}`),
      });
      stack.push({ name: 'Temporal dev server', stop: () => server.stop() });
      temporalUi = server.uiUrl;
      address = server.address;
    }

    const database = await openDatabase(
      config.DATABASE_URL
        ? { url: config.DATABASE_URL, connectTimeoutS: config.DATABASE_CONNECT_TIMEOUT_S, maxConnections: config.DATABASE_POOL_SIZE }
        : { dataDir: config.dataDir },
    );
    stack.push({ name: `database (${database.driver})`, stop: () => database.close() });
    await migrateDatabase(database);

    const worker = await runWorker({ config, log, db: database.db, temporalAddress: address });
    worker.done.catch((err: unknown) => {
      log.error({ err }, 'worker failed');
      void stopAll(1);
    });
    stack.push({ name: 'worker', stop: () => worker.stop() });

    // This process prints an admin token: it listens on this machine only unless HOST says otherwise.
    const api = await runApi({ config, log, db: database.db, temporalAddress: address, defaultHost: '127.0.0.1' });
    stack.push({ name: 'API', stop: () => api.stop() });

    const token = await devToken(database.db, config.dataDir, config.API_TOKEN_TTL_DAYS);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    say('');
    say(`Ready in ${seconds}s`);
    // The token rides in the fragment, which browsers never send: it reaches no server log.
    say(`  Console      ${api.url}/console/#token=${token}   (signs you in as the development admin)`);
    say(`  API          ${api.url}/v1`);
    say(`  API docs     ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)`);
    if (api.metricsUrl) say(`  Metrics      ${api.metricsUrl}/metrics`);
    say(`  Temporal UI  ${temporalUi ?? '(external Temporal server)'}`);
    say(`  Database     ${database.driver === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'PostgreSQL (DATABASE_URL)'}`);
    say(`  Dev token    ${token}`);
    say('');
    say(`  export TOKEN=${token}`);
    say(`  curl -s ${api.url}/v1/templates -H "Authorization: Bearer $TOKEN"`);
    say('');
    say('Press Ctrl-C to stop.');
  } catch (err) {
    say(`Start-up failed: ${(err as Error).stack ?? String(err)}`);
    await stopAll(1);
  }
}

void main();
