/**
 * What a template field's input holds while someone edits it (a "draft"), and how a draft becomes
 * the value the API takes. Inputs hold strings for numbers and dates so a half-typed value is
 * never lost; the API stays the one validator (its 422 names the field), so nothing here refuses.
 */
import type { FieldDefinition } from '../lib/types';
import { isRedacted } from '../lib/types';

export type DraftValue = string | boolean | string[];
/** A value as the API takes it in `fields` (null clears). */
export type ApiFieldValue = string | number | boolean | string[] | null;

export const fieldLabel = (field: Pick<FieldDefinition, 'key' | 'label'>): string => field.label ?? field.key;

/** The input's starting value for what the case holds now (a redacted value is never edited). */
export function draftFrom(field: FieldDefinition, value: unknown): DraftValue {
  if (value === null || value === undefined || isRedacted(value)) {
    if (field.type === 'boolean') return false;
    if (field.type === 'multiselect') return [];
    return '';
  }
  if (field.type === 'boolean') return value === true;
  if (field.type === 'multiselect') return Array.isArray(value) ? value.map(String) : [];
  return String(value);
}

/**
 * The API value of a draft: empty means "no value" (null). A number that does not parse is sent as
 * typed, so the API's own message ("must be a number") appears next to the input.
 */
export function apiValueFrom(field: FieldDefinition, draft: DraftValue): ApiFieldValue {
  if (field.type === 'boolean') return draft === true;
  if (field.type === 'multiselect') return Array.isArray(draft) && draft.length > 0 ? draft : null;
  const text = typeof draft === 'string' ? draft : '';
  if (text.trim() === '') return null;
  if (field.type === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  return text;
}

/** Whether a draft would change nothing: an unticked box on an unset boolean is no change either. */
export function isUnchanged(field: FieldDefinition, draft: DraftValue, current: unknown): boolean {
  const next = apiValueFrom(field, draft);
  const now = current === undefined ? null : current;
  if (field.type === 'boolean' && now === null && next === false) return true;
  if (Array.isArray(next) && Array.isArray(now)) return next.length === now.length && next.every((v, i) => v === now[i]);
  return next === now;
}

/** Whether a draft holds nothing (the start form leaves such fields out). */
export function isEmptyDraft(field: FieldDefinition, draft: DraftValue): boolean {
  if (field.type === 'boolean') return false;
  return apiValueFrom(field, draft) === null;
}

/** A value for reading (timeline old → new, summaries): "Hidden" for redacted, "—" for none. */
export function displayValue(field: FieldDefinition | undefined, value: unknown): string {
  if (isRedacted(value)) return 'Hidden';
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
  if (field?.type === 'date' && typeof value === 'string') {
    // A calendar date, not an instant: shown as written in the reader's locale, never shifted by time zone.
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (m) return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).toLocaleDateString(undefined, { dateStyle: 'medium' });
  }
  return String(value);
}
