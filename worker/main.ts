/** Production worker process: `npm run worker` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL). */
import { runService } from '../startup/service';
import { DEFAULT_WORKER_PORT } from '../config/env';
import { runWorker } from './run';

runService({ logger: 'worker', label: 'worker' }, async ({ config, log, database, temporalAddress, stack }) => {
  // Probes and Prometheus reach it on WORKER_PORT, 3001 by default (the image's HEALTHCHECK asks /readyz there).
  const worker = await runWorker({ config, log, db: database.db, temporalAddress, health: { port: DEFAULT_WORKER_PORT, host: '0.0.0.0' } });
  stack.push('worker', () => worker.stop());
  // A worker that fails on its own ends the process (exit 1) so its supervisor restarts it.
  return { done: worker.done };
});
