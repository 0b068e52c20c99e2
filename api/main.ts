/** Production API process: `npm run api` (PORT, DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE). */
import { Connection } from '@temporalio/client';
import { loadConfig, temporalAddress } from '../config/env';
import { createLogger } from '../config/logger';
import { migrateDatabase, openDatabase } from '../db/connection';
import { createAppFromConfig } from './app';
import { listen } from './server';

async function main() {
  const config = loadConfig();
  const log = createLogger(config, 'api');
  if (!config.DATABASE_URL) {
    throw new Error('DATABASE_URL is required for a separate API process (the embedded database is single-process: use `npm start`)');
  }
  const database = await openDatabase({ url: config.DATABASE_URL });
  await migrateDatabase(database);
  const connection = await Connection.connect({ address: temporalAddress(config) });
  const app = createAppFromConfig({ connection, db: database.db, config, log });
  const server = await listen(app, config.PORT, config.HOST);
  log.info({ url: server.url }, 'API listening');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('API stopping');
    await server.close();
    await connection.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
