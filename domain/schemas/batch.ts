import { z } from 'zod';
import { BATCH_LIMITS, BATCH_OUTCOMES } from '../batch';
import { CASE_SORTS } from '../case-list';
import { advanceInput, assignOwnerInput, closeInput, commentInput } from './commands';
import { keySchema } from './template';

/**
 * Requests and answers of bulk actions (POST /v1/bulk) and template migrations
 * (POST /v1/templates/:key/migrations): one schema each, for validation and the OpenAPI document.
 */

export const caseKeySchema = z.string().regex(/^[A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,9}$/, 'must be a case key like ONB-42');

/** The case-list filter of GET /v1/cases, as a JSON object (booleans are booleans here). */
export const caseFilterSchema = z
  .object({
    template: keySchema.optional(),
    stage: keySchema.optional(),
    status: z.enum(['open', 'closed', 'cancelled']).optional(),
    owner: z.string().min(1).max(200).optional(),
    overdue: z.boolean().optional().meta({ description: 'true: open cases whose earliest deadline has passed' }),
    q: z.string().trim().min(1).max(200).optional(),
    stalled: z.boolean().optional(),
    sort: z.enum(CASE_SORTS).optional().meta({ description: 'The order cases are processed in; default `-createdAt`' }),
  })
  .strict()
  .meta({ id: 'CaseFilter', description: 'The filters of `GET /v1/cases`; matches the cases the caller may see' });

const perSecond = z
  .number()
  .int()
  .min(1)
  .max(BATCH_LIMITS.maxPerSecond)
  .default(BATCH_LIMITS.defaultPerSecond)
  .meta({ description: `Cases started per second at most (default ${BATCH_LIMITS.defaultPerSecond}, at most ${BATCH_LIMITS.maxPerSecond})` });

const stageMap = z
  .record(keySchema, keySchema)
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 entries')
  .default({})
  .meta({ maxProperties: 50, description: 'Stage of fromVersion → stage of toVersion; a stage not named keeps its key', example: { review: 'legal-review' } });
const fieldMap = z
  .record(keySchema, keySchema.nullable())
  .refine((m) => Object.keys(m).length <= 200, 'at most 200 entries')
  .default({})
  .meta({ maxProperties: 200, description: 'Field of fromVersion → field of toVersion, or null to drop its value; a field not named keeps its key', example: { salary: 'baseSalary' } });
const version = z.number().int().positive();

/** What moving cases of a template needs besides the template key. */
export const migrationPlanSchema = z.object({ fromVersion: version, toVersion: version, stageMap, fieldMap });

export const migrationRequestSchema = migrationPlanSchema
  .extend({
    filter: caseFilterSchema.omit({ template: true }).optional().meta({ description: 'Only the cases of fromVersion matching this (default: all of them)' }),
    dryRun: z.boolean().default(false).meta({ description: 'true: report per case whether it can move, and change nothing' }),
    perSecond,
  })
  .strict()
  .meta({
    id: 'MigrationRequest',
    example: { fromVersion: 1, toVersion: 2, stageMap: { review: 'legal-review' }, fieldMap: { salary: 'baseSalary' }, dryRun: true },
  });

const targets = {
  caseIds: z.array(caseKeySchema).min(1).max(BATCH_LIMITS.maxCases).optional().meta({ description: `The cases, by key (at most ${BATCH_LIMITS.maxCases})` }),
  filter: caseFilterSchema.optional().meta({ description: `Or every case matching this filter that the caller may see (at most ${BATCH_LIMITS.maxCases})` }),
  perSecond,
};

const bulkActions = [
  z.object({ action: z.literal('advance'), params: advanceInput, ...targets }).strict(),
  z.object({ action: z.literal('assign'), params: assignOwnerInput, ...targets }).strict(),
  z.object({ action: z.literal('comment'), params: commentInput, ...targets }).strict(),
  z.object({ action: z.literal('close'), params: closeInput.default({}), ...targets }).strict(),
  z.object({ action: z.literal('cancel'), params: z.object({ reason: z.string().trim().min(1).max(1000) }).strict(), ...targets }).strict(),
  z.object({ action: z.literal('migrate'), params: migrationPlanSchema.extend({ template: keySchema }).strict(), ...targets }).strict(),
] as const;

export const bulkRequestSchema = z
  .discriminatedUnion('action', bulkActions)
  .superRefine((b, ctx) => {
    if ((b.caseIds === undefined) === (b.filter === undefined)) ctx.addIssue({ code: 'custom', path: ['caseIds'], message: 'give either caseIds or filter, not both or neither' });
  })
  .meta({ id: 'BulkRequest', example: { action: 'advance', params: { to: 'documentation' }, caseIds: ['ONB-41', 'ONB-42'] } });
export type BulkRequest = z.output<typeof bulkRequestSchema>;

const counts = z.object(Object.fromEntries(BATCH_OUTCOMES.map((o) => [o, z.number().int()])) as Record<(typeof BATCH_OUTCOMES)[number], z.ZodNumber>);

export const batchItemSchema = z
  .object({
    position: z.number().int(),
    case: z.string(),
    outcome: z.enum(BATCH_OUTCOMES),
    code: z.string().nullable().meta({ description: 'Why a case refused (its rejection code), or `failed`' }),
    detail: z.string().nullable(),
    at: z.string(),
  })
  .meta({ id: 'BatchItem' });

export const batchSchema = z
  .object({
    id: z.string().meta({ example: 'bulk-6f1c2a9d3b' }),
    kind: z.enum(['bulk', 'migration']),
    action: z.string(),
    template: z.string().nullable(),
    request: z.record(z.string(), z.unknown()).meta({ description: 'The request as accepted (action parameters, migration plan, filter)' }),
    requestedBy: z.object({ id: z.string(), name: z.string() }),
    status: z.enum(['running', 'completed', 'cancelled']),
    total: z.number().int(),
    counts: counts.meta({ description: 'Cases per outcome: pending until the workflow reaches them' }),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    workflowId: z.string().meta({ description: 'The Temporal workflow carrying it out (Temporal UI)' }),
    items: z.array(batchItemSchema),
    nextCursor: z.number().int().nullable().meta({ description: 'Pass back as `after` for the next page of items' }),
  })
  .meta({ id: 'Batch' });

export const batchItemsQuery = z
  .object({
    after: z.coerce.number().int().min(-1).optional().meta({ description: 'Items after this position' }),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    outcome: z.enum(BATCH_OUTCOMES).optional(),
  })
  .strict();

const blocker = z.object({ code: z.string(), path: z.string(), message: z.string() });
export const migrationDryRunSchema = z
  .object({
    dryRun: z.literal(true),
    template: z.string(),
    fromVersion: z.number().int(),
    toVersion: z.number().int(),
    counts: z.object({ total: z.number().int(), movable: z.number().int(), blocked: z.number().int() }),
    cases: z.array(
      z.object({
        id: z.string(),
        canMove: z.boolean(),
        stage: z.object({ from: z.string(), to: z.string() }).nullable(),
        fieldChanges: z.array(z.object({ field: z.string(), to: z.string().nullable() })),
        blockers: z.array(blocker),
      }),
    ),
  })
  .meta({ id: 'MigrationDryRun' });
