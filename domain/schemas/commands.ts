import { z } from 'zod';
import { actorShape } from '../actor';
import { commandShapes, key, participantShape, userId, type CaseCommand, type CaseCommandType, type ParsedCommandRequest } from '../commands';
import { COUNT, TEXT } from '../limits';
import { list, object, optional, record, text, type Fields, type InferFields } from '../shapes';
import { strictObject, zodObject, zodOf } from './from-shape';

/**
 * The API's zod schemas of commands: request bodies (validation and OpenAPI) built from the
 * shapes in domain/commands.ts, plus the checks that need more than one field.
 */

/** A command's fields minus those the URL carries (`/tasks/:taskId/complete`). */
function body<T extends CaseCommandType, K extends keyof (typeof commandShapes)[T] = never>(type: T, fromPath: K[] = []) {
  const fields = Object.fromEntries(Object.entries(commandShapes[type]).filter(([k]) => !(fromPath as string[]).includes(k)));
  return strictObject(fields as Fields) as unknown as z.ZodType<InferFields<Omit<(typeof commandShapes)[T], K>>>;
}

export const advanceInput = body('advance').describe('Move the case to another stage: forward, back or skip').meta({ example: { to: 'review' } });
export const fieldValuesInput = (zodOf(record(COUNT.fieldsPerChange, 1)) as z.ZodType<Record<string, unknown>>).meta({ example: { startDate: '2027-01-04', contractType: 'employee' } });
export const commentInput = body('comment').meta({ example: { text: '@max the contract is signed; can you check the equipment list?' } });
export const decisionInput = body('recordDecision')
  .refine((d) => !d.options || d.options.includes(d.decision), {
    message: 'decision must be one of the options',
    path: ['decision'],
  })
  .meta({ example: { decision: 'approve', justification: 'References checked; salary within the band', options: ['approve', 'reject'] } });
export const createTaskInput = body('createTask').meta({ example: { title: 'Order a laptop', assignee: 'ivan', dueAt: '2027-01-05T09:00:00Z' } });
export const reassignTaskInput = body('reassignTask', ['taskId']).meta({ example: { assignee: 'max' } });
export const completeTaskInput = body('completeTask', ['taskId']).meta({ example: { note: 'Laptop handed over' } });
export const reopenTaskInput = body('reopenTask', ['taskId']).meta({ example: { reason: 'Wrong model delivered' } });
export const participantInput = (zodOf(participantShape) as z.ZodType<InferFields<(typeof participantShape)['fields']>>)
  .refine((p) => p.kind === 'external' || p.userId, { message: 'an internal participant needs a userId', path: ['userId'] })
  .refine((p) => p.kind === 'internal' || p.email, { message: 'an external participant needs an email', path: ['email'] })
  .meta({ example: { kind: 'internal', role: 'manager', name: 'Max Manager', userId: 'max' } });
export const assignOwnerInput = body('assignOwner').meta({ example: { owner: 'hana' } });
export const closeInput = body('close').meta({ example: { reason: 'Onboarding complete' } });
export const reasonInput = body('reopen').meta({ example: { reason: 'The start date moved' } });
export const reviewDocumentInput = body('reviewDocument', ['documentId'])
  .refine((r) => r.decision === 'approve' || r.reason, { message: 'a rejection needs a reason', path: ['reason'] })
  .meta({ example: { decision: 'reject', reason: 'The scan is cut off: upload all four corners' } });
export const changeDeadlineInput = body('changeDeadline')
  .describe("Move the running stage's deadline; goal and escalations follow")
  .meta({ example: { deadlineAt: '2027-01-08T17:00:00+01:00', reason: 'The start date moved' } });
export const pauseClockInput = body('pauseClock').meta({ example: { reason: 'Waiting on the candidate' } });
export const resumeClockInput = body('resumeClock').meta({ example: { reason: 'Documents received' } });

/** Every command as one discriminated union (documentation and tests). */
export const caseCommandSchema = z.discriminatedUnion(
  'type',
  Object.entries(commandShapes).map(([type, fields]) =>
    z
      .object({
        type: z.literal(type),
        ...Object.fromEntries(Object.entries(fields as Fields).map(([k, v]) => [k, k === 'participant' ? participantInput : zodOf(v)])),
      })
      .strict(),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<CaseCommand>;

/** What reaches the workflow (the workflow itself checks it with domain/commands.ts, without zod). */
export const commandRequestSchema = z
  .object({ requestId: z.string().min(1).max(TEXT.idempotencyKey).optional(), actor: zodOf(actorShape), command: caseCommandSchema })
  .strict() as unknown as z.ZodType<ParsedCommandRequest>;

/** Input to start a case; `fields` and `participants` are checked against the template. */
export const startCaseShape = object({
  template: key,
  title: text(TEXT.caseTitle),
  fields: optional(record(COUNT.fieldsPerChange)),
  owner: optional(userId),
  participants: optional(list(participantShape, COUNT.participantsAtStart)),
});
export const startCaseInput = zodObject(startCaseShape.fields).meta({
  example: {
    template: 'employee-onboarding',
    title: 'Onboard Jane Doe',
    fields: { fullName: 'Jane Doe', startDate: '2027-01-04' },
    owner: 'hana',
    participants: [{ kind: 'external', role: 'candidate', name: 'Jane Doe', email: 'jane.doe@example.com' }],
  },
});
export type StartCaseInput = InferFields<(typeof startCaseShape)['fields']>;
