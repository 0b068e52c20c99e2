import { z } from 'zod';
import { parseDuration } from '../durations';
import { key } from '../commands';
import { automationEventTypes, fieldTypes } from '../template-vocabulary';
import { calendarSchema } from './calendar';
import { zodOf } from './from-shape';

export { calendarSchema } from './calendar';

/**
 * Templates as published: the zod schema that validates a definition's shape (with defaults),
 * used at publish time and by the API. Case workflows never load it: they receive a definition
 * the API already read through it (see `readPinnedDefinition`).
 */

/** Keys of stages, fields, slots, roles, tasks: stable identifiers used in URLs and rules. */
export const keySchema = zodOf(key) as z.ZodString;

/** Durations such as `4h`, `2d`, `30m`, `3 business days` (see domain/durations.ts). */
export const durationSchema = z
  .string()
  .max(50)
  .refine((v) => parseDuration(v) !== undefined, 'must be a duration like "30s", "4h", "2d", "1 week", "3 business days" or "4 business hours"');

/**
 * A field or document slot whose value only some may see. Optional rather than defaulted: cases
 * pinned to definitions published before sensitivity existed lack both, and read as not sensitive.
 */
function sensitivity() {
  return {
    /** Shown as `{"redacted": true}` to everyone but admins, auditors and the `visibleTo` roles; never searchable. */
    sensitive: z.boolean().optional(),
    /** Roles (declared in `roles`) that may see the value of a sensitive field or slot. */
    visibleTo: z.array(keySchema).max(50).optional(),
  };
}

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
    ...sensitivity(),
  })
  .strict();

