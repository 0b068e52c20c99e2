/** Production worker process: `npm run worker` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL). */
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, temporalAddress } from '../config/env';
import { createLogger, createTemporalLogger } from '../config/logger';
import { migrateDatabase, openDatabase } from '../db/connection';
import { createCaseWorker } from './create-worker';
import { ensureDigestSchedule } from './schedules';
import { registerSearchAttributes } from './search-attributes';

async function main() {
  const config = loadConfig();
  const log = createLogger(config, 'worker');
  if (!config.DATABASE_URL) {
    throw new Error('DATABASE_URL is required for a separate worker process (the embedded database is single-process: use `npm start`)');
  }
  Runtime.install({ logger: createTemporalLogger(config), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const database = await openDatabase({ url: config.DATABASE_URL });
  await migrateDatabase(database);

  const client = await Connection.connect({ address: temporalAddress(config) });
  await registerSearchAttributes(client, config.TEMPORAL_NAMESPACE);

  const connection = await NativeConnection.connect({ address: temporalAddress(config) });
  const worker = await createCaseWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db: database.db,
    config,
  });
  const digest = await ensureDigestSchedule({ client: new Client({ connection: client, namespace: config.TEMPORAL_NAMESPACE }), config, taskQueue: config.TEMPORAL_TASK_QUEUE });
  log.info({ schedule: digest, cron: config.DIGEST_SCHEDULE, timezone: config.DIGEST_TIMEZONE }, 'owner digest schedule ready');
  await client.close();
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: temporalAddress(config) }, 'worker started');
  // Worker.run() returns after SIGINT/SIGTERM once running tasks have finished.
  await worker.run();
  await connection.close();
  await database.close();
  log.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
