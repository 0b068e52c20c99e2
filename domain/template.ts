import { z } from 'zod';

/** Keys of stages, fields, slots, roles, tasks: stable identifiers used in URLs and rules. */
export const keySchema = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/, 'must start with a letter and contain only letters, digits, _ or - (max 63)');

/** Durations such as `4h`, `2d`, `30m`, `3 business days`; interpreted by the SLA issue, validated now. */
export const durationSchema = z
  .string()
  .regex(
    /^\s*\d+\s*(s|m|h|d|w|sec|secs|second|seconds|min|mins|minute|minutes|hour|hours|day|days|week|weeks)(\s+business\s*(hours?|days?))?\s*$|^\s*\d+\s+business\s+(hours?|days?)\s*$/i,
    'must be a duration like "30m", "4h", "2d" or "3 business days"',
  );

export const fieldTypes = ['text', 'longtext', 'number', 'date', 'boolean', 'select', 'multiselect', 'email'] as const;
export type FieldType = (typeof fieldTypes)[number];

export const fieldDefinitionSchema = z
  .object({
    key: keySchema,
    label: z.string().min(1).max(200).optional(),
    type: z.enum(fieldTypes),
    /** Must be given when the case is created and can never be cleared. */
    required: z.boolean().default(false),
    options: z.array(z.string().min(1).max(200)).min(1).max(200).optional(),
    /** May be filled in by an external participant (portal form, later issue). */
    external: z.boolean().default(false),
    description: z.string().max(2000).optional(),
  })
  .strict();

export const documentSlotSchema = z
  .object({
    key: keySchema,
    label: z.string().min(1).max(200).optional(),
    external: z.boolean().default(false),
    required: z.boolean().default(false),
    contentTypes: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const stageTaskSchema = z
  .object({
    key: keySchema,
    title: z.string().min(1).max(300),
    assigneeRole: keySchema.optional(),
    due: durationSchema.optional(),
  })
  .strict();

export const escalationSchema = z
  .object({
    after: durationSchema,
    every: durationSchema.optional(),
    times: z.number().int().min(1).max(100).optional(),
    do: z.array(z.record(z.string(), z.unknown())).default([]),
  })
  .strict();

export const slaSchema = z
  .object({
    goal: durationSchema.optional(),
    deadline: durationSchema.optional(),
    escalations: z.array(escalationSchema).default([]),
  })
  .strict();

export const exitCriteriaSchema = z
  .object({
    fields: z.array(keySchema).default([]),
    documents: z.array(keySchema).default([]),
    /** Stage checklist task keys that must be completed, or `all` for every task created in the stage. */
    tasks: z.union([z.literal('all'), z.array(keySchema)]).default([]),
  })
  .strict();

export const stagePermissionsSchema = z
  .object({
    /** Roles that may change the case while it is in this stage; absent means everyone. */
    act: z.array(keySchema).optional(),
    /** Roles that may comment; absent means everyone. */
    comment: z.array(keySchema).optional(),
  })
  .strict();

export const stageDefinitionSchema = z
  .object({
    key: keySchema,
    name: z.string().min(1).max(200).optional(),
    /** Name shown to external participants (portal); defaults to `name`. */
    publicName: z.string().min(1).max(200).optional(),
    owner: keySchema.optional(),
    terminal: z.boolean().default(false),
    exit: exitCriteriaSchema.optional(),
    permissions: stagePermissionsSchema.optional(),
    tasks: z.array(stageTaskSchema).default([]),
    sla: slaSchema.optional(),
  })
  .strict();

export const transitionSchema = z
  .object({
    from: keySchema,
    to: z.array(keySchema).min(1),
  })
  .strict();

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

export const automationSchema = z
  .object({
    name: z.string().max(200).optional(),
    on: z.enum(automationEventTypes),
    stage: keySchema.optional(),
    field: keySchema.optional(),
    document: keySchema.optional(),
    decision: z.string().optional(),
    if: z.unknown().optional(),
    do: z.array(z.record(z.string(), z.unknown())).min(1),
  })
  .strict();

export const templateDefinitionSchema = z
  .object({
    key: keySchema,
    name: z.string().min(1).max(200),
    description: z.string().max(5000).optional(),
    /** Case keys are `<prefix>-<n>`; defaults to the upper-cased key's first letters. */
    prefix: z
      .string()
      .regex(/^[A-Z][A-Z0-9]{0,9}$/, 'must be 1-10 upper-case letters or digits, starting with a letter')
      .optional(),
    roles: z.array(keySchema).default([]),
    fields: z.array(fieldDefinitionSchema).default([]),
    documents: z.array(documentSlotSchema).default([]),
    stages: z.array(stageDefinitionSchema),
    transitions: z.array(transitionSchema).optional(),
    automations: z.array(automationSchema).default([]),
    calendar: z.record(z.string(), z.unknown()).optional(),
    inactivity: durationSchema.optional(),
  })
  .strict();

/** A template definition as authored (JSON or YAML), before defaults. */
export type TemplateDefinitionInput = z.input<typeof templateDefinitionSchema>;
/** A validated template definition with defaults applied. */
export type TemplateDefinition = z.output<typeof templateDefinitionSchema>;
export type FieldDefinition = z.output<typeof fieldDefinitionSchema>;
export type StageDefinition = z.output<typeof stageDefinitionSchema>;
export type DocumentSlot = z.output<typeof documentSlotSchema>;

/** A published, immutable template version as pinned by a case. */
export interface PublishedTemplate {
  key: string;
  version: number;
  prefix: string;
  definition: TemplateDefinition;
  publishedAt: string;
}

export function defaultPrefix(key: string): string {
  const letters = key.replace(/[^a-zA-Z0-9]/g, '').toUpperCase();
  const prefix = letters.replace(/^[0-9]+/, '').slice(0, 3);
  return prefix || 'CASE';
}

export function findStage(template: TemplateDefinition, key: string): StageDefinition | undefined {
  return template.stages.find((s) => s.key === key);
}

export function stageIndex(template: TemplateDefinition, key: string): number {
  return template.stages.findIndex((s) => s.key === key);
}

export function stageName(stage: StageDefinition): string {
  return stage.name ?? stage.key;
}
