import { ADMIN_ROLE, type Actor } from './actor';
import { own, type CaseState } from './case-state';
import type { CaseCommand } from './commands';
import type { EventDraft, MoveDirection, ParticipantData } from './events';
import { checkFieldValues, isEmptyValue, sameValue, type FieldValue } from './fields';
import { parseMentions } from './mentions';
import { reject, type MissingCriteria, type Rejection } from './rejections';
import { addDuration } from './durations';
import { COUNT } from './limits';
import { calendarOf, clockStartDraft, deadlineChangeDraft, pauseDraft, resumeDraft, runningClock } from './sla';
import { findStage, stageIndex, type StageDefinition, type TemplateDefinition } from './template';

export type Decision = { ok: true; events: EventDraft[] } | { ok: false; rejection: Rejection };

const accept = (events: EventDraft[]): Decision => ({ ok: true, events });
const refuse = (rejection: Rejection): Decision => ({ ok: false, rejection });

/** Whether the actor's roles allow this kind of action in the stage (admins and the system always may). */
export function mayAct(actor: Actor, stage: StageDefinition | undefined, kind: 'act' | 'comment'): boolean {
  if (actor.kind === 'system' || actor.roles.includes(ADMIN_ROLE)) return true;
  const allowed = stage?.permissions?.[kind];
  return !allowed || actor.roles.some((r) => allowed.includes(r));
}

function forbidden(actor: Actor, stage: StageDefinition, kind: 'act' | 'comment'): Rejection {
  const roles = stage.permissions?.[kind] ?? [];
  return reject(
    'forbidden',
    `${actor.name} (roles: ${actor.roles.join(', ') || 'none'}) may not ${kind === 'act' ? 'act' : 'comment'} in stage "${stage.key}"; allowed roles: ${roles.join(', ')}`,
  );
}

/** What the stage's exit criteria still need in this state. */
export function missingExitCriteria(state: CaseState, stage: StageDefinition): MissingCriteria {
  const exit = stage.exit;
  const missing: MissingCriteria = { fields: [], documents: [], tasks: [] };
  if (!exit) return missing;
  missing.fields = exit.fields.filter((f) => isEmptyValue(own(state.fields, f)));
  // A rejected latest version asks for a new one: it no longer counts as present.
  const present = (slot: string) => {
    const s = own(state.documents, slot);
    return !!s && s.versions > 0 && s.status !== 'rejected';
  };
  missing.documents = [
    ...exit.documents.filter((d) => !present(d)),
    // Templates published before `approved` existed were stored without it.
    ...(exit.approved ?? []).filter((d) => own(state.documents, d)?.status !== 'approved' && !exit.documents.includes(d)),
  ];
  const tasks = Object.values(state.tasks);
  if (exit.tasks === 'all') {
    missing.tasks = tasks.filter((t) => t.stage === stage.key && t.status !== 'completed').map((t) => t.taskId);
  } else {
    missing.tasks = exit.tasks.filter((key) => !tasks.some((t) => t.stage === stage.key && t.key === key && t.status === 'completed'));
  }
  return missing;
}


const hasMissing = (m: MissingCriteria) => m.fields.length + m.documents.length + m.tasks.length > 0;

/**
 * What entering a stage starts: its SLA clock, and the checklist tasks it creates (once per stage
 * and task key), due after their `due` duration.
 */
function stageEntryDrafts(state: CaseState, template: TemplateDefinition, stage: StageDefinition, now: string): EventDraft[] {
  const existing = new Set(Object.values(state.tasks).filter((t) => t.stage === stage.key).map((t) => t.key));
  let n = state.counters.tasks;
  const tasks: EventDraft[] = stage.tasks
    .filter((t) => !existing.has(t.key))
    .map((t) => ({
      type: 'task.created' as const,
      data: {
        taskId: `T-${++n}`,
        key: t.key,
        title: t.title,
        assignee: null,
        ...(t.assigneeRole ? { assigneeRole: t.assigneeRole } : {}),
        dueAt: t.due ? addDuration(now, t.due, calendarOf(template)) : null,
        stage: stage.key,
      },
    }));
  return [...clockStartDraft(template, stage, now), ...tasks];
}

