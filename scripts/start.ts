/**
 * `npm start`: the whole stack on one machine. Provisions the Temporal CLI, runs its dev server
 * (SQLite under DATA_DIR, Web UI), opens PostgreSQL or an embedded PGlite, applies migrations,
 * and runs the worker and the API in this process. Ctrl-C stops everything; a restart resumes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { createAppFromConfig } from '../api/app';
import { listen, type RunningServer } from '../api/server';
import { loadConfig, temporalAddress } from '../config/env';
import { createLogger, createTemporalLogger } from '../config/logger';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '../db/connection';
import { createApiToken, resolveApiToken } from '../db/tokens';
import { createCaseWorker } from '../worker/create-worker';
import { ensureDigestSchedule } from '../worker/schedules';
import { registerSearchAttributes } from '../worker/search-attributes';
import { ensureTemporalCli } from './temporal-cli';
import { checkTemporalReachable, startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A development token kept in DATA_DIR so it survives restarts. */
async function devToken(db: DatabaseHandle['db'], dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'dev-token');
  const saved = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (saved && (await resolveApiToken(db, saved))) return saved;
  const { token } = await createApiToken(db, {
    actorId: 'dev',
    actorName: 'Developer',
    roles: ['admin', 'hr', 'manager', 'it'],
    description: 'created by npm start',
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
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nStopping…');
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

    const database = await openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.dataDir });
    stack.push({ name: `database (${database.driver})`, stop: () => database.close() });
    await migrateDatabase(database);

    const connection = await Connection.connect({ address });
    stack.push({ name: 'Temporal client', stop: () => connection.close() });
    await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);

    Runtime.install({ logger: createTemporalLogger(config), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
    const workerConnection = await NativeConnection.connect({ address });
    const worker: Worker = await createCaseWorker({
      connection: workerConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      db: database.db,
      config,
    });
    await ensureDigestSchedule({ client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), config, taskQueue: config.TEMPORAL_TASK_QUEUE });
    const running = worker.run();
    running.catch((err) => {
      log.error({ err }, 'worker failed');
      void stopAll(1);
    });
    stack.push({
      name: 'worker',
      stop: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
        await workerConnection.close();
      },
    });

    const app = createAppFromConfig({ connection, db: database.db, config, log });
    const server: RunningServer = await listen(app, config.PORT, config.HOST);
    stack.push({ name: 'API', stop: () => server.close() });

    const token = await devToken(database.db, config.dataDir);
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    say('');
    say(`Ready in ${seconds}s`);
    say(`  API          ${server.url}/v1`);
    say(`  API docs     ${server.url}/docs   (OpenAPI: ${server.url}/openapi.json)`);
    say(`  Temporal UI  ${temporalUi ?? '(external Temporal server)'}`);
    say(`  Database     ${database.driver === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'PostgreSQL (DATABASE_URL)'}`);
    say(`  Dev token    ${token}`);
    say('');
    say(`  export TOKEN=${token}`);
    say(`  curl -s ${server.url}/v1/templates -H "Authorization: Bearer $TOKEN"`);
    say('');
    say('Press Ctrl-C to stop.');
  } catch (err) {
    say(`Start-up failed: ${(err as Error).stack ?? String(err)}`);
    await stopAll(1);
  }
}

void main();
