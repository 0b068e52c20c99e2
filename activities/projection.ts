import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { caseEventSchema, caseViewSchema } from '../domain/schemas/case-view';
import type { Database } from '../db/connection';
import { isPermanentDataError } from '../db/errors';
import { InvalidProjectionError, projectCase, type ProjectionBatch } from '../db/read-model';
import { getPinnedDefinition } from '../db/templates';
import type { CaseMetrics } from '../metrics/case-metrics';

/** `ApplicationFailure.type` values of the projection activity's permanent failures. */
export const ProjectionFailure = {
  /** The batch does not have the shape of a case view and its events. */
  InvalidBatch: 'InvalidProjectionBatch',
  /** PostgreSQL refused the data itself (bad value, constraint): retrying cannot help. */
  RejectedByDatabase: 'ProjectionRejectedByDatabase',
} as const;

const batchSchema = z
  .object({ caseKey: z.string().min(1), view: caseViewSchema, events: z.array(caseEventSchema) })
  .refine((b) => b.view.id === b.caseKey, { message: 'view.id must equal caseKey', path: ['view', 'id'] })
  .refine((b) => b.events.every((e) => e.seq <= b.view.lastSeq), { message: 'events must not be newer than the view', path: ['events'] });

/**
 * Writes a batch of a case's events and its current view to the read model, with who may see the
 * case and what `q` may search, both derived from the template the case pinned (read from the
 * templates table, kept in memory). Invalid input, a pinned template that does not exist and data
 * PostgreSQL refuses fail for good; everything else (connection loss, deadlocks, timeouts) is
 * thrown as is, so Temporal retries it.
 */
export function projectCaseActivity(db: Database, metrics: CaseMetrics) {
  return async (batch: ProjectionBatch): Promise<{ projectedThrough: number }> => {
    const parsed = batchSchema.safeParse(batch);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(batch)'}: ${i.message}`);
      throw ApplicationFailure.create({
        type: ProjectionFailure.InvalidBatch,
        message: `invalid projection batch: ${problems.join('; ')}`,
        nonRetryable: true,
      });
    }
    try {
      const { key, version } = parsed.data.view.template;
      const template = await getPinnedDefinition(db, key, version);
      if (!template) throw new InvalidProjectionError(`case ${batch.caseKey} pins template ${key} v${version}, which is not in the templates table`);
      // The batch as sent (not zod's output): the stored view keeps every field the workflow put in it.
      const { projectedThrough, inserted } = await projectCase(db, batch, template);
      metrics.eventsStored(key, inserted, 'worker');
      return { projectedThrough };
    } catch (err) {
      if (err instanceof InvalidProjectionError) {
        throw ApplicationFailure.create({ type: ProjectionFailure.InvalidBatch, message: err.message, nonRetryable: true });
      }
      if (isPermanentDataError(err)) {
        throw ApplicationFailure.create({
          type: ProjectionFailure.RejectedByDatabase,
          message: `the read model refused case ${batch.caseKey}: ${describe(err)}`,
          nonRetryable: true,
          cause: err instanceof Error ? err : undefined,
        });
      }
      throw err;
    }
  };
}

function describe(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
