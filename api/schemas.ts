import { z } from 'zod';
import { TEXT } from '../domain/limits';
import { caseEventSchema } from '../domain/schemas/case-view';
import { keySchema, templateDefinitionSchema } from '../domain/schemas/template';
import { CASE_SORTS } from '../domain/case-list';

/** Request and response shapes that belong to the HTTP API rather than the domain. */

export const caseIdParams = z.object({ id: z.string().regex(/^[A-Z][A-Z0-9]{0,9}-[1-9][0-9]{0,9}$/, 'must be a case key like ONB-42') });
export const taskParams = caseIdParams.extend({ taskId: z.string().regex(/^T-[1-9][0-9]*$/, 'must be a task id like T-3') });
export const participantParams = caseIdParams.extend({
  participantId: z.string().regex(/^P-[1-9][0-9]*$/, 'must be a participant id like P-2'),
});
export const templateKeyParams = z.object({ key: keySchema });
export const templateVersionParams = templateKeyParams.extend({ v: z.coerce.number().int().positive() });
export const boardParams = z.object({ templateKey: keySchema });

export const publishedTemplateSchema = z
  .object({
    key: z.string(),
    version: z.number().int(),
    prefix: z.string(),
    name: z.string(),
    publishedAt: z.string(),
    publishedBy: z.string().nullable().optional(),
    definition: templateDefinitionSchema,
  })
  .meta({ id: 'PublishedTemplate' });

export const templateListSchema = z.object({
  items: z.array(z.object({ key: z.string(), name: z.string(), prefix: z.string(), latestVersion: z.number().int(), publishedAt: z.string() })),
});

export const caseSummarySchema = z
  .object({
    id: z.string(),
    template: z.object({ key: z.string(), version: z.number().int() }),
    title: z.string(),
    status: z.enum(['open', 'closed', 'cancelled']),
    stage: z.string(),
    owner: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    closedAt: z.string().nullable(),
    dueAt: z.string().nullable().meta({ description: 'The earliest running deadline (stage SLA or open task)' }),
    overdue: z.boolean(),
    stalled: z.boolean().meta({ description: 'No activity for the template\'s inactivity period' }),
    openTasks: z.number().int().meta({ description: 'Tasks not yet completed' }),
    lastSeq: z.number().int(),
  })
  .meta({ id: 'CaseSummary' });

const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);

export const listCasesQuery = z
  .object({
    template: keySchema.optional(),
    stage: keySchema.optional(),
    status: z.enum(['open', 'closed', 'cancelled']).optional(),
    owner: z.string().min(1).max(200).optional(),
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .meta({ description: 'true: open cases whose earliest deadline has passed' }),
    q: z.string().trim().min(1).max(200).optional(),
    stalled: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .meta({ description: 'true: cases with no activity for their template\'s inactivity period' }),
    sort: z.enum(CASE_SORTS).optional().meta({ description: 'A column, descending with a leading `-`; default `-createdAt` (newest first)' }),
    limit: limit(200, 50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

/** The case-list parameters a saved view may hold (not the page position). */
export const savedViewQuery = listCasesQuery.omit({ limit: true, cursor: true });

export const boardQuery = z.object({ limit: limit(500, 50).meta({ description: 'Cases per stage' }) }).strict();

export const caseListSchema = z.object({ items: z.array(caseSummarySchema), nextCursor: z.string().nullable() }).meta({ id: 'CaseList' });

export const timelineQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional().meta({ description: 'Return events with seq greater than this' }),
    limit: limit(500, 100),
    type: z
      .union([z.string().max(1000), z.array(z.string().max(100)).max(50)])
      .optional()
      .transform((t) => (t === undefined ? undefined : (Array.isArray(t) ? t : t.split(',')).map((s) => s.trim()).filter(Boolean)))
      .meta({ description: 'Only these event types (comma-separated or repeated)' }),
    until: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant, e.g. 2027-01-04T09:00:00Z' }).optional().meta({ description: 'Only events up to this instant (inclusive): the timeline as it stood then' }),
  })
  .strict();

/** GET /v1/cases/:id?asOf=: the case as it stood at an instant, folded from its timeline. */
export const caseViewQuery = z
  .object({
    asOf: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 instant, e.g. 2027-01-04T09:00:00Z' })
      .optional()
      .meta({ description: 'The case as it stood at this instant (between its creation and now), folded from its timeline; marked `historical`' }),
  })
  .strict();

export const timelineSchema = z.object({ items: z.array(caseEventSchema), nextCursor: z.number().int().nullable() }).meta({ id: 'TimelinePage' });

export const boardSchema = z
  .object({
    template: z.object({ key: z.string(), version: z.number().int(), name: z.string() }),
    stages: z.array(
      z.object({ key: z.string(), name: z.string(), terminal: z.boolean(), count: z.number().int(), overdue: z.number().int(), cases: z.array(caseSummarySchema) }),
    ),
  })
  .meta({ id: 'Board' });

export const acceptedSchema = z
  .object({
    accepted: z.literal(true),
    requestId: z.string().meta({ description: 'The Idempotency-Key, or one made for the command: send it again to be answered without a second application', example: '7f9c2b1e-5d4a-4c1b-9e3f-2a6d8c0b4e71' }),
    caseKey: z.string().meta({ description: 'The case the command was sent to (`GET /v1/cases/{id}` shows its effect)', example: 'ONB-42' }),
  })
  .meta({
    id: 'Accepted',
    description:
      'The command passed the same checks as a synchronous one and was sent as a signal. Only a case that changed in between can still refuse it: that refusal lands on its timeline as command.rejected. (Was `case`, the same property name as the case view of a 200 answer: renamed `caseKey` so the two answers cannot be confused.)',
  });

/** A header value the API keeps or acts on: bounded, and without NUL (PostgreSQL cannot store it). */
const headerText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !v.includes('\u0000'), 'must not contain a NUL character');

/** Headers of command endpoints, by lower-case name (route.ts validates them: 400 invalid_header). */
export const commandHeaders = z.object({
  'idempotency-key': headerText(TEXT.idempotencyKey)
    .optional()
    .meta({ description: `A retried request with the same key is applied once (at most ${TEXT.idempotencyKey} characters)` }),
  prefer: headerText(1000).optional().meta({ description: '`respond-async` sends the command as a signal and answers 202' }),
});

export const createTokenInput = z
  .object({
    actorId: z.string().trim().min(1).max(200),
    actorName: z.string().trim().min(1).max(200),
    roles: z.array(keySchema).max(50).default([]),
    description: z.string().max(500).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const tokenSchema = z.object({
  id: z.string(),
  actorId: z.string(),
  actorName: z.string(),
  roles: z.array(z.string()),
  description: z.string().nullable().optional(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().optional(),
  expiresAt: z.string().nullable().optional(),
  revokedAt: z.string().nullable().optional(),
});
