import { z } from 'zod';
import { actorSchema } from './actor';
import { keySchema } from './template';

/**
 * Command payloads. The API validates request bodies with these same schemas, the OpenAPI
 * document is generated from them, and the workflow re-validates what it receives (signals can
 * come from the Temporal UI or the CLI with anything in them).
 */
const reason = z.string().trim().min(1).max(2000);
const userId = z.string().trim().min(1).max(200);
const isoInstant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T17:00:00Z' });

export const advanceInput = z
  .object({ to: keySchema, reason: reason.optional() })
  .strict()
  .describe('Move the case to another stage: forward, back or skip');

export const setFieldsInput = z
  .object({ values: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length > 0, 'give at least one field') })
  .strict()
  .describe('Set field values; null clears a value');

export const commentInput = z.object({ text: z.string().trim().min(1).max(10000) }).strict();

const decisionFields = z
  .object({
    decision: z.string().trim().min(1).max(500),
    justification: z.string().trim().min(1).max(10000),
    options: z.array(z.string().trim().min(1).max(500)).min(2).max(50).optional(),
  })
  .strict();

export const decisionInput = decisionFields.refine((d) => !d.options || d.options.includes(d.decision), {
    message: 'decision must be one of the options',
    path: ['decision'],
  });

export const createTaskInput = z
  .object({
    title: z.string().trim().min(1).max(300),
    description: z.string().max(10000).optional(),
    assignee: userId.optional(),
    /** The role expected to do the task until someone is assigned. */
    assigneeRole: keySchema.optional(),
    dueAt: isoInstant.optional(),
  })
  .strict();

export const reassignTaskInput = z.object({ assignee: userId }).strict();
export const completeTaskInput = z.object({ note: z.string().max(10000).optional() }).strict();
export const reopenTaskInput = z.object({ reason }).strict();

export const participantInput = z
  .object({
    kind: z.enum(['internal', 'external']),
    role: keySchema,
    name: z.string().trim().min(1).max(200),
    userId: userId.optional(),
    email: z.email().max(320).optional(),
  })
  .strict()
  .refine((p) => p.kind === 'external' || p.userId, { message: 'an internal participant needs a userId', path: ['userId'] })
  .refine((p) => p.kind === 'internal' || p.email, { message: 'an external participant needs an email', path: ['email'] });

export const assignOwnerInput = z.object({ owner: userId.nullable() }).strict();
export const closeInput = z.object({ reason: reason.optional() }).strict();
export const reasonInput = z.object({ reason }).strict();

/** Metadata of stored bytes: the API (or an activity) stores the file first, the workflow records it. */
export const documentVersionInput = z
  .object({
    documentId: z.string().min(1).max(100),
    fileName: z.string().min(1).max(255),
    contentType: z.string().min(1).max(255),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The document template a generated PDF was rendered from. */
    generatedFrom: keySchema.optional(),
  })
  .strict();

export const reviewDocumentInput = z
  .object({ decision: z.enum(['approve', 'reject']), reason: reason.optional() })
  .strict()
  .refine((r) => r.decision === 'approve' || r.reason, { message: 'a rejection needs a reason', path: ['reason'] });

/** Live SLA commands: re-target the running stage's deadline, or pause and resume its clock. */
export const changeDeadlineInput = z
  .object({ deadlineAt: isoInstant, reason })
  .strict()
  .describe("Move the running stage's deadline; goal and escalations follow");
export const pauseClockInput = z.object({ reason }).strict();
export const resumeClockInput = z.object({ reason: reason.optional() }).strict();

const taskRef = { taskId: z.string().min(1).max(50) };

export const caseCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('advance'), to: keySchema, reason: reason.optional() }).strict(),
  z.object({ type: z.literal('setFields'), values: z.record(z.string(), z.unknown()) }).strict(),
  z.object({ type: z.literal('comment'), text: commentInput.shape.text }).strict(),
  z.object({ type: z.literal('recordDecision'), ...decisionFields.shape }).strict(),
  z.object({ type: z.literal('createTask'), ...createTaskInput.shape }).strict(),
  z.object({ type: z.literal('reassignTask'), ...taskRef, assignee: userId }).strict(),
  z.object({ type: z.literal('completeTask'), ...taskRef, note: z.string().max(10000).optional() }).strict(),
  z.object({ type: z.literal('reopenTask'), ...taskRef, reason }).strict(),
  z.object({ type: z.literal('addParticipant'), participant: participantInput }).strict(),
  z.object({ type: z.literal('removeParticipant'), participantId: z.string().min(1).max(50) }).strict(),
  z.object({ type: z.literal('assignOwner'), owner: userId.nullable() }).strict(),
  z.object({ type: z.literal('close'), reason: reason.optional() }).strict(),
  z.object({ type: z.literal('reopen'), reason }).strict(),
  z.object({ type: z.literal('cancel'), reason }).strict(),
  z.object({ type: z.literal('uploadDocument'), slot: keySchema, ...documentVersionInput.shape }).strict(),
  z
    .object({ type: z.literal('reviewDocument'), documentId: z.string().min(1).max(100), decision: z.enum(['approve', 'reject']), reason: reason.optional() })
    .strict(),
  z.object({ type: z.literal('changeDeadline'), deadlineAt: isoInstant, reason }).strict(),
  z.object({ type: z.literal('pauseClock'), reason }).strict(),
  z.object({ type: z.literal('resumeClock'), reason: reason.optional() }).strict(),
]);

export type CaseCommand = z.infer<typeof caseCommandSchema>;
export type CaseCommandType = CaseCommand['type'];

/** What reaches the workflow, by update or by signal: the command, who sent it, and its request id. */
export const commandRequestSchema = z
  .object({
    /** The client's Idempotency-Key (or a generated id): a repeated id is applied once. */
    requestId: z.string().min(1).max(200).optional(),
    actor: actorSchema,
    command: caseCommandSchema,
  })
  .strict();

export type CommandRequest = z.input<typeof commandRequestSchema>;
export type ParsedCommandRequest = z.output<typeof commandRequestSchema>;

/** Input to start a case; `fields` and `participants` are checked against the template. */
export const startCaseInput = z
  .object({
    template: keySchema,
    title: z.string().trim().min(1).max(300),
    fields: z.record(z.string(), z.unknown()).optional(),
    owner: userId.optional(),
    participants: z.array(participantInput).max(100).optional(),
  })
  .strict();

export type StartCaseInput = z.infer<typeof startCaseInput>;