export const documentSlotSchema = z
  .object({
    key: keySchema,
    label: z.string().min(1).max(200).optional(),
    external: z.boolean().default(false),
    required: z.boolean().default(false),
    contentTypes: z.array(z.string().min(1).max(255)).max(20).optional(),
    ...sensitivity(),
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

/**
 * Who an e-mail or notification goes to: `owner`, `role:<role>` (the case's internal participants
 * with that role), `participant:<role or participant id>`, `user:<user id>`, `field:<email field>`,
 * or a literal address.
 */
export const recipientSchema = z.string().trim().min(1).max(320);
const recipients = z.union([recipientSchema, z.array(recipientSchema).min(1).max(50)]);
/** Mustache text: `{{case.title}}`, `{{fields.fullName}}`, `{{stage.name}}`, `{{case.url}}` … */
const templateText = (max: number) => z.string().min(1).max(max);

export const emailActionSchema = z
  .object({ to: recipients, subject: templateText(500), body: templateText(50_000).optional() })
  .strict();
export const notifyActionSchema = z
  .object({ to: recipients, subject: templateText(500).optional(), body: templateText(10_000).optional() })
  .strict();
export const createTaskActionSchema = z
  .object({
    title: templateText(300),
    description: z.string().max(10_000).optional(),
    assignee: z.string().min(1).max(200).optional(),
    assigneeRole: keySchema.optional(),
    /** Due this long after the task is created (on the business calendar for `business` durations). */
    due: durationSchema.optional(),
  })
  .strict();
export const advanceActionSchema = z.object({ to: keySchema, reason: z.string().min(1).max(2000).optional() }).strict();
export const assignActionSchema = z
  .object({ role: keySchema.optional(), user: z.string().min(1).max(200).optional() })
  .strict()
  .refine((a) => Boolean(a.role) !== Boolean(a.user), 'give exactly one of role or user');
export const setFieldActionSchema = z.object({ field: keySchema, value: z.unknown() }).strict();
export const webhookActionSchema = z
  .object({ url: z.url({ protocol: /^https?$/ }).max(2000), payload: z.record(z.string(), z.unknown()).meta({ maxProperties: 100 }).optional() })
  .strict();
export const generateDocumentActionSchema = z.object({ template: keySchema }).strict();

/** One action of an automation or escalation, written as a single-key object: `{ email: {...} }`. */
export const automationActionSchema = z.union([
  z.object({ email: emailActionSchema }).strict(),
  z.object({ notify: notifyActionSchema }).strict(),
  z.object({ createTask: createTaskActionSchema }).strict(),
  z.object({ advance: advanceActionSchema }).strict(),
  z.object({ assign: assignActionSchema }).strict(),
  z.object({ setField: setFieldActionSchema }).strict(),
  z.object({ webhook: webhookActionSchema }).strict(),
  z.object({ generateDocument: generateDocumentActionSchema }).strict(),
]);

export const escalationSchema = z
  .object({
    /** How long after the deadline the first level fires. */
    after: durationSchema,
    /** Then again this often… */
    every: durationSchema.optional(),
    /** …up to this many levels in all (default: 1, or unbounded up to 100 with `every`). */
    times: z.number().int().min(1).max(100).optional(),
    do: z.array(automationActionSchema).max(20).default([]),
  })
  .strict();

export const slaSchema = z
  .object({
    goal: durationSchema.optional(),
    deadline: durationSchema.optional(),
    escalations: z.array(escalationSchema).max(10).default([]),
  })
  .strict();

export const exitCriteriaSchema = z
  .object({
    fields: z.array(keySchema).max(200).default([]),
    /** Slots that need a version that was not rejected. */
    documents: z.array(keySchema).max(50).default([]),
    /** Slots whose latest version must be approved. */
    approved: z.array(keySchema).max(50).default([]),
    /** Stage checklist task keys that must be completed, or `all` for every task created in the stage. */
    tasks: z.union([z.literal('all'), z.array(keySchema).max(50)]).default([]),
  })
  .strict();

export const stagePermissionsSchema = z
  .object({
    /** Roles that may change the case while it is in this stage; absent means everyone. */
    act: z.array(keySchema).max(50).optional(),
    /** Roles that may comment; absent means everyone. */
    comment: z.array(keySchema).max(50).optional(),
  })
  .strict();

/** Who may see and start cases of the template (besides admins; auditors see every case). */
export const templatePermissionsSchema = z
  .object({
    /** Roles that see every case of the template; absent means none besides admins and auditors. */
    view: z.array(keySchema).max(50).optional(),
    /** Roles that may start a case; absent means any role the template declares. */
    start: z.array(keySchema).max(50).optional(),
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
    tasks: z.array(stageTaskSchema).max(50).default([]),
    sla: slaSchema.optional(),
  })
  .strict();

export const transitionSchema = z
  .object({
    from: keySchema,
    to: z.array(keySchema).min(1).max(50),
  })
  .strict();

export const automationSchema = z
  .object({
    name: z.string().max(200).optional(),
    on: z.enum(automationEventTypes),
    stage: keySchema.optional(),
    field: keySchema.optional(),
    document: keySchema.optional(),
    decision: z.string().max(500).optional(),
    /** A JSONLogic condition over `case`, `fields`, `stage`, `event` (and `actor`). */
    if: z.unknown().optional(),
    do: z.array(automationActionSchema).min(1).max(20),
  })
  .strict();

/** A document the case can generate as a PDF (command or `generateDocument` action). */
export const documentTemplateSchema = z
  .object({
    key: keySchema,
    title: z.string().min(1).max(300),
    /** The slot the generated PDF becomes a new version of. */
    slot: keySchema,
    fileName: z.string().min(1).max(200).optional(),
    /** Mustache text; blank lines separate paragraphs. */
    body: z.string().min(1).max(100_000),
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
    roles: z.array(keySchema).max(50).default([]),
    permissions: templatePermissionsSchema.optional(),
    fields: z.array(fieldDefinitionSchema).max(200).default([]),
    documents: z.array(documentSlotSchema).max(50).default([]),
    stages: z.array(stageDefinitionSchema).max(50),
    transitions: z.array(transitionSchema).max(100).optional(),
    automations: z.array(automationSchema).max(100).default([]),
    documentTemplates: z.array(documentTemplateSchema).max(20).default([]),
    calendar: calendarSchema.optional(),
    /** An open case with no event for this long records `case.stalled`. */
    inactivity: durationSchema.optional(),
  })
  .strict();

type PinnedDefinition = z.output<typeof templateDefinitionSchema>;

/**
 * A definition pinned by a case, read through today's schema: one published before a schema
 * change lacks the newer defaults. One that no longer fits is returned as stored, `current: false`.
 */
export function readPinnedDefinition(definition: PinnedDefinition): { definition: PinnedDefinition; current: boolean } {
  const parsed = templateDefinitionSchema.safeParse(definition);
  return parsed.success ? { definition: parsed.data, current: true } : { definition, current: false };
}
