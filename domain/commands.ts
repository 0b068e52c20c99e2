import { actorShape, type Actor } from './actor';
import { BYTES, COUNT, TEXT, formatBytes, jsonBytes } from './limits';
import {
  checkShape,
  formatted,
  int,
  list,
  nullable,
  object,
  oneOf,
  optional,
  rawText,
  record,
  text,
  type Fields,
  type InferFields,
  type InferInput,
  type ShapeProblem,
} from './shapes';

/**
 * What each command carries, declared once as data. The API builds its zod schemas from these
 * (request validation and OpenAPI, domain/schemas/commands.ts); the workflow checks every message
 * it receives against them (signals can come from the Temporal UI, the CLI or other systems with
 * anything in them) with `checkCommandRequest`, which loads no zod.
 */
export const key = formatted('key', TEXT.key);
export const reason = text(TEXT.reason);
export const userId = text(TEXT.userId);
export const instant = formatted('instant', 64);
const taskId = rawText(50, 1);

export const participantShape = object({
  kind: oneOf('internal', 'external'),
  role: key,
  name: text(TEXT.personName),
  userId: optional(userId),
  email: optional(formatted('email', TEXT.email)),
});

export const commandShapes = {
  advance: { to: key, reason: optional(reason) },
  setFields: { values: record(COUNT.fieldsPerChange, 1) },
  comment: { text: text(TEXT.comment) },
  recordDecision: {
    decision: text(TEXT.decision),
    justification: text(TEXT.justification),
    options: optional(list(text(TEXT.decisionOption), COUNT.decisionOptions, 2)),
  },
  createTask: {
    title: text(TEXT.taskTitle),
    description: optional(rawText(TEXT.taskDescription)),
    assignee: optional(userId),
    /** The role expected to do the task until someone is assigned. */
    assigneeRole: optional(key),
    dueAt: optional(instant),
  },
  reassignTask: { taskId, assignee: userId },
  completeTask: { taskId, note: optional(rawText(TEXT.taskNote)) },
  reopenTask: { taskId, reason },
  addParticipant: { participant: participantShape },
  removeParticipant: { participantId: rawText(50, 1) },
  assignOwner: { owner: nullable(userId) },
  close: { reason: optional(reason) },
  reopen: { reason },
  cancel: { reason },
  /** Metadata of stored bytes: the API (or an activity) stores the file first, the workflow records it. */
  uploadDocument: {
    slot: key,
    documentId: rawText(TEXT.documentId, 1),
    fileName: rawText(TEXT.fileName, 1),
    contentType: rawText(TEXT.contentType, 1),
    size: int(0),
    sha256: formatted('sha256', 64),
    /** The document template a generated PDF was rendered from. */
    generatedFrom: optional(key),
  },
  reviewDocument: { documentId: rawText(TEXT.documentId, 1), decision: oneOf('approve', 'reject'), reason: optional(reason) },
  /** Live SLA commands: re-target the running stage's deadline, or pause and resume its clock. */
  changeDeadline: { deadlineAt: instant, reason },
  pauseClock: { reason },
  resumeClock: { reason: optional(reason) },
} as const satisfies Record<string, Fields>;

export type CaseCommandType = keyof typeof commandShapes;
export type CaseCommand = { [T in CaseCommandType]: { type: T } & InferFields<(typeof commandShapes)[T]> }[CaseCommandType];
export type ParticipantInput = InferFields<(typeof participantShape)['fields']>;

/** What reaches the workflow, by update or by signal: the command, who sent it, and its request id. */
export interface CommandRequest {
  /** The client's Idempotency-Key (or a generated id): a repeated id is applied once. */
  requestId?: string;
  /**
   * The read model holds the case's events through this seq, as the sender wrote them (the API's
   * answer writes): the case need not write them again. Sent only to runs that say they take it
   * (`CommandResult.takesWritten`).
   */
  written?: number;
  actor: InferInput<typeof actorShape>;
  command: CaseCommand;
}
export interface ParsedCommandRequest {
  requestId?: string;
  actor: Actor;
  command: CaseCommand;
}

const commandTypes = new Set<string>(Object.keys(commandShapes));
const requestEnvelope = object({ requestId: optional(rawText(TEXT.idempotencyKey, 1)), actor: actorShape, written: optional(int(0)) });

export type CommandCheck = { ok: true; request: ParsedCommandRequest } | { ok: false; problems: ShapeProblem[]; tooLarge?: boolean };

/**
 * Checks a message against the command shapes, without zod: its size first (BYTES.command), then
 * the envelope, then the command's own shape. Returns the request normalised as the API would
 * have sent it (strings trimmed, defaults filled in).
 */
export function checkCommandRequest(raw: unknown, options: { maxBytes?: number } = {}): CommandCheck {
  const maxBytes = options.maxBytes ?? BYTES.command;
  const bytes = maxBytes === Infinity ? 0 : jsonBytes(raw);
  if (bytes > maxBytes) {
    return { ok: false, tooLarge: true, problems: [{ path: '(message)', message: `is ${formatBytes(bytes)}; a command may carry at most ${formatBytes(BYTES.command)}` }] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, problems: [{ path: '(message)', message: 'must be an object' }] };
  const { command, ...envelope } = raw as Record<string, unknown>;
  const problems: ShapeProblem[] = [];
  const checkedEnvelope = checkShape(requestEnvelope, envelope);
  if (!checkedEnvelope.ok) problems.push(...checkedEnvelope.problems);
  const type = (command as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !commandTypes.has(type)) {
    problems.push({ path: 'command.type', message: `must be one of: ${[...commandTypes].join(', ')}` });
    return { ok: false, problems };
  }
  const { type: _type, ...payload } = command as Record<string, unknown>;
  const checkedCommand = checkShape(object(commandShapes[type as CaseCommandType]), payload);
  if (!checkedCommand.ok) problems.push(...checkedCommand.problems.map((p) => ({ ...p, path: `command.${p.path}` })));
  if (!checkedEnvelope.ok || !checkedCommand.ok) return { ok: false, problems };
  const { requestId, actor } = checkedEnvelope.value;
  return { ok: true, request: { ...(requestId ? { requestId } : {}), actor, command: { type, ...checkedCommand.value } as CaseCommand } };
}

/** The actor a message names, when it names one validly (used to record who sent a refused signal). */
export function checkActor(raw: unknown): Actor | undefined {
  const checked = checkShape(actorShape, raw);
  return checked.ok ? checked.value : undefined;
}
