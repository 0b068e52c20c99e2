/** Production worker process: `npm run worker` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL). */
import { runService } from '../startup/service';
import { runWorker } from './run';

runService({ logger: 'worker', label: 'worker' }, async ({ config, log, database, temporalAddress, stack }) => {
  const worker = await runWorker({ config, log, db: database.db, temporalAddress });
  stack.push('worker', () => worker.stop());
  // A worker that fails on its own ends the process (exit 1) so its supervisor restarts it.
  return { done: worker.done };
});
