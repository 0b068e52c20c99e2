/**
 * One timeline event in words: who did what (old → new for field changes), with the case's own
 * labels (field labels, slot labels, stage names, task titles) rather than keys. Unknown event
 * types still show their type and data, so a newer server never hides anything.
 */
import type { ComponentChildren } from 'preact';
import { displayValue, fieldLabel } from '../../components/field-draft';
import { formatDateTime, formatDuration } from '../../lib/format';
import { isRedacted, type CaseEvent, type TemplateDefinition } from '../../lib/types';
import { fieldByKey, slotLabel, stageName, type CaseViewForCaller } from './context';

/** A comment's text with its @mentions marked (the same rule as the server's: not inside e-mail addresses). */
export function CommentText({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  const re = /(?<![\p{L}\p{N}_.@])@([a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,62}[a-zA-Z0-9])?)/gu;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0;
    parts.push(text.slice(last, at));
    parts.push(
      <strong key={at} class="mention">
        {m[0]}
      </strong>,
    );
    last = at + m[0].length;
  }
  parts.push(text.slice(last));
  return <p class="comment-text">{parts}</p>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : isRedacted(v) ? 'Hidden' : v === undefined || v === null ? '' : JSON.stringify(v));
const when = (v: unknown): string => (typeof v === 'string' ? formatDateTime(v) : '—');
const reasonOf = (data: Record<string, unknown>): string => (data.reason ? ` — “${str(data.reason)}”` : '');

