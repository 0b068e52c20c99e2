import type { Actor } from './actor';
import type { CaseEvent, CaseEventData, CaseEventType, CaseStatus, DocumentVersionData, EventDraft, ParticipantData, TaskData } from './events';
import type { FieldValue } from './fields';

export interface TaskState extends TaskData {
  status: 'open' | 'completed';
  /** Set once `task.overdue` was recorded for the current due date. */
  overdue?: boolean;
  createdAt: string;
  completedAt: string | null;
  completedBy: string | null;
}

export interface ParticipantState extends ParticipantData {
  addedAt: string;
}

export interface DecisionState {
  decisionId: string;
  decision: string;
  justification: string;
  options?: string[];
  stage: string;
  at: string;
  by: { id: string; name: string };
}

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

export interface DocumentVersionState extends DocumentVersionData {
  uploadedAt: string;
  uploadedBy: { id: string; name: string; kind: Actor['kind'] };
  status: ReviewStatus;
  reason?: string;
  reviewedAt?: string;
  reviewedBy?: { id: string; name: string };
}

/** A document slot: every version ever uploaded (metadata only) and the review status of the latest. */
export interface DocumentSlotState {
  versions: number;
  status: ReviewStatus;
  items: DocumentVersionState[];
}

/**
 * The SLA clock of the current stage. Targets are instants; while paused, the remaining time to
 * each is kept instead (counted on the business calendar when the target's duration is).
 */
export interface StageClock {
  stage: string;
  startedAt: string;
  goalAt: string | null;
  deadlineAt: string | null;
  goalMissed: boolean;
  deadlineMissed: boolean;
  /** Levels fired so far, per escalation of the stage (by index). */
  escalated: number[];
  /** Levels fired so far across all escalations: the next `sla.escalated` gets this plus one. */
  level: number;
  pausedAt: string | null;
  goalRemainingMs: number | null;
  deadlineRemainingMs: number | null;
  pausedMs: number;
}

/** Everything the workflow knows about a case: built only by folding events with `evolve`. */
export interface CaseState {
  key: string;
  templateKey: string;
  templateVersion: number;
  title: string;
  status: CaseStatus;
  stage: string;
  stageEnteredAt: string;
  owner: string | null;
  fields: Record<string, FieldValue>;
  tasks: Record<string, TaskState>;
  participants: Record<string, ParticipantState>;
  documents: Record<string, DocumentSlotState>;
  decisions: DecisionState[];
  clock: StageClock | null;
  /** The last event that was not a timer, automation or effect outcome: what inactivity counts from. */
  lastActivityAt: string;
  stalledAt: string | null;
  counters: { tasks: number; participants: number; comments: number; decisions: number };
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  statusReason: string | null;
}

/** The state before the first event: only the key is known. */
export function emptyState(key: string): CaseState {
  return {
    key,
    templateKey: '',
    templateVersion: 0,
    title: '',
    status: 'open',
    stage: '',
    stageEnteredAt: '',
    owner: null,
    fields: {},
    tasks: {},
    participants: {},
    documents: {},
    decisions: [],
    clock: null,
    lastActivityAt: '',
    stalledAt: null,
    counters: { tasks: 0, participants: 0, comments: 0, decisions: 0 },
    lastSeq: 0,
    createdAt: '',
    updatedAt: '',
    closedAt: null,
    statusReason: null,
  };
}

/** Applies one event to the state. Pure: returns a new state, never mutates the given one. */
/** Events that do not count as activity on a case: timers firing, automations and their effects. */
const passiveEvents: ReadonlySet<CaseEventType> = new Set<CaseEventType>([
  'sla.goal_missed',
  'sla.deadline_missed',
  'sla.escalated',
  'task.overdue',
  'case.stalled',
  'automation.ran',
  'automation.failed',
  'email.sent',
  'notification.sent',
  'webhook.delivered',
  'command.rejected',
]);

export function isActivity(type: CaseEventType): boolean {
  return !passiveEvents.has(type);
}

