import { ADMIN_ROLE, type Actor } from './actor';
import { applyDrafts, own, type CaseState } from './case-state';
import type { CaseView } from './case-view';
import type { CaseEvent, EventDraft } from './events';
import { checkFieldValue, isEmptyValue, type FieldValue } from './fields';
import { reject, type Rejection } from './rejections';
import { clockStartDraft, pauseDraft } from './sla';
import { findStage, type TemplateDefinition } from './template';

/**
 * Moving a running case from one published version of its template to another (DESIGN: Flowable's
 * case migration, Camunda's process instance migration). One pure check decides, per case, whether
 * it can move and what changes; the API runs it over read-model views for a dry run, the case
 * workflow runs it again over its own state at the moment it migrates (so a case that changed in
 * between is refused, never half-migrated), and `decideMigration` records the move.
 */

export interface MigrationPlan {
  templateKey: string;
  fromVersion: number;
  toVersion: number;
  /** Stage of `fromVersion` → stage of `toVersion`; a stage absent here keeps its key (it must exist in `toVersion`). */
  stageMap: Record<string, string>;
  /** Field of `fromVersion` → field of `toVersion` it becomes, or null to drop its value; absent keeps its key. */
  fieldMap: Record<string, string | null>;
}

export type MigrationBlockCode =
  | 'wrong_template'
  | 'wrong_version'
  | 'stage_unmapped'
  | 'field_unmapped'
  | 'field_invalid'
  | 'field_required'
  | 'task_unmapped'
  | 'task_missing'
  | 'document_slot_missing';

export interface MigrationBlocker {
  code: MigrationBlockCode;
  /** What blocks: `stage`, `fields.<key>`, `tasks.<taskId>`, `documents.<slot>`. */
  path: string;
  message: string;
}

/** What a field's value becomes: renamed (`to` another key) or dropped (`to: null`). Unchanged fields are not listed. */
export interface FieldChange {
  field: string;
  to: string | null;
}

export type MigrationCheck = { ok: true; stage: { from: string; to: string }; fieldChanges: FieldChange[] } | { ok: false; blockers: MigrationBlocker[] };

/** What the check reads of a case: the workflow's state, or a view in the read model. */
export interface MigrationSubject {
  templateKey: string;
  templateVersion: number;
  stage: string;
  fields: Record<string, FieldValue>;
  tasks: ReadonlyArray<{ taskId: string; key?: string | undefined; stage: string; status: 'open' | 'completed' }>;
  documents: Record<string, { versions: number }>;
}

/**
 * Problems of the plan itself against the two definitions (a 4xx before anything runs): map
 * entries must name stages and fields that exist on their side, and no two fields may land on one.
 */
export function migrationPlanProblems(plan: MigrationPlan, from: TemplateDefinition, to: TemplateDefinition): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (plan.fromVersion === plan.toVersion) problems.push({ path: 'toVersion', message: 'must differ from fromVersion' });
  const list = (keys: string[]) => keys.join(', ') || '(none)';
  for (const [old, next] of Object.entries(plan.stageMap)) {
    if (!findStage(from, old)) problems.push({ path: `stageMap.${old}`, message: `version ${plan.fromVersion} has no stage "${old}"; its stages are: ${list(from.stages.map((s) => s.key))}` });
    if (!findStage(to, next)) problems.push({ path: `stageMap.${old}`, message: `version ${plan.toVersion} has no stage "${next}"; its stages are: ${list(to.stages.map((s) => s.key))}` });
  }
  const landed = new Map<string, string>();
  for (const [old, next] of Object.entries(plan.fieldMap)) {
    if (!from.fields.some((f) => f.key === old)) problems.push({ path: `fieldMap.${old}`, message: `version ${plan.fromVersion} has no field "${old}"` });
    if (next === null) continue;
    if (!to.fields.some((f) => f.key === next)) problems.push({ path: `fieldMap.${old}`, message: `version ${plan.toVersion} has no field "${next}"` });
    const other = landed.get(next);
    if (other) problems.push({ path: `fieldMap.${old}`, message: `"${other}" and "${old}" would both become "${next}"` });
    landed.set(next, old);
  }
  return problems;
}

