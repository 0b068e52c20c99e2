import type { Actor } from './actor';
import type { CaseEvent, CaseStatus, EventDraft, ParticipantData, TaskData } from './events';
import type { FieldValue } from './fields';

export interface TaskState extends TaskData {
  status: 'open' | 'completed';
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

/** Document slots are filled by the documents issue; exit criteria already read this. */
export interface DocumentSlotState {
  versions: number;
  status: 'pending' | 'approved' | 'rejected';
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
    counters: { tasks: 0, participants: 0, comments: 0, decisions: 0 },
    lastSeq: 0,
    createdAt: '',
    updatedAt: '',
    closedAt: null,
    statusReason: null,
  };
}

/** Applies one event to the state. Pure: returns a new state, never mutates the given one. */
export function evolve(state: CaseState, event: CaseEvent): CaseState {
  const next: CaseState = { ...state, lastSeq: event.seq, updatedAt: event.at };
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
      return { ...next, stage: event.stage, stageEnteredAt: event.at };
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
    case 'command.rejected':
      return next;
  }
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
