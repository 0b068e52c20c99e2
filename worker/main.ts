/** Production worker process: `npm run worker` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL). */
import { loadConfig, temporalAddress } from '../config/env';
import { createLogger } from '../config/logger';
import { stopOnSignals } from '../config/shutdown';
import { migrateDatabase, openDatabase } from '../db/connection';
import { runWorker } from './run';

async function main() {
  const config = loadConfig();
  const log = createLogger(config, 'worker');
  if (!config.DATABASE_URL) {
    throw new Error('DATABASE_URL is required for a separate worker process (the embedded database is single-process: use `npm start`)');
  }
  const database = await openDatabase({ url: config.DATABASE_URL, connectTimeoutS: config.DATABASE_CONNECT_TIMEOUT_S, maxConnections: config.DATABASE_POOL_SIZE });
  await migrateDatabase(database);
  const worker = await runWorker({ config, log, db: database.db, temporalAddress: temporalAddress(config) });
  stopOnSignals(
    async () => {
      await worker.stop();
      await database.close();
      log.info('worker stopped');
    },
    { log },
  );
  await worker.done;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