/** Whether a case can move under the plan, and if so where its stage and field values go. */
export function checkMigration(subject: MigrationSubject, to: TemplateDefinition, plan: MigrationPlan): MigrationCheck {
  const blockers: MigrationBlocker[] = [];
  const block = (code: MigrationBlockCode, path: string, message: string) => blockers.push({ code, path, message });
  if (subject.templateKey !== plan.templateKey) {
    block('wrong_template', 'template', `the case runs on template "${subject.templateKey}", not "${plan.templateKey}"`);
    return { ok: false, blockers };
  }
  if (subject.templateVersion !== plan.fromVersion) {
    block('wrong_version', 'template', `the case runs on version ${subject.templateVersion}, not ${plan.fromVersion}`);
    return { ok: false, blockers };
  }

  const stageTo = (stage: string): string | undefined => {
    const mapped = own(plan.stageMap, stage) ?? stage;
    return findStage(to, mapped) ? mapped : undefined;
  };
  const stage = stageTo(subject.stage);
  if (!stage) block('stage_unmapped', 'stage', `stage "${subject.stage}" does not exist in version ${plan.toVersion} and stageMap does not map it`);

  const fieldChanges: FieldChange[] = [];
  const after: Record<string, FieldValue> = {};
  // In key order: the same case gives the same answer whichever store its fields came from.
  for (const [field, value] of Object.entries(subject.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const mapped = own(plan.fieldMap, field);
    const target = mapped === undefined ? field : mapped;
    if (target !== field) fieldChanges.push({ field, to: target });
    if (target === null || isEmptyValue(value)) continue;
    const definition = to.fields.find((f) => f.key === target);
    if (!definition) {
      block('field_unmapped', `fields.${field}`, `field "${field}" has a value but version ${plan.toVersion} has no field "${target}"; map it with fieldMap (null drops the value)`);
      continue;
    }
    const checked = checkFieldValue(definition, value);
    if (!checked.ok) {
      block('field_invalid', `fields.${field}`, `the value of "${field}" does not fit field "${target}" of version ${plan.toVersion}: ${checked.message}`);
      continue;
    }
    after[target] = checked.value;
  }
  for (const field of to.fields) {
    if (field.required && isEmptyValue(own(after, field.key))) block('field_required', `fields.${field.key}`, `field "${field.key}" is required in version ${plan.toVersion} and the case has no value for it`);
  }

  for (const task of subject.tasks) {
    if (task.status !== 'open') continue;
    const taskStage = stageTo(task.stage);
    if (!taskStage) {
      block('task_unmapped', `tasks.${task.taskId}`, `open task ${task.taskId} belongs to stage "${task.stage}", which version ${plan.toVersion} does not have and stageMap does not map`);
      continue;
    }
    if (task.key !== undefined && !findStage(to, taskStage)!.tasks.some((t) => t.key === task.key)) {
      block('task_missing', `tasks.${task.taskId}`, `open checklist task ${task.taskId} ("${task.key}") no longer exists in stage "${taskStage}" of version ${plan.toVersion}; complete it first`);
    }
  }

  for (const [slot, state] of Object.entries(subject.documents)) {
    if (state.versions > 0 && !to.documents.some((d) => d.key === slot)) {
      block('document_slot_missing', `documents.${slot}`, `document slot "${slot}" holds ${state.versions} version(s) but version ${plan.toVersion} has no such slot`);
    }
  }

  return blockers.length > 0 || !stage ? { ok: false, blockers } : { ok: true, stage: { from: subject.stage, to: stage }, fieldChanges };
}

/** The check's view of a workflow's state. */
export function stateSubject(state: CaseState): MigrationSubject {
  return { ...state, tasks: Object.values(state.tasks) };
}

/** The check's view of a case as the read model stores it (a dry run). */
export function viewSubject(view: Pick<CaseView, 'template' | 'stage' | 'fields' | 'tasks' | 'documents'>): MigrationSubject {
  return { templateKey: view.template.key, templateVersion: view.template.version, stage: view.stage.key, fields: view.fields, tasks: view.tasks, documents: view.documents };
}

/** Only admins (and the system) move cases between template versions. */
export function mayMigrate(actor: Actor): boolean {
  return actor.kind === 'system' || actor.roles.includes(ADMIN_ROLE);
}

export type MigrationDecision = { ok: true; applied: { state: CaseState; events: CaseEvent[] } } | { ok: false; rejection: Rejection };

/**
 * The events of a migration, applied: `template.migrated` (the state takes the new version, stage
 * and field keys; its SLA clock stops), then the clock of the new stage definition re-armed from
 * when the case entered the stage — paused again if it was paused. Automations do not react to it.
 */
export function decideMigration(state: CaseState, to: TemplateDefinition, plan: MigrationPlan, actor: Actor, now: string): MigrationDecision {
  if (!mayMigrate(actor)) return { ok: false, rejection: reject('forbidden', `${actor.name} may not migrate cases between template versions; only admins may`) };
  const check = checkMigration(stateSubject(state), to, plan);
  if (!check.ok) {
    return {
      ok: false,
      rejection: reject('migration_blocked', `the case cannot move to version ${plan.toVersion}: ${check.blockers.map((b) => b.message).join('; ')}`, {
        errors: check.blockers.map(({ path, message }) => ({ path, message })),
      }),
    };
  }
  const migrated: EventDraft = {
    type: 'template.migrated',
    data: {
      templateKey: plan.templateKey,
      from: plan.fromVersion,
      to: plan.toVersion,
      stageMap: plan.stageMap,
      fieldChanges: check.fieldChanges,
      stage: check.stage,
    },
  };
  const stage = findStage(to, check.stage.to)!;
  const wasPaused = state.clock?.stage === state.stage && state.clock.pausedAt !== null;
  let applied = applyDrafts(state, [migrated, ...clockStartDraft(to, stage, state.stageEnteredAt)], actor, now);
  if (wasPaused && applied.state.clock) {
    const paused = applyDrafts(applied.state, [pauseDraft(to, stage, applied.state.clock, 'paused before the template migration', now)], actor, now);
    applied = { state: paused.state, events: [...applied.events, ...paused.events] };
  }
  return { ok: true, applied };
}