export function moveDirection(template: TemplateDefinition, from: string, to: string): MoveDirection {
  const delta = stageIndex(template, to) - stageIndex(template, from);
  return delta === 1 ? 'forward' : delta > 1 ? 'skip' : 'back';
}

function decideAdvance(state: CaseState, template: TemplateDefinition, to: string, reason: string | undefined, now: string): Decision {
  const current = findStage(template, state.stage);
  const target = findStage(template, to);
  if (!current) return refuse(reject('unknown_stage', `the case is in stage "${state.stage}", which its template does not define`));
  if (!target) {
    return refuse(
      reject('unknown_stage', `unknown stage "${to}"; stages are: ${template.stages.map((s) => s.key).join(', ')}`, {
        errors: [{ path: 'to', message: `unknown stage "${to}"` }],
      }),
    );
  }
  if (to === state.stage) return refuse(reject('already_in_stage', `the case is already in stage "${to}"`));
  const none: MissingCriteria = { fields: [], documents: [], tasks: [] };
  // Transitions restrict only the stages they name: a stage without an entry may move anywhere.
  const allowed = template.transitions?.find((t) => t.from === state.stage)?.to;
  if (allowed && !allowed.includes(to)) {
    return refuse(
      reject('transition_not_allowed', `the template allows moves from "${state.stage}" only to: ${allowed.join(', ')}`, { missing: none }),
    );
  }
  const direction = moveDirection(template, state.stage, to);
  if (direction !== 'forward' && !reason) {
    return refuse(
      reject('reason_required', `moving ${direction === 'back' ? 'back' : 'past a stage'} needs a reason`, {
        errors: [{ path: 'reason', message: 'required for a move back or a skip' }],
      }),
    );
  }
  if (direction !== 'back') {
    const missing = missingExitCriteria(state, current);
    if (hasMissing(missing)) {
      const parts = [
        missing.fields.length ? `fields: ${missing.fields.join(', ')}` : '',
        missing.documents.length ? `documents: ${missing.documents.join(', ')}` : '',
        missing.tasks.length ? `tasks: ${missing.tasks.join(', ')}` : '',
      ].filter(Boolean);
      return refuse(
        reject('transition_not_allowed', `stage "${state.stage}" is not complete; missing ${parts.join('; ')}`, { missing }),
      );
    }
  }
  return accept([
    { type: 'stage.exited', data: { stage: state.stage, to, direction } },
    { type: 'stage.entered', data: { stage: to, from: state.stage, direction, ...(reason ? { reason } : {}) } },
    ...stageEntryDrafts(state, template, target, now),
  ]);
}

function fieldChanges(state: CaseState, values: Record<string, FieldValue>): EventDraft[] {
  return Object.entries(values)
    .filter(([key, value]) => !sameValue(own(state.fields, key), value))
    .map(([field, value]) => ({
      type: 'field.changed' as const,
      data: { field, old: own(state.fields, field) ?? null, new: value },
    }));
}

function participantDrafts(state: CaseState, input: Omit<ParticipantData, 'participantId'>): Decision {
  const dupe = Object.values(state.participants).find(
    (p) =>
      p.role === input.role &&
      p.kind === input.kind &&
      (input.kind === 'internal' ? p.userId === input.userId : p.email?.toLowerCase() === input.email?.toLowerCase()),
  );
  if (dupe) return refuse(reject('participant_exists', `${dupe.name} is already a participant with role "${input.role}" (${dupe.participantId})`));
  if (input.kind === 'internal' && !input.userId) {
    return refuse(reject('invalid_command', 'an internal participant needs a userId', { errors: [{ path: 'userId', message: 'required' }] }));
  }
  if (input.kind === 'external' && !input.email) {
    return refuse(reject('invalid_command', 'an external participant needs an email', { errors: [{ path: 'email', message: 'required' }] }));
  }
  const participantId = `P-${state.counters.participants + 1}`;
  return accept([{ type: 'participant.added', data: { participantId, ...input } }]);
}

/**
 * The rules of a case: given the live state and a command, the events it produces or why it is
 * refused. Pure and deterministic; the workflow's update validator and handler both call it.
 */
