import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import { projectCaseActivity } from './projection';

export { ProjectionFailure } from './projection';

export interface ActivityDeps {
  db: Database;
  config: Config;
}

/**
 * Every activity the worker registers, built over its dependencies so tests can hand in a
 * real database and fakes of third-party services. Workflows import this type only.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    /** Projects `{ caseKey, view, events }` into the read model; idempotent and order-safe. */
    projectCase: projectCaseActivity(deps.db),
  };
}
