import type { Actor } from './actor';
import type { FieldValue } from './fields';

export type CaseStatus = 'open' | 'closed' | 'cancelled';
export type MoveDirection = 'forward' | 'back' | 'skip';

export interface TaskData {
  taskId: string;
  key?: string;
  title: string;
  description?: string;
  assignee: string | null;
  /** Checklist tasks name the role expected to do them until someone is assigned. */
  assigneeRole?: string;
  dueAt: string | null;
  stage: string;
}

export interface DocumentVersionData {
  slot: string;
  version: number;
  documentId: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  generatedFrom?: string;
}

/** Which automation (or escalation) produced something: `automations[2]` or `stages[0].sla.escalations[1]`. */
export interface RuleRef {
  rule: string;
  name?: string;
  /** The event that triggered the rule. */
  trigger: number;
}

export interface ParticipantData {
  participantId: string;
  kind: 'internal' | 'external';
  role: string;
  name: string;
  userId?: string;
  email?: string;
}

/** Event payloads by type: the timeline's vocabulary. */
export interface CaseEventData {
  'case.created': {
    title: string;
    templateKey: string;
    templateVersion: number;
    owner: string | null;
  };
  'stage.entered': { stage: string; from: string | null; direction: MoveDirection | 'start' | 'reopen'; reason?: string };
  'stage.exited': { stage: string; to: string; direction: MoveDirection };
  'field.changed': { field: string; old: FieldValue; new: FieldValue };
  'comment.added': { commentId: string; text: string; mentions: string[] };
  'decision.recorded': { decisionId: string; decision: string; justification: string; options?: string[] };
  'task.created': TaskData;
  'task.reassigned': { taskId: string; from: string | null; to: string };
  'task.completed': { taskId: string; note?: string };
  'task.reopened': { taskId: string; reason: string };
  'participant.added': ParticipantData;
  'participant.removed': { participantId: string };
  'owner.assigned': { from: string | null; to: string | null };
  'case.closed': { reason?: string };
  'case.reopened': { reason: string };
  'case.cancelled': { reason: string };
  'document.uploaded': DocumentVersionData;
  'document.approved': { slot: string; version: number; documentId: string; reason?: string };
  'document.rejected': { slot: string; version: number; documentId: string; reason: string };
  /** A stage with an SLA was entered: its clock's targets (absent targets are null). */
  'sla.started': { stage: string; goalAt: string | null; deadlineAt: string | null };
  'sla.goal_missed': { stage: string; goalAt: string };
  'sla.deadline_missed': { stage: string; deadlineAt: string };
  'sla.escalated': { stage: string; level: number; escalation: number; deadlineAt: string };
  'sla.deadline_changed': { stage: string; from: string | null; to: string; reason: string; deadlineRemainingMs?: number };
  /** The clock stops; the remaining time to each target (counted as the target counts it) is kept. */
  'sla.paused': { stage: string; reason: string; goalRemainingMs: number | null; deadlineRemainingMs: number | null };
  'sla.resumed': { stage: string; reason?: string; goalAt: string | null; deadlineAt: string | null; pausedMs: number };
  'task.overdue': { taskId: string; dueAt: string };
  'case.stalled': { lastActivityAt: string; inactivity: string };
  /** An automation's conditions held and its actions were carried out (effects run afterwards). */
  'automation.ran': RuleRef & { on: string; actions: string[] };
  /** An automation (or one of its actions) could not do its work; the case carries on. */
  'automation.failed': RuleRef & { action?: string; reason: string };
  'email.sent': RuleRef & { to: string; subject: string; emailId: string; delivery: 'sent' | 'outbox' };
  'notification.sent': RuleRef & { userId: string; notificationId: string };
  'webhook.delivered': RuleRef & { url: string; deliveryId: string; status: number };
  /**
   * The case moved to another version of its template (domain/migration.ts): its stage and field
   * keys as mapped, its SLA clock stopped (a following `sla.started` re-arms it from the new stage).
   */
  'template.migrated': {
    templateKey: string;
    from: number;
    to: number;
    stageMap: Record<string, string>;
    fieldChanges: Array<{ field: string; to: string | null }>;
    stage: { from: string; to: string };
  };
  /** A signalled command that failed validation: kept on the timeline so the sender can see why. */
  'command.rejected': { command: string; code: string; detail: string; requestId?: string };
}

export type CaseEventType = keyof CaseEventData;

/** An event as `decide` produces it, before the workflow stamps sequence, time and actor. */
export type EventDraft = { [T in CaseEventType]: { type: T; data: CaseEventData[T] } }[CaseEventType];

/** One entry of a case's timeline. `seq` is strictly increasing per case and never reused. */
export type CaseEvent = EventDraft & {
  seq: number;
  at: string;
  actor: Actor;
  /** The stage the case is in once this event applied. */
  stage: string;
};
