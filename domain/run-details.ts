import type { CaseState } from './case-state';
import { caseDueAt } from './sla';
import { findStage, stageName, type TemplateDefinition } from './template';

/**
 * What a case run shows as its current details in the Temporal UI (markdown, kept up to date as
 * the case changes): stage, owner, status, the next deadline and the open tasks — ids, keys, roles
 * and instants only, never field values or names, which the UI shows to anyone with access.
 */
export function runDetails(state: CaseState, template: TemplateDefinition): string {
  const stage = findStage(template, state.stage);
  const lines = [
    `**${state.key}** · template ${state.templateKey} v${state.templateVersion} · **${state.status}**`,
    `**Stage** ${stage ? stageName(stage) : state.stage} (\`${state.stage}\`) since ${state.stageEnteredAt}`,
    `**Owner** ${state.owner ?? '—'}`,
  ];
  const clock = state.clock?.stage === state.stage ? state.clock : null;
  if (clock) {
    const targets = [clock.goalAt && `goal ${clock.goalAt}${clock.goalMissed ? ' (missed)' : ''}`, clock.deadlineAt && `deadline ${clock.deadlineAt}${clock.deadlineMissed ? ' (missed)' : ''}`].filter(Boolean);
    lines.push(`**SLA** ${clock.pausedAt ? `paused since ${clock.pausedAt}` : targets.join(', ') || 'no targets'}${clock.level ? ` · escalation level ${clock.level}` : ''}`);
  }
  const due = caseDueAt(state);
  if (due) lines.push(`**Due** ${due}`);
  const open = Object.values(state.tasks).filter((t) => t.status === 'open');
  if (open.length > 0) {
    const listed = open.slice(0, 10).map((t) => `${t.taskId}${t.key ? ` (${t.key})` : ''}${t.assignee ? ` → ${t.assignee}` : t.assigneeRole ? ` → role ${t.assigneeRole}` : ''}${t.dueAt ? `, due ${t.dueAt}` : ''}`);
    lines.push(`**Open tasks** ${open.length}: ${listed.join('; ')}${open.length > listed.length ? '; …' : ''}`);
  }
  return lines.join('\n\n');
}
