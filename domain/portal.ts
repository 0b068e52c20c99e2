import type { DocumentSlotState } from './case-state';
import { checkFieldValues, sameValue, type FieldError, type FieldValue } from './fields';
import type { DocumentSlot, FieldDefinition, StageDefinition, TemplateDefinition } from './template';

/**
 * What an external participant sees of a case on the portal, and how their form input becomes a
 * command. Pure: the portal pages (api/portal) render these, the tests pin them down.
 */

/** The name of a stage for people outside: `publicName`, else `name`, else its key. */
export function publicStageName(stage: StageDefinition): string {
  return stage.publicName ?? stage.name ?? stage.key;
}

export const slotLabel = (slot: DocumentSlot) => slot.label ?? slot.key;
export const fieldLabel = (field: FieldDefinition) => field.label ?? field.key;

export interface PortalStage {
  key: string;
  name: string;
  terminal: boolean;
  position: 'past' | 'current' | 'upcoming';
}

/** Every stage of the template in order, with where the case stands. */
export function portalProgress(template: TemplateDefinition, currentStage: string): PortalStage[] {
  const current = template.stages.findIndex((s) => s.key === currentStage);
  return template.stages.map((s, i) => ({
    key: s.key,
    name: publicStageName(s),
    terminal: s.terminal,
    position: current < 0 ? 'upcoming' : i < current ? 'past' : i === current ? 'current' : 'upcoming',
  }));
}

export type DocumentRequestStatus = 'missing' | 'pending' | 'approved' | 'rejected';

export interface DocumentRequest {
  slot: string;
  label: string;
  required: boolean;
  contentTypes: string[] | null;
  status: DocumentRequestStatus;
  versions: number;
  /** True when the participant has something to upload: nothing yet, or the latest was rejected. */
  asked: boolean;
  /** Why the latest version was rejected. */
  reason?: string;
}

/**
 * The slots open to external participants and where each stands. A slot is asked for while it
 * has no version, or when its latest version was rejected (with the reviewer's reason).
 */
export function documentRequests(template: TemplateDefinition, documents: Record<string, DocumentSlotState | undefined>): DocumentRequest[] {
  return template.documents
    .filter((slot) => slot.external)
    .map((slot) => {
      const state = Object.hasOwn(documents, slot.key) ? documents[slot.key] : undefined;
      const latest = state?.items[state.items.length - 1];
      const status: DocumentRequestStatus = !latest ? 'missing' : latest.status;
      return {
        slot: slot.key,
        label: slotLabel(slot),
        required: slot.required,
        contentTypes: slot.contentTypes ?? null,
        status,
        versions: state?.versions ?? 0,
        asked: status === 'missing' || status === 'rejected',
        ...(status === 'rejected' && latest?.reason ? { reason: latest.reason } : {}),
      };
    });
}

export type PortalInput = 'text' | 'textarea' | 'number' | 'date' | 'email' | 'select' | 'checkboxes' | 'yesno';

export interface PortalFormField {
  key: string;
  label: string;
  type: FieldDefinition['type'];
  input: PortalInput;
  required: boolean;
  description?: string;
  options: Array<{ value: string; selected: boolean }>;
  /** The current value as the input shows it ('' when empty). */
  value: string;
  /** For `yesno`: the current answer. */
  yes: boolean;
  no: boolean;
  /**
   * A sensitive field: its value is never shown on the portal (the participant may write it, not
   * read it back), so the input starts empty and an empty input keeps the value on file.
   */
  sensitive: boolean;
  /** For a sensitive field: whether a value is on file. */
  provided: boolean;
}

const inputOf: Record<FieldDefinition['type'], PortalInput> = {
  text: 'text',
  longtext: 'textarea',
  number: 'number',
  date: 'date',
  email: 'email',
  select: 'select',
  multiselect: 'checkboxes',
  boolean: 'yesno',
};

/**
 * The template's fields marked `external`, as form inputs showing the case's current values —
 * except sensitive ones, which external participants may not see: those start empty.
 */
export function portalFormFields(template: TemplateDefinition, values: Record<string, FieldValue | undefined>): PortalFormField[] {
  return template.fields
    .filter((f) => f.external)
    .map((f) => {
      const stored = Object.hasOwn(values, f.key) ? (values[f.key] ?? null) : null;
      const sensitive = f.sensitive === true;
      const current = sensitive ? null : stored;
      const chosen = Array.isArray(current) ? current : current === null ? [] : [String(current)];
      return {
        key: f.key,
        label: fieldLabel(f),
        type: f.type,
        input: inputOf[f.type],
        required: f.required,
        ...(f.description ? { description: f.description } : {}),
        options: (f.options ?? []).map((value) => ({ value, selected: chosen.includes(value) })),
        value: current === null || Array.isArray(current) ? '' : String(current),
        yes: current === true,
        no: current === false,
        sensitive,
        provided: sensitive && stored !== null && !(Array.isArray(stored) && stored.length === 0) && stored !== '',
      };
    });
}

/** An input left empty: for a sensitive field, whose value the form never shows, it keeps the value on file. */
const leftEmpty = (raw: unknown) => (Array.isArray(raw) ? raw : [raw]).every((v) => typeof v === 'string' && v.trim() === '');

export type PortalFormResult = { ok: true; values: Record<string, FieldValue> } | { ok: false; errors: FieldError[] };

const single = (raw: unknown): string | undefined => (typeof raw === 'string' ? raw : undefined);