export function evolve(state: CaseState, event: CaseEvent): CaseState {
  const active = isActivity(event.type);
  const next: CaseState = {
    ...state,
    lastSeq: event.seq,
    updatedAt: event.at,
    ...(active ? { lastActivityAt: event.at, stalledAt: null } : {}),
  };
  switch (event.type) {
    case 'case.created':
      return {
        ...next,
        title: event.data.title,
        templateKey: event.data.templateKey,
        templateVersion: event.data.templateVersion,
        owner: event.data.owner,
        createdAt: event.at,
      };
    case 'stage.entered':
      return { ...next, stage: event.stage, stageEnteredAt: event.at, clock: null };
    case 'stage.exited':
      return next;
    case 'field.changed':
      return { ...next, fields: { ...state.fields, [event.data.field]: event.data.new } };
    case 'comment.added':
      return { ...next, counters: { ...state.counters, comments: state.counters.comments + 1 } };
    case 'decision.recorded':
      return {
        ...next,
        counters: { ...state.counters, decisions: state.counters.decisions + 1 },
        decisions: [
          ...state.decisions,
          { ...event.data, stage: event.stage, at: event.at, by: { id: event.actor.id, name: event.actor.name } },
        ],
      };
    case 'task.created':
      return {
        ...next,
        counters: { ...state.counters, tasks: state.counters.tasks + 1 },
        tasks: {
          ...state.tasks,
          [event.data.taskId]: { ...event.data, status: 'open', createdAt: event.at, completedAt: null, completedBy: null },
        },
      };
    case 'task.reassigned':
      return updateTask(next, event.data.taskId, { assignee: event.data.to });
    case 'task.completed':
      return updateTask(next, event.data.taskId, { status: 'completed', completedAt: event.at, completedBy: event.actor.id });
    case 'task.reopened':
      return updateTask(next, event.data.taskId, { status: 'open', completedAt: null, completedBy: null });
    case 'participant.added':
      return {
        ...next,
        counters: { ...state.counters, participants: state.counters.participants + 1 },
        participants: { ...state.participants, [event.data.participantId]: { ...event.data, addedAt: event.at } },
      };
    case 'participant.removed': {
      const participants = { ...state.participants };
      delete participants[event.data.participantId];
      return { ...next, participants };
    }
    case 'owner.assigned':
      return { ...next, owner: event.data.to };
    case 'case.closed':
      return { ...next, status: 'closed', closedAt: event.at, statusReason: event.data.reason ?? null };
    case 'case.cancelled':
      return { ...next, status: 'cancelled', closedAt: event.at, statusReason: event.data.reason };
    case 'case.reopened':
      return { ...next, status: 'open', closedAt: null, statusReason: null };
    case 'document.uploaded': {
      const slot = own(state.documents, event.data.slot) ?? { versions: 0, status: 'pending' as const, items: [] };
      const item: DocumentVersionState = {
        ...event.data,
        uploadedAt: event.at,
        uploadedBy: { id: event.actor.id, name: event.actor.name, kind: event.actor.kind },
        status: 'pending',
      };
      return {
        ...next,
        documents: { ...state.documents, [event.data.slot]: { versions: event.data.version, status: 'pending', items: [...slot.items, item] } },
      };
    }
    case 'document.approved':
    case 'document.rejected': {
      const slot = own(state.documents, event.data.slot);
      if (!slot) return next;
      const status: ReviewStatus = event.type === 'document.approved' ? 'approved' : 'rejected';
      const items = slot.items.map((item) =>
        item.version === event.data.version
          ? {
              ...item,
              status,
              ...(event.data.reason ? { reason: event.data.reason } : {}),
              reviewedAt: event.at,
              reviewedBy: { id: event.actor.id, name: event.actor.name },
            }
          : item,
      );
      const latest = items[items.length - 1];
      return { ...next, documents: { ...state.documents, [event.data.slot]: { ...slot, items, status: latest?.status ?? slot.status } } };
    }
    case 'sla.started':
      return {
        ...next,
        clock: {
          stage: event.data.stage,
          startedAt: event.at,
          goalAt: event.data.goalAt,
          deadlineAt: event.data.deadlineAt,
          goalMissed: false,
          deadlineMissed: false,
          escalated: [],
          level: 0,
          pausedAt: null,
          goalRemainingMs: null,
          deadlineRemainingMs: null,
          pausedMs: 0,
        },
      };
    case 'sla.goal_missed':
      return withClock(next, (c) => ({ ...c, goalMissed: true }));
    case 'sla.deadline_missed':
      return withClock(next, (c) => ({ ...c, deadlineMissed: true }));
    case 'sla.escalated':
      return withClock(next, (c) => {
        const escalated = [...c.escalated];
        escalated[event.data.escalation] = (escalated[event.data.escalation] ?? 0) + 1;
        return { ...c, escalated: Array.from(escalated, (n) => n ?? 0), level: event.data.level };
      });
    case 'sla.deadline_changed':
      // A new deadline is a new promise: its misses and escalations count afresh.
      return withClock(next, (c) => ({
        ...c,
        deadlineAt: event.data.to,
        ...(c.pausedAt ? { deadlineRemainingMs: event.data.deadlineRemainingMs ?? 0 } : {}),
        deadlineMissed: false,
        escalated: [],
        level: 0,
      }));
    case 'sla.paused':
      return withClock(next, (c) => ({
        ...c,
        pausedAt: event.at,
        goalRemainingMs: event.data.goalRemainingMs,
        deadlineRemainingMs: event.data.deadlineRemainingMs,
      }));
    case 'sla.resumed':
      return withClock(next, (c) => ({
        ...c,
        pausedAt: null,
        goalAt: event.data.goalAt,
        deadlineAt: event.data.deadlineAt,
        goalRemainingMs: null,
        deadlineRemainingMs: null,
        pausedMs: c.pausedMs + event.data.pausedMs,
      }));
    case 'task.overdue':
      return updateTask(next, event.data.taskId, { overdue: true });
    case 'case.stalled':
      return { ...next, stalledAt: event.at };
    case 'template.migrated':
      return migrated(next, event.data);
    case 'automation.ran':
    case 'automation.failed':
    case 'email.sent':
    case 'notification.sent':
    case 'webhook.delivered':
    case 'command.rejected':
      return next;
  }
}

