/**
 * Start-up shared by the three entry points (`npm start`, `npm run api`, `npm run worker`): the
 * configuration and its logger, the database opened and migrated, and the stop stack that undoes
 * the start in reverse order. What each process runs on top (dev server, worker, API) stays in its
 * own main. Only those mains import this folder; it imports only config/ and db/.
 */
import type { Logger } from 'pino';
import { loadConfig, temporalAddress, type Config } from '../config/env';
import { createLogger } from '../config/logger';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '../db/connection';
import { StopStack, type StopReport } from './stop-stack';

/** The configuration (fails fast with every problem) and a logger named after the process. */
export function loadProcessConfig(name: string): { config: Config; log: Logger } {
  const config = loadConfig();
  return { config, log: createLogger(config, name) };
}

/**
 * PostgreSQL at DATABASE_URL, else the embedded PGlite in DATA_DIR, with the migrations applied.
 * It is on `stack` before the migrations run, so a failed migration still closes it.
 */
export async function openMigratedDatabase(config: Config, stack: StopStack): Promise<DatabaseHandle> {
  const database = await openDatabase(
    config.DATABASE_URL
      ? { url: config.DATABASE_URL, connectTimeoutS: config.DATABASE_CONNECT_TIMEOUT_S, maxConnections: config.DATABASE_POOL_SIZE }
      : { dataDir: config.dataDir },
  );
  stack.push(`database (${database.driver})`, () => database.close());
  await migrateDatabase(database);
  return database;
}

/** A service's stop as JSON log lines: one when it begins, one when it ends, and what went wrong. */
function logReport(log: Logger, finishedMessage: string): StopReport {
  return {
    stopping: (signal) => log.info({ signal }, 'stopping'),
    stopped: () => undefined,
    failed: (_part, err) => log.error({ err }, 'shutdown failed'),
    finished: (clean) => {
      if (clean) log.info(finishedMessage);
    },
    hurried: (signal) => log.info({ signal }, 'second signal: exiting now'),
    tooLong: (afterMs) => log.error({ afterMs }, 'shutdown took too long: exiting now'),
  };
}

export interface Service {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  temporalAddress: string;
  /** Holds the database; push what the service starts so it stops before the database closes. */
  stack: StopStack;
}

/**
 * A production service process (`npm run api`, `npm run worker`) against PostgreSQL: `start` runs
 * the service and pushes it on the stack. Signals are handled once it has started (earlier, a
 * signal ends the process the default way: there is nothing to drain yet). When `start` returns a
 * `done` promise, its failure ends the process too. A failed start is printed and exits 1.
 */
export function runService(
  names: { logger: string; label: string },
  start: (service: Service) => Promise<{ done?: Promise<void> } | void>,
): void {
  const main = async () => {
    const { config, log } = loadProcessConfig(names.logger);
    if (!config.DATABASE_URL) {
      throw new Error(`DATABASE_URL is required for a separate ${names.label} process (the embedded database is single-process: use \`npm start\`)`);
    }
    if (config.PAYLOAD_KEYS.length === 0) {
      // Production refuses to start without keys (config/env.ts); anywhere else, say it loudly.
      log.warn('PAYLOAD_KEYS is not set: case data (names, e-mails, field values) reaches Temporal UNENCRYPTED. Set PAYLOAD_KEYS=<id>:<base64 of 32 bytes> (README "Encrypted payloads")');
    }
    const stack = new StopStack({ report: logReport(log, `${names.label} stopped`) });
    const database = await openMigratedDatabase(config, stack);
    const running = await start({ config, log, database, temporalAddress: temporalAddress(config), stack });
    stack.stopOnSignals();
    await running?.done;
  };
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