/**
 * Turns a submitted portal form (urlencoded: strings, or string arrays for repeated names) into
 * typed field values. Only fields marked `external` may be sent; an empty input clears a value,
 * except for a sensitive field (never shown, so an empty input keeps what is on file).
 * Returns just the values that change, or every problem by field.
 */
export function parsePortalForm(
  template: TemplateDefinition,
  submitted: Record<string, unknown>,
  current: Record<string, FieldValue | undefined>,
): PortalFormResult {
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(submitted)) {
    const field = template.fields.find((f) => f.key === key);
    if (!field || !field.external) {
      errors.push({ field: key, message: field ? 'is not open to you' : 'is not a field of this form' });
      continue;
    }
    if (field.sensitive && leftEmpty(raw)) continue;
    if (field.type === 'multiselect') {
      const list = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
      if (list.length !== (Array.isArray(raw) ? raw.length : 1)) errors.push({ field: key, message: 'is invalid' });
      else values[key] = list.map((v) => v.trim()).filter((v) => v !== '');
      continue;
    }
    const text = single(raw);
    if (text === undefined) {
      errors.push({ field: key, message: 'must be given once' });
      continue;
    }
    const trimmed = text.trim();
    if (trimmed === '') {
      values[key] = null;
      continue;
    }
    if (field.type === 'number') {
      const n = Number(trimmed);
      if (!Number.isFinite(n)) errors.push({ field: key, message: 'must be a number' });
      else values[key] = n;
    } else if (field.type === 'boolean') {
      if (trimmed === 'true' || trimmed === 'false') values[key] = trimmed === 'true';
      else errors.push({ field: key, message: 'must be yes or no' });
    } else {
      values[key] = field.type === 'longtext' ? text.replace(/\r\n?/g, '\n').replace(/\s+$/, '') : trimmed;
    }
  }
  const checked = checkFieldValues(template, values);
  if (!checked.ok) errors.push(...checked.errors);
  if (errors.length) return { ok: false, errors };
  const changed: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(checked.values)) {
    const before = Object.hasOwn(current, key) ? current[key] : undefined;
    if (!sameValue(before ?? null, value)) changed[key] = value;
  }
  return { ok: true, values: changed };
}

/** A timeline entry as the participant reads it. */
export interface PublicTimelineEntry {
  seq: number;
  at: string;
  text: string;
  detail?: string;
  /** Who did it, as far as the participant may know: themselves, another external participant, the team, or an automation. */
  by: 'you' | 'other' | 'team' | 'automatic';
}

/** The shape of timeline events the portal reads (the read model's or the workflow's). */
export interface TimelineEventLike {
  seq: number;
  at: string;
  type: string;
  actor: { id: string; kind?: string };
  data: object;
}

/** Event types that can appear on the public timeline (a filter for loading; publicTimeline decides). */
export const PUBLIC_EVENT_TYPES = [
  'case.created',
  'stage.entered',
  'document.uploaded',
  'document.approved',
  'document.rejected',
  'field.changed',
  'case.closed',
  'case.reopened',
  'case.cancelled',
] as const;

/**
 * Which events the participant may see, in their words. Public: the case opening, stage moves
 * (by public name), uploads and reviews in external slots (with a rejection's reason), changes of
 * external fields (without values), and closing, reopening and cancelling (without reasons).
 * Everything else — comments, decisions, tasks, SLA, internal documents and fields, other
 * participants, automations — stays internal.
 */
export function publicTimeline(template: TemplateDefinition, events: ReadonlyArray<TimelineEventLike>, participantId: string): PublicTimelineEntry[] {
  const entries: PublicTimelineEntry[] = [];
  const externalSlot = (key: unknown) => template.documents.find((d) => d.key === key && d.external);
  for (const event of events) {
    const by: PublicTimelineEntry['by'] =
      event.actor.kind === 'external' ? (event.actor.id === participantId ? 'you' : 'other') : event.actor.kind === 'system' ? 'automatic' : 'team';
    const add = (text: string, detail?: string) => entries.push({ seq: event.seq, at: event.at, text, by, ...(detail ? { detail } : {}) });
    const d = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'case.created':
        add('Case opened');
        break;
      case 'stage.entered': {
        if (d.direction === 'start') break;
        const stage = template.stages.find((s) => s.key === d.stage);
        add(`Now at: ${stage ? publicStageName(stage) : String(d.stage)}`);
        break;
      }
      case 'document.uploaded': {
        const slot = externalSlot(d.slot);
        if (slot) add(`${slotLabel(slot)} received`, `version ${String(d.version)}`);
        break;
      }
      case 'document.approved': {
        const slot = externalSlot(d.slot);
        if (slot) add(`${slotLabel(slot)} accepted`);
        break;
      }
      case 'document.rejected': {
        const slot = externalSlot(d.slot);
        if (slot) add(`${slotLabel(slot)}: a new version is needed`, typeof d.reason === 'string' ? d.reason : undefined);
        break;
      }
      case 'field.changed': {
        const field = template.fields.find((f) => f.key === d.field && f.external);
        if (field) add(`${fieldLabel(field)} updated`);
        break;
      }
      case 'case.closed':
        add('Case closed');
        break;
      case 'case.reopened':
        add('Case reopened');
        break;
      case 'case.cancelled':
        add('Case cancelled');
        break;
    }
  }
  return entries;
}
