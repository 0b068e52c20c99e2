import { z } from 'zod';
import { batchItemsQuery, batchSchema, bulkRequestSchema, migrationDryRunSchema, migrationRequestSchema } from '../../domain/schemas/batch';
import { BATCH_LIMITS } from '../../domain/batch';
import type { BatchKind } from '../../domain/batch';
import { batchAnswer, cancelBatch, submitBulk, submitMigration } from '../batches';
import type { ApiDeps } from '../deps';
import { defineRoute } from '../route';
import { commandHeaders, templateKeyParams } from '../schemas';

const batchParams = (kind: BatchKind) =>
  z.object({ id: z.string().regex(kind === 'bulk' ? /^bulk-[0-9a-f]{12}$/ : /^migration-[0-9a-f]{12}$/, `must be an id like ${kind === 'bulk' ? 'bulk' : 'migration'}-6f1c2a9d3b4e`) });

const PROGRESS =
  'Per-case outcomes: `applied`; `refused` with the case\'s reason (`code`, `detail`); `not_visible` — the caller may not see the case, or it does not exist; `failed` after retries; `cancelled` — not reached before a cancel; `pending` until the workflow reaches it.';

/** Bulk actions (POST /v1/bulk) and template migrations (POST /v1/templates/:key/migrations), with their progress. */
export function batchRoutes(deps: ApiDeps) {
  const progressRoutes = (kind: BatchKind, base: string, noun: string, tag: string) => [
    defineRoute({
      method: 'get',
      path: `${base}/:id`,
      operationId: kind === 'bulk' ? 'getBulkAction' : 'getMigration',
      summary: `Progress of a ${noun}`,
      description: `Status, counts per outcome and one page of cases in processing order (\`after\`, \`limit\`, \`outcome\`). Visible to whoever asked for it and to admins. ${PROGRESS}`,
      tags: [tag],
      params: batchParams(kind),
      query: batchItemsQuery,
      responses: { 200: { description: `The ${noun}`, schema: batchSchema } },
      problems: ['batch_not_found'],
      handler: async ({ params, query, actor }) => ({ body: await batchAnswer(deps, actor, kind, params.id, query) }),
    }),
    defineRoute({
      method: 'post',
      path: `${base}/:id/cancel`,
      operationId: kind === 'bulk' ? 'cancelBulkAction' : 'cancelMigration',
      summary: `Cancel a ${noun}`,
      description: `Stops the ${noun}: cases already done stay done (each applied in one step, never half), the rest end \`cancelled\`. 409 once it has finished.`,
      tags: [tag],
      params: batchParams(kind),
      responses: { 202: { description: 'Cancellation requested; `status` turns `cancelled` shortly', schema: batchSchema } },
      problems: ['batch_not_found', 'batch_finished', 'dependency_unavailable'],
      handler: async ({ params, actor }) => ({ status: 202, body: await cancelBatch(deps, actor, kind, params.id) }),
    }),
  ];

  return [
    defineRoute({
      method: 'post',
      path: '/v1/bulk',
      operationId: 'startBulkAction',
      summary: 'Apply one action to many cases',
      description:
        `\`advance\`, \`assign\` (owner), \`comment\`, \`close\`, \`cancel\` or \`migrate\` (admins), to \`caseIds\` or to every case matching \`filter\` that the caller may see — at most ${BATCH_LIMITS.maxCases} cases, processed ${BATCH_LIMITS.concurrency} at a time and at most \`perSecond\` per second by a Temporal workflow (its id is the answer's \`id\`). Each case gets the command as the caller sent it alone: the same permission checks, the same refusals. With an Idempotency-Key a retried request returns the same bulk action. ${PROGRESS}`,
      tags: ['Bulk actions'],
      body: bulkRequestSchema,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: { 202: { description: 'Accepted; follow `Location` for progress', schema: batchSchema } },
      problems: ['validation_failed', 'forbidden', 'template_not_found', 'limit_exceeded', 'idempotency_key_reused', 'dependency_unavailable'],
      handler: async ({ body, headers, actor }) => {
        const id = await submitBulk(deps, actor, body, headers['idempotency-key'] || undefined);
        return { status: 202, headers: { Location: `/v1/bulk/${id}` }, body: await batchAnswer(deps, actor, 'bulk', id, { limit: 100 }) };
      },
    }),
    ...progressRoutes('bulk', '/v1/bulk', 'bulk action', 'Bulk actions'),
    defineRoute({
      method: 'post',
      path: '/v1/templates/:key/migrations',
      operationId: 'migrateTemplateCases',
      summary: 'Move running cases to another template version',
      description:
        'Admins only. The cases of `fromVersion` (matching `filter`) move to `toVersion`: `stageMap` maps stages that were renamed or removed, `fieldMap` renames fields (null drops a value). A case moves only if its stage maps to one of the new version, each field value fits its new field (type, options), every required field of the new version has a value, and no open checklist task or document slot it uses has gone. ' +
        '`dryRun: true` answers per case whether it can move and why not, changing nothing. Otherwise a Temporal workflow (id in the answer; rate-limited by `perSecond`, cancellable, resumed after a crash) sends each case a migration, which it takes only if it still passes the checks at that moment: it then records `template.migrated` and re-arms its SLA clock from the new stage definition (counted from when it entered the stage); a case that fails is reported and keeps its version. With an Idempotency-Key a retried request starts nothing new.',
      tags: ['Templates'],
      params: templateKeyParams,
      body: migrationRequestSchema,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: {
        200: { description: 'Dry run: per case, whether it can move', schema: migrationDryRunSchema },
        202: { description: 'Migration started; follow `Location` for progress', schema: batchSchema },
      },
      problems: ['validation_failed', 'forbidden', 'template_not_found', 'limit_exceeded', 'idempotency_key_reused', 'dependency_unavailable'],
      handler: async ({ params, body, headers, actor }) => {
        const result = await submitMigration(deps, actor, params.key, body, headers['idempotency-key'] || undefined);
        if (typeof result !== 'string') return { body: result };
        return { status: 202, headers: { Location: `/v1/migrations/${result}` }, body: await batchAnswer(deps, actor, 'migration', result, { limit: 100 }) };
      },
    }),
    ...progressRoutes('migration', '/v1/migrations', 'migration', 'Templates'),
  ];
}