export function decide(
  state: CaseState,
  template: TemplateDefinition,
  command: CaseCommand,
  actor: Actor,
  now: string = state.updatedAt,
): Decision {
  const stage = findStage(template, state.stage);
  if (!stage) return refuse(reject('unknown_stage', `the case is in stage "${state.stage}", which its template does not define`));
  if (actor.kind === 'external') {
    const refused = externalRefusal(state, template, command, actor);
    if (refused) return refuse(refused);
  }

  if (command.type === 'comment') {
    if (!mayAct(actor, stage, 'comment')) return refuse(forbidden(actor, stage, 'comment'));
    const commentId = `C-${state.counters.comments + 1}`;
    return accept([{ type: 'comment.added', data: { commentId, text: command.text, mentions: parseMentions(command.text) } }]);
  }

  if (command.type === 'reopen') {
    if (state.status === 'open') return refuse(reject('case_open', 'the case is already open'));
    if (!mayAct(actor, stage, 'act')) return refuse(forbidden(actor, stage, 'act'));
    return accept([{ type: 'case.reopened', data: { reason: command.reason } }]);
  }

  if (state.status !== 'open') {
    return refuse(reject('case_not_open', `the case is ${state.status}; reopen it first`));
  }

  // Completing one's own task is allowed whatever the stage's permissions say; external
  // participants were checked against what the template opens to them.
  const ownTask = command.type === 'completeTask' && own(state.tasks, command.taskId)?.assignee === actor.id;
  if (!ownTask && actor.kind !== 'external' && !mayAct(actor, stage, 'act')) return refuse(forbidden(actor, stage, 'act'));

  switch (command.type) {
    case 'advance':
      return decideAdvance(state, template, command.to, command.reason, now);

    case 'setFields': {
      const checked = checkFieldValues(template, command.values);
      if (!checked.ok) {
        return refuse(
          reject('invalid_fields', checked.errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
            errors: checked.errors.map((e) => ({ path: `fields.${e.field}`, message: e.message })),
          }),
        );
      }
      const changes = fieldChanges(state, checked.values);
      if (!changes.length) return refuse(reject('no_change', 'every given value equals the current one'));
      return accept(changes);
    }

    case 'recordDecision': {
      if (state.decisions.length >= COUNT.decisionsPerCase) return refuse(tooMany('decisions', COUNT.decisionsPerCase));
      if (command.options && !command.options.includes(command.decision)) {
        return refuse(
          reject('invalid_command', 'decision must be one of the options', {
            errors: [{ path: 'decision', message: `must be one of: ${command.options.join(', ')}` }],
          }),
        );
      }
      const decisionId = `D-${state.counters.decisions + 1}`;
      const { decision, justification, options } = command;
      return accept([{ type: 'decision.recorded', data: { decisionId, decision, justification, ...(options ? { options } : {}) } }]);
    }

    case 'createTask': {
      if (Object.keys(state.tasks).length >= COUNT.tasksPerCase) return refuse(tooMany('tasks', COUNT.tasksPerCase));
      const taskId = `T-${state.counters.tasks + 1}`;
      return accept([
        {
          type: 'task.created',
          data: {
            taskId,
            title: command.title,
            ...(command.description ? { description: command.description } : {}),
            assignee: command.assignee ?? null,
            ...(command.assigneeRole ? { assigneeRole: command.assigneeRole } : {}),
            dueAt: command.dueAt ? new Date(command.dueAt).toISOString() : null,
            stage: state.stage,
          },
        },
      ]);
    }

    case 'reassignTask':
    case 'completeTask':
    case 'reopenTask': {
      const task = own(state.tasks, command.taskId);
      if (!task) return refuse(reject('task_not_found', `no task "${command.taskId}" on this case`));
      if (command.type === 'reassignTask') {
        if (task.assignee === command.assignee) return refuse(reject('no_change', `the task is already assigned to ${command.assignee}`));
        return accept([{ type: 'task.reassigned', data: { taskId: task.taskId, from: task.assignee, to: command.assignee } }]);
      }
      if (command.type === 'completeTask') {
        if (task.status === 'completed') return refuse(reject('task_already_completed', `task ${task.taskId} is already completed`));
        return accept([{ type: 'task.completed', data: { taskId: task.taskId, ...(command.note ? { note: command.note } : {}) } }]);
      }
      if (task.status !== 'completed') return refuse(reject('task_not_completed', `task ${task.taskId} is not completed`));
      return accept([{ type: 'task.reopened', data: { taskId: task.taskId, reason: command.reason } }]);
    }

    case 'addParticipant': {
      if (Object.keys(state.participants).length >= COUNT.participantsPerCase) return refuse(tooMany('participants', COUNT.participantsPerCase));
      const { kind, role, name, userId, email } = command.participant;
      return participantDrafts(state, { kind, role, name, ...(userId ? { userId } : {}), ...(email ? { email } : {}) });
    }

    case 'removeParticipant': {
      if (!own(state.participants, command.participantId)) {
        return refuse(reject('participant_not_found', `no participant "${command.participantId}" on this case`));
      }
      return accept([{ type: 'participant.removed', data: { participantId: command.participantId } }]);
    }

    case 'assignOwner':
      if (state.owner === command.owner) return refuse(reject('no_change', `the owner is already ${command.owner ?? 'nobody'}`));
      return accept([{ type: 'owner.assigned', data: { from: state.owner, to: command.owner } }]);

    case 'close':
      if (!stage.terminal && !command.reason) {
        return refuse(
          reject('reason_required', `stage "${stage.key}" is not terminal: closing here needs a reason`, {
            errors: [{ path: 'reason', message: 'required when closing outside a terminal stage' }],
          }),
        );
      }
      return accept([{ type: 'case.closed', data: command.reason ? { reason: command.reason } : {} }]);

    case 'cancel':
      return accept([{ type: 'case.cancelled', data: { reason: command.reason } }]);

    case 'uploadDocument': {
      const slot = template.documents.find((d) => d.key === command.slot);
      if (!slot) return refuse(unknownSlot(template, command.slot));
      if (slot.contentTypes && !slot.contentTypes.some((c) => c.toLowerCase() === command.contentType.toLowerCase())) {
        return refuse(reject('unsupported_content_type', `slot "${slot.key}" accepts ${slot.contentTypes.join(', ')}, not ${command.contentType}`));
      }
      const versions = own(state.documents, slot.key)?.versions ?? 0;
      if (versions >= COUNT.versionsPerSlot) return refuse(tooMany(`versions in slot "${slot.key}"`, COUNT.versionsPerSlot));
      const { type: _type, ...version } = command;
      return accept([{ type: 'document.uploaded', data: { ...version, version: versions + 1 } }]);
    }

    case 'reviewDocument': {
      const found = findDocument(state, command.documentId);
      if (!found) return refuse(reject('document_not_found', `no document "${command.documentId}" on this case`));
      const { slot, item } = found;
      if (item.version !== slot.versions) {
        return refuse(reject('not_latest_version', `version ${item.version} of "${item.slot}" was superseded by version ${slot.versions}; review the latest`));
      }
      if (item.status !== 'pending') return refuse(reject('already_reviewed', `version ${item.version} of "${item.slot}" is already ${item.status}`));
      const ref = { slot: item.slot, version: item.version, documentId: item.documentId };
      if (command.decision === 'approve') return accept([{ type: 'document.approved', data: { ...ref, ...(command.reason ? { reason: command.reason } : {}) } }]);
      if (!command.reason) {
        return refuse(reject('reason_required', 'a rejection needs a reason', { errors: [{ path: 'reason', message: 'required when rejecting' }] }));
      }
      return accept([{ type: 'document.rejected', data: { ...ref, reason: command.reason } }]);
    }

    case 'changeDeadline': {
      const clock = runningClock(state);
      if (!clock) return refuse(reject('no_clock', `stage "${stage.key}" has no running SLA clock`));
      if (clock.deadlineAt !== null && Date.parse(clock.deadlineAt) === Date.parse(command.deadlineAt)) return refuse(reject('no_change', `the deadline is already ${command.deadlineAt}`));
      return accept([deadlineChangeDraft(template, stage, clock, new Date(command.deadlineAt).toISOString(), command.reason, now)]);
    }

    case 'pauseClock': {
      const clock = runningClock(state);
      if (!clock) return refuse(reject('no_clock', `stage "${stage.key}" has no running SLA clock`));
      if (clock.pausedAt) return refuse(reject('clock_paused', `the clock has been paused since ${clock.pausedAt}`));
      return accept([pauseDraft(template, stage, clock, command.reason, now)]);
    }

    case 'resumeClock': {
      const clock = runningClock(state);
      if (!clock) return refuse(reject('no_clock', `stage "${stage.key}" has no running SLA clock`));
      if (!clock.pausedAt) return refuse(reject('clock_not_paused', 'the clock is running'));
      return accept([resumeDraft(template, stage, clock, command.reason, now)]);
    }
  }
}

