import { z } from 'zod';
import { actorSchema } from './actor';
import type { CaseState } from './case-state';
import { missingExitCriteria } from './decide';
import type { CaseEvent } from './events';
import { stageName, type PublishedTemplate } from './template';

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

/** The one-case view served by the workflow query; its zod schema documents it in OpenAPI. */
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
    documents: z.record(z.string(), z.object({ versions: z.number().int(), status: z.enum(['pending', 'approved', 'rejected']) })),
    comments: z.number().int(),
    lastSeq: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    closedAt: z.string().nullable(),
  })
  .meta({ id: 'CaseView' });

export type CaseView = z.infer<typeof caseViewSchema>;

/** Answer of every command: the case after it, and the events it appended. */
export const commandResultSchema = z
  .object({ case: caseViewSchema, events: z.array(caseEventSchema) })
  .meta({
    id: 'CommandResult',
    description: 'A repeated Idempotency-Key gets the events of the first request again, none new',
  });
export type CommandResult = { case: CaseView; events: CaseEvent[] };

export function toCaseView(state: CaseState, template: PublishedTemplate): CaseView {
  const def = template.definition;
  const currentIndex = def.stages.findIndex((s) => s.key === state.stage);
  const stage = def.stages[currentIndex];
  return {
    id: state.key,
    template: { key: template.key, version: template.version, name: def.name },
    title: state.title,
    status: state.status,
    statusReason: state.statusReason,
    stage: {
      key: state.stage,
      name: stage ? stageName(stage) : state.stage,
      enteredAt: state.stageEnteredAt,
      terminal: stage?.terminal ?? false,
      ownerRole: stage?.owner ?? null,
      missing: stage ? missingExitCriteria(state, stage) : { fields: [], documents: [], tasks: [] },
    },
    stages: def.stages.map((s, i) => ({
      key: s.key,
      name: stageName(s),
      terminal: s.terminal,
      position: i < currentIndex ? 'past' : i === currentIndex ? 'current' : 'upcoming',
    })),
    owner: state.owner,
    fields: state.fields,
    tasks: Object.values(state.tasks),
    participants: Object.values(state.participants),
    decisions: state.decisions,
    documents: state.documents,
    comments: state.counters.comments,
    lastSeq: state.lastSeq,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    closedAt: state.closedAt,
  };
}
