/**
 * The words a template is written in that the rules check at run time too: field types and the
 * events automations react to. Apart from domain/template.ts so the template schema can use them
 * without importing the module that derives its types from that schema.
 */

export const fieldTypes = ['text', 'longtext', 'number', 'date', 'boolean', 'select', 'multiselect', 'email'] as const;
export type FieldType = (typeof fieldTypes)[number];

/** Event types automations can react to (DESIGN.md §5). */
export const automationEventTypes = [
  'case.created',
  'stage.entered',
  'stage.exited',
  'field.changed',
  'document.uploaded',
  'document.approved',
  'document.rejected',
  'task.created',
  'task.completed',
  'task.overdue',
  'decision.recorded',
  'comment.added',
  'sla.goal_missed',
  'sla.deadline_missed',
  'sla.escalated',
  'case.closed',
  'case.reopened',
  'case.stalled',
] as const;