/** A case holds at most so many of a thing (domain/limits.ts): its state must stay within its byte budget. */
function tooMany(what: string, max: number): Rejection {
  return reject('limit_exceeded', `the case already has ${max} ${what}, the most a case may hold`);
}

function unknownSlot(template: TemplateDefinition, slot: string): Rejection {
  return reject('unknown_slot', `unknown document slot "${slot}"; slots are: ${template.documents.map((d) => d.key).join(', ') || 'none'}`);
}

export function findDocument(state: CaseState, documentId: string) {
  for (const slot of Object.values(state.documents)) {
    const item = slot.items.find((i) => i.documentId === documentId);
    if (item) return { slot, item };
  }
  return undefined;
}

/**
 * External participants (the portal) may only upload to slots marked `external` and fill in
 * fields marked `external`, and only while they are on the case.
 */
function externalRefusal(state: CaseState, template: TemplateDefinition, command: CaseCommand, actor: Actor): Rejection | undefined {
  const participant = own(state.participants, actor.id);
  if (!participant || participant.kind !== 'external') return reject('forbidden', `${actor.name} is not an external participant of this case`);
  if (command.type === 'uploadDocument') {
    const slot = template.documents.find((d) => d.key === command.slot);
    if (!slot) return unknownSlot(template, command.slot);
    return slot.external ? undefined : reject('forbidden', `document slot "${slot.key}" is not open to external participants`);
  }
  if (command.type === 'setFields') {
    const closed = Object.keys(command.values).filter((k) => !template.fields.some((f) => f.key === k && f.external));
    return closed.length ? reject('forbidden', `fields not open to external participants: ${closed.join(', ')}`) : undefined;
  }
  return reject('forbidden', `external participants may not ${command.type}`);
}