export function describeEvent(e: CaseEvent, view: CaseViewForCaller, template: TemplateDefinition): ComponentChildren {
  const d = e.data;
  const stage = (k: unknown) => stageName(template, str(k));
  const task = (id: unknown) => {
    const t = view.tasks.find((x) => x.taskId === id);
    return t ? `“${t.title}”` : str(id);
  };
  switch (e.type) {
    case 'case.created':
      return `Opened the case “${str(d.title)}”${d.owner ? `, owned by ${str(d.owner)}` : ''}`;
    case 'stage.entered': {
      const how = d.direction === 'back' ? 'Moved back to' : d.direction === 'skip' ? 'Skipped to' : d.direction === 'reopen' ? 'Reopened in' : d.direction === 'start' ? 'Started in' : 'Entered';
      return `${how} ${stage(d.stage)}${d.from ? ` from ${stage(d.from)}` : ''}${reasonOf(d)}`;
    }
    case 'stage.exited':
      return `Left ${stage(d.stage)} for ${stage(d.to)}`;
    case 'field.changed': {
      const field = fieldByKey(template, str(d.field));
      return (
        <>
          Changed <strong>{field ? fieldLabel(field) : str(d.field)}</strong>:{' '}
          <span class="old-value">
            <span class="visually-hidden">from </span>
            {displayValue(field, d.old)}
          </span>{' '}
          <span aria-hidden="true">→</span>{' '}
          <span class="new-value">
            <span class="visually-hidden">to </span>
            {displayValue(field, d.new)}
          </span>
        </>
      );
    }
    case 'comment.added':
      return (
        <>
          Commented:
          <CommentText text={str(d.text)} />
        </>
      );
    case 'decision.recorded':
      return (
        <>
          Decided <strong>“{str(d.decision)}”</strong>
          <p class="justification">{str(d.justification)}</p>
        </>
      );
    case 'task.created':
      return `Created task “${str(d.title)}”${d.assignee ? ` for ${str(d.assignee)}` : d.assigneeRole ? ` for role ${str(d.assigneeRole)}` : ''}${d.dueAt ? `, due ${when(d.dueAt)}` : ''}`;
    case 'task.reassigned':
      return `Reassigned task ${task(d.taskId)} from ${str(d.from) || 'nobody'} to ${str(d.to)}`;
    case 'task.completed':
      return `Completed task ${task(d.taskId)}${d.note ? ` — ${str(d.note)}` : ''}`;
    case 'task.reopened':
      return `Reopened task ${task(d.taskId)}${reasonOf(d)}`;
    case 'task.overdue':
      return `Task ${task(d.taskId)} is overdue (was due ${when(d.dueAt)})`;
    case 'participant.added':
      return `Added ${str(d.name)} as ${str(d.role)} (${d.kind === 'external' ? `external, ${str(d.email)}` : `user ${str(d.userId)}`})`;
    case 'participant.removed':
      return `Removed participant ${str(d.participantId)}`;
    case 'owner.assigned':
      return d.to ? `Made ${str(d.to)} the owner${d.from ? ` (was ${str(d.from)})` : ''}` : `Left the case without an owner (was ${str(d.from)})`;
    case 'case.closed':
      return `Closed the case${reasonOf(d)}`;
    case 'case.reopened':
      return `Reopened the case${reasonOf(d)}`;
    case 'case.cancelled':
      return `Cancelled the case${reasonOf(d)}`;
    case 'document.uploaded':
      return `${d.generatedFrom ? 'Generated' : 'Uploaded'} ${slotLabel(template, str(d.slot))} version ${str(String(d.version))}: ${str(d.fileName)}`;
    case 'document.approved':
      return `Approved ${slotLabel(template, str(d.slot))} version ${String(d.version)}`;
    case 'document.rejected':
      return `Rejected ${slotLabel(template, str(d.slot))} version ${String(d.version)}${reasonOf(d)}`;
    case 'sla.started':
      return `SLA clock started for ${stage(d.stage)}: goal ${when(d.goalAt)}, deadline ${when(d.deadlineAt)}`;
    case 'sla.goal_missed':
      return `Missed the goal of ${stage(d.stage)} (${when(d.goalAt)})`;
    case 'sla.deadline_missed':
      return `Missed the deadline of ${stage(d.stage)} (${when(d.deadlineAt)})`;
    case 'sla.escalated':
      return `Escalated to level ${String(d.level)} in ${stage(d.stage)}`;
    case 'sla.deadline_changed':
      return `Moved the deadline of ${stage(d.stage)}: ${when(d.from)} → ${when(d.to)}${reasonOf(d)}`;
    case 'sla.paused':
      return `Paused the SLA clock of ${stage(d.stage)}${reasonOf(d)}`;
    case 'sla.resumed':
      return `Resumed the SLA clock of ${stage(d.stage)} after ${typeof d.pausedMs === 'number' ? formatDuration(d.pausedMs) : '—'}${reasonOf(d)}`;
    case 'case.stalled':
      return `Marked stalled: untouched since ${when(d.lastActivityAt)} (${str(d.inactivity)})`;
    case 'automation.ran':
      return `Automation ${d.name ? `“${str(d.name)}”` : str(d.rule)} ran (on ${str(d.on)}): ${Array.isArray(d.actions) ? d.actions.join(', ') : ''}`;
    case 'automation.failed':
      return `Automation ${d.name ? `“${str(d.name)}”` : str(d.rule)} failed${d.action ? ` at ${str(d.action)}` : ''}: ${str(d.reason)}`;
    case 'email.sent':
      return `E-mail to ${str(d.to)}: “${str(d.subject)}”${d.delivery === 'outbox' ? ' (development outbox)' : ''}`;
    case 'notification.sent':
      return `Notified ${str(d.userId)}`;
    case 'webhook.delivered':
      return `Webhook delivered to ${str(d.url)} (HTTP ${String(d.status)})`;
    case 'template.migrated':
      return `Moved from template version ${str(d.from)} to ${str(d.to)}`;
    case 'command.rejected':
      return `A ${str(d.command)} command was refused (${str(d.code)}): ${str(d.detail)}`;
    default:
      return (
        <>
          <code>{e.type}</code> <code class="event-data">{JSON.stringify(d).slice(0, 300)}</code>
        </>
      );
  }
}

export function actorLabel(e: CaseEvent): string {
  if (e.actor.kind === 'system') return e.actor.name || 'Automation';
  return e.actor.kind === 'external' ? `${e.actor.name} (external)` : e.actor.name;
}
