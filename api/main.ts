/** Production API process: `npm run api` (PORT, DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE). */
import { runService } from '../startup/service';
import { runApi } from './run';

runService({ logger: 'api', label: 'API' }, async ({ config, log, database, temporalAddress, stack }) => {
  const api = await runApi({ config, log, db: database.db, temporalAddress });
  log.info({ url: api.url }, 'API listening');
  stack.push('API', () => api.stop());
});