export interface StartRequest {
  title: string;
  templateKey: string;
  templateVersion: number;
  fields?: Record<string, unknown>;
  owner?: string;
  participants?: Array<Omit<ParticipantData, 'participantId'>>;
}

/** The events that open a case, or why its start input does not fit the template. */
export function decideStart(template: TemplateDefinition, start: StartRequest, base: CaseState, now: string = new Date(0).toISOString()): Decision {
  const first = template.stages[0];
  if (!first) return refuse(reject('unknown_stage', 'the template has no stages'));
  const checked = checkFieldValues(template, start.fields ?? {});
  const errors = checked.ok ? [] : checked.errors.map((e) => ({ path: `fields.${e.field}`, message: e.message }));
  const values = checked.values;
  for (const field of template.fields) {
    if (field.required && isEmptyValue(values[field.key]) && !errors.some((e) => e.path === `fields.${field.key}`)) {
      errors.push({ path: `fields.${field.key}`, message: 'is required' });
    }
  }
  if (errors.length) {
    return refuse(reject('invalid_fields', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }));
  }
  const drafts: EventDraft[] = [
    {
      type: 'case.created',
      data: { title: start.title, templateKey: start.templateKey, templateVersion: start.templateVersion, owner: start.owner ?? null },
    },
    { type: 'stage.entered', data: { stage: first.key, from: null, direction: 'start' } },
    ...fieldChanges(base, values).filter((d) => d.type !== 'field.changed' || d.data.new !== null),
  ];
  let participants = 0;
  for (const p of start.participants ?? []) {
    drafts.push({ type: 'participant.added', data: { participantId: `P-${++participants}`, ...p } });
  }
  const withStage: CaseState = { ...base, stage: first.key };
  drafts.push(...stageEntryDrafts(withStage, template, first, now));
  return accept(drafts);
}