/** The state under the new version: stage and task stages mapped, field values renamed or dropped, no clock. */
function migrated(state: CaseState, data: CaseEventData['template.migrated']): CaseState {
  const fields = { ...state.fields };
  // Every renamed value is read from the state before the move: a swap of two fields keeps both.
  for (const change of data.fieldChanges) delete fields[change.field];
  for (const change of data.fieldChanges) {
    const value = own(state.fields, change.field);
    if (change.to !== null && value !== undefined) fields[change.to] = value;
  }
  const tasks: Record<string, TaskState> = {};
  for (const [id, task] of Object.entries(state.tasks)) tasks[id] = { ...task, stage: own(data.stageMap, task.stage) ?? task.stage };
  return { ...state, templateVersion: data.to, stage: data.stage.to, fields, tasks, clock: null };
}

function withClock(state: CaseState, change: (clock: StageClock) => StageClock): CaseState {
  return state.clock ? { ...state, clock: change(state.clock) } : state;
}

/** Own properties only: ids such as `constructor` must not find Object.prototype members. */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function updateTask(state: CaseState, taskId: string, patch: Partial<TaskState>): CaseState {
  const task = state.tasks[taskId];
  if (!task) return state;
  return { ...state, tasks: { ...state.tasks, [taskId]: { ...task, ...patch } } };
}

/**
 * Stamps drafts with sequence numbers, time, actor and the stage each leaves the case in,
 * folding each into the state.
 */
export function applyDrafts(
  state: CaseState,
  drafts: ReadonlyArray<EventDraft>,
  actor: Actor,
  at: string,
): { state: CaseState; events: CaseEvent[] } {
  const events: CaseEvent[] = [];
  let current = state;
  // The opening event precedes the first stage.entered; it belongs to the stage the case opens in.
  const opening = drafts.find((d) => d.type === 'stage.entered');
  for (const draft of drafts) {
    const stage =
      draft.type === 'stage.entered' ? draft.data.stage : current.stage || (opening?.type === 'stage.entered' ? opening.data.stage : '');
    const event: CaseEvent = { ...draft, seq: current.lastSeq + 1, at, actor, stage };
    current = evolve(current, event);
    events.push(event);
  }
  return { state: current, events };
}

/** Rebuilds a state from its events: what an "as of" view or a projection check does. */
export function foldEvents(key: string, events: ReadonlyArray<CaseEvent>): CaseState {
  return events.reduce(evolve, emptyState(key));
}
