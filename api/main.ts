/** Production API process: `npm run api` (PORT, DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE). */
import { loadConfig, temporalAddress } from '../config/env';
import { createLogger } from '../config/logger';
import { stopOnSignals } from '../config/shutdown';
import { migrateDatabase, openDatabase } from '../db/connection';
import { runApi } from './run';

async function main() {
  const config = loadConfig();
  const log = createLogger(config, 'api');
  if (!config.DATABASE_URL) {
    throw new Error('DATABASE_URL is required for a separate API process (the embedded database is single-process: use `npm start`)');
  }
  const database = await openDatabase({ url: config.DATABASE_URL, connectTimeoutS: config.DATABASE_CONNECT_TIMEOUT_S, maxConnections: config.DATABASE_POOL_SIZE });
  await migrateDatabase(database);
  const api = await runApi({ config, log, db: database.db, temporalAddress: temporalAddress(config) });
  log.info({ url: api.url }, 'API listening');
  stopOnSignals(
    async () => {
      await api.stop();
      await database.close();
      log.info('API stopped');
    },
    { log },
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
