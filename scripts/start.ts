/**
 * `npm start`: the whole stack on one machine. Provisions the Temporal CLI, runs its dev server
 * (SQLite under DATA_DIR, Web UI), opens PostgreSQL or an embedded PGlite, applies migrations,
 * and runs the worker and the API in this process. Ctrl-C stops everything; a restart resumes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runApi } from '../api/run';
import { temporalAddress } from '../config/env';
import type { DatabaseHandle } from '../db/connection';
import { createApiToken, defaultTokenExpiry, resolveApiToken } from '../db/tokens';
import { loadProcessConfig, openMigratedDatabase } from '../startup/service';
import { StopStack, type StopReport } from '../startup/stop-stack';
import { runWorker } from '../worker/run';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { devCodecLink, withDevPayloadKey } from './dev-secrets';
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

/** The stop, told to the person at the terminal: a line per part, in the order they stop. */
const terminalReport: StopReport = {
  stopping: () => say('\nStopping…'),
  stopped: (part) => say(`  stopped ${part}`),
  failed: (part, err) => say(`  ${part} did not stop cleanly: ${(err as Error).message}`),
  finished: () => undefined,
  hurried: () => undefined,
  tooLong: (afterMs) => say(`  still stopping after ${afterMs / 1000}s: exiting now`),
};

async function main() {
  const startedAt = Date.now();
  const loaded = loadProcessConfig('cases');
  const { log } = loaded;
  await fs.mkdir(loaded.config.dataDir, { recursive: true });
  // Payloads are encrypted here too: with PAYLOAD_KEYS, else with a key made for this data folder.
  const { config, keyFile } = await withDevPayloadKey(loaded.config);
  // The dev server's UI decodes payloads through the API, by a link only this machine knows.
  const codecLink = await devCodecLink(config.dataDir);
  const apiHost = !config.HOST || config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST === '::' ? '[::1]' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  // With PORT=0 the API's port is known only once it listens, after the UI started: no codec then.
  const uiCodecEndpoint = config.PORT === 0 ? undefined : `http://${apiHost}:${config.PORT}/codec/link/${codecLink}`;
  const stack = new StopStack({
    report: terminalReport,
    // A second Ctrl-C is the person saying "now"; a repeated SIGTERM waits for the stop under way,
    // which the hard stop bounds.
    hurryOn: ['SIGINT'],
    // A part that did not stop cleanly is printed above; the exit code stays the one asked for.
    uncleanStopFails: false,
  });
  stack.stopOnSignals();

  try {
    // Temporal: an explicitly configured server, or the dev server.
    let temporalUi: string | undefined;
    let address = temporalAddress(config);
    if (config.TEMPORAL_ADDRESS) {
      say(`Using the Temporal server at ${address}`);
      await checkTemporalReachable(temporalConnectionOptions(config, address), 30_000);
    } else {
      const cliPath = await ensureTemporalCli({ log: (line) => say(`[temporal-cli] ${line}`) });
      say(`Starting the Temporal dev server (${cliPath})…`);
      const server: TemporalDevServer = await startTemporalDevServer({
        cliPath,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        ip: '127.0.0.1',
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        ...(uiCodecEndpoint ? { uiCodecEndpoint } : {}),
        namespace: config.TEMPORAL_NAMESPACE,
        logFile: path.join(config.dataDir, 'temporal.log'),
        log: (line) => say(`[temporal] ${line}`),
      });
      stack.push('Temporal dev server', () => server.stop());
      temporalUi = server.uiUrl;
      address = server.address;
    }

    const database = await openMigratedDatabase(config, stack);

    // Its health and metrics on any free port of this machine (printed below), unless WORKER_PORT says otherwise.
    const worker = await runWorker({ config, log, db: database.db, temporalAddress: address, health: { port: 0, host: '127.0.0.1' } });
    worker.done.catch((err: unknown) => {
      log.error({ err }, 'worker failed');
      void stack.stop(1);
    });
    stack.push('worker', () => worker.stop());

    // This process prints an admin token: it listens on this machine only unless HOST says otherwise.
    const api = await runApi({ config, log, db: database.db, temporalAddress: address, defaultHost: '127.0.0.1', codecLink });
    stack.push('API', () => api.stop());

    const token = await devToken(database.db, config.dataDir, config.API_TOKEN_TTL_DAYS);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    say('');
    say(`Ready in ${seconds}s`);
    // The token rides in the fragment, which browsers never send: it reaches no server log.
    say(`  Console      ${api.url}/console/#token=${token}   (signs you in as the development admin)`);
    say(`  API          ${api.url}/v1`);
    say(`  API docs     ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)`);
    if (api.metricsUrl) say(`  Metrics      ${api.metricsUrl}/metrics`);
    if (worker.healthUrl) say(`  Worker       ${worker.healthUrl}/metrics   (also /healthz, /readyz)`);
    say(`  Temporal UI  ${temporalUi ?? '(external Temporal server)'}${temporalUi && uiCodecEndpoint ? '   (payloads decoded through this API\'s /codec)' : ''}`);
    say(`  Payloads     encrypted with key "${config.PAYLOAD_KEY_ID}"${keyFile ? ` (generated: ${keyFile})` : ' (PAYLOAD_KEYS)'}`);
    say(`  Database     ${database.driver === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'PostgreSQL (DATABASE_URL)'}`);
    say(`  Dev token    ${token}`);
    say('');
    say(`  export TOKEN=${token}`);
    say(`  curl -s ${api.url}/v1/templates -H "Authorization: Bearer $TOKEN"`);
    say('');
    say('Press Ctrl-C to stop.');
  } catch (err) {
    say(`Start-up failed: ${(err as Error).stack ?? String(err)}`);
    await stack.stop(1);
  }
}

void main();
