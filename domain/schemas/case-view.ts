import { z } from 'zod';
import { actorSchema } from './actor';

/** The case view and its events as the API documents them (OpenAPI) and the projection checks them. */

const reviewStatus = z.enum(['pending', 'approved', 'rejected']);

/** What a reader who may not see a sensitive field or document gets in place of its value. */
export const redactedSchema = z
  .object({ redacted: z.literal(true) })
  .strict()
  .meta({ id: 'Redacted', description: 'A sensitive value this caller may not see (see "Who may see what")' });

const orRedacted = <T extends z.ZodType>(schema: T) => z.union([schema, redactedSchema]);
/** One version of a document slot, as the case records it (metadata only). */
export const documentVersionSchema = z.object({
  slot: z.string(),
  version: z.number().int(),
  documentId: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  generatedFrom: z.string().optional(),
  uploadedAt: z.string(),
  uploadedBy: z.object({ id: z.string(), name: z.string(), kind: z.enum(['user', 'external', 'system']) }),
  status: reviewStatus,
  reason: z.string().optional(),
  reviewedAt: z.string().optional(),
  reviewedBy: z.object({ id: z.string(), name: z.string() }).optional(),
});
/** One version as the API answers it: the metadata of a sensitive slot the caller may not see is redacted. */
export const publicDocumentVersionSchema = documentVersionSchema.extend({
  fileName: orRedacted(z.string()),
  contentType: orRedacted(z.string()),
  size: orRedacted(z.number().int()),
  sha256: orRedacted(z.string()),
  reason: orRedacted(z.string()).optional(),
});
const fieldValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()]);
const missingSchema = z.object({ fields: z.array(z.string()), documents: z.array(z.string()), tasks: z.array(z.string()) });

export const caseEventSchema = z
  .object({
    seq: z.number().int().positive(),
    at: z.string(),
    actor: actorSchema,
    type: z.string(),
    stage: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'CaseEvent', description: 'One timeline entry; seq is strictly increasing per case' });

/** The one-case view served by the workflow query (the projection checks batches against it). */
export const caseViewSchema = z
  .object({
    id: z.string().meta({ example: 'ONB-42' }),
    template: z.object({ key: z.string(), version: z.number().int(), name: z.string() }),
    title: z.string(),
    status: z.enum(['open', 'closed', 'cancelled']),
    statusReason: z.string().nullable(),
    stage: z.object({
      key: z.string(),
      name: z.string(),
      enteredAt: z.string(),
      terminal: z.boolean(),
      ownerRole: z.string().nullable(),
      /** What the stage's exit criteria still need before the case may move forward. */
      missing: missingSchema,
    }),
    stages: z.array(z.object({ key: z.string(), name: z.string(), terminal: z.boolean(), position: z.enum(['past', 'current', 'upcoming']) })),
    owner: z.string().nullable(),
    fields: z.record(z.string(), fieldValue),
    tasks: z.array(
      z.object({
        taskId: z.string(),
        key: z.string().optional(),
        title: z.string(),
        description: z.string().optional(),
        assignee: z.string().nullable(),
        assigneeRole: z.string().optional(),
        dueAt: z.string().nullable(),
        stage: z.string(),
        status: z.enum(['open', 'completed']),
        createdAt: z.string(),
        completedAt: z.string().nullable(),
        completedBy: z.string().nullable(),
      }),
    ),
    participants: z.array(
      z.object({
        participantId: z.string(),
        kind: z.enum(['internal', 'external']),
        role: z.string(),
        name: z.string(),
        userId: z.string().optional(),
        email: z.string().optional(),
        addedAt: z.string(),
      }),
    ),
    decisions: z.array(
      z.object({
        decisionId: z.string(),
        decision: z.string(),
        justification: z.string(),
        options: z.array(z.string()).optional(),
        stage: z.string(),
        at: z.string(),
        by: z.object({ id: z.string(), name: z.string() }),
      }),
    ),
    documents: z.record(
      z.string(),
      z.object({
        versions: z.number().int(),
        status: reviewStatus,
        items: z.array(documentVersionSchema),
      }),
    ),
    /** The current stage's SLA clock; remaining times are as of `asOf`. */
    sla: z
      .object({
        stage: z.string(),
        startedAt: z.string(),
        goalAt: z.string().nullable(),
        deadlineAt: z.string().nullable(),
        goalRemainingMs: z.number().nullable(),
        deadlineRemainingMs: z.number().nullable(),
        overdueMs: z.number(),
        goalMissed: z.boolean(),
        deadlineMissed: z.boolean(),
        escalationLevel: z.number().int(),
        paused: z.boolean(),
        pausedAt: z.string().nullable(),
        pausedMs: z.number(),
      })
      .nullable(),
    /** The earliest running deadline (stage or open task); the case is overdue once it has passed. */
    dueAt: z.string().nullable(),
    overdue: z.boolean(),
    stalled: z.boolean(),
    /** The instant remaining and overdue times were computed for. */
    asOf: z.string(),
    comments: z.number().int(),
    lastSeq: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    closedAt: z.string().nullable(),
  });

/** The one-case view as the API answers it, sensitive values the caller may not see redacted; documents it in OpenAPI. */
export const publicCaseViewSchema = caseViewSchema
  .extend({
    fields: z.record(z.string(), orRedacted(fieldValue)),
    documents: z.record(z.string(), z.object({ versions: z.number().int(), status: reviewStatus, items: z.array(publicDocumentVersionSchema) })),
  })
  .meta({ id: 'CaseView' });


/** Answer of every command: the case after it, and the events it appended. */
export const commandResultSchema = z
  .object({ case: publicCaseViewSchema, events: z.array(caseEventSchema) })
  .meta({
    id: 'CommandResult',
    description: 'A repeated Idempotency-Key gets the events of the first request again, none new',
  });


const missingCriteriaSchema = z.object({ fields: z.array(z.string()), documents: z.array(z.string()), tasks: z.array(z.string()) });

/** What the caller may do with the case now (domain/allowed-actions.ts), so clients offer only what would be accepted. */
export const allowedActionsSchema = z
  .object({
    act: z.boolean().meta({ description: 'May change the case in its current stage' }),
    comment: z.boolean(),
    moves: z.array(
      z.object({
        to: z.string(),
        name: z.string(),
        direction: z.enum(['forward', 'back', 'skip']),
        reasonRequired: z.boolean(),
        missing: missingCriteriaSchema.meta({ description: 'What the current stage still needs before this move is accepted' }),
      }),
    ),
    close: z.object({ allowed: z.boolean(), reasonRequired: z.boolean() }),
    reopen: z.boolean(),
    cancel: z.boolean(),
    completeOwnTasks: z.boolean().meta({ description: 'May complete tasks assigned to them, whatever the stage permissions' }),
  })
  .meta({ id: 'AllowedActions' });

/** GET /v1/cases/:id: the view plus what the caller may do with it. */
export const caseViewWithAllowedSchema = publicCaseViewSchema.extend({ allowed: allowedActionsSchema }).meta({ id: 'CaseViewForCaller' });

/** GET /v1/cases/:id?asOf=: the view as it stood then, which nobody can act on. */
export const historicalCaseViewSchema = publicCaseViewSchema
  .extend({ historical: z.literal(true).meta({ description: 'Folded from the timeline up to `asOf`; read-only' }) })
  .meta({ id: 'HistoricalCaseView' });
