import { COUNT, TEXT } from './limits';
import { isDate, isEmail } from './shapes';
import type { FieldDefinition, TemplateDefinition } from './template';

export type FieldValue = string | number | boolean | string[] | null;

/**
 * Checks one value of a field against its type (`null` clears a value and is handled by the
 * caller). Written without zod: case workflows run it on every field change.
 */
export function checkFieldValue(field: FieldDefinition, raw: unknown): { ok: true; value: FieldValue } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  const ok = (value: FieldValue) => ({ ok: true as const, value });
  const options = field.options ?? [];
  switch (field.type) {
    case 'text':
    case 'longtext': {
      const max = field.type === 'text' ? TEXT.textField : TEXT.longtextField;
      if (typeof raw !== 'string') return fail('must be a string');
      return raw.length > max ? fail(`must be at most ${max} characters`) : ok(raw);
    }
    case 'number':
      return typeof raw === 'number' && Number.isFinite(raw) ? ok(raw) : fail('must be a number');
    case 'date':
      return typeof raw === 'string' && isDate(raw) ? ok(raw) : fail('must be a date in YYYY-MM-DD format');
    case 'boolean':
      return typeof raw === 'boolean' ? ok(raw) : fail('must be true or false');
    case 'email':
      if (typeof raw !== 'string' || !isEmail(raw)) return fail('must be an e-mail address');
      return raw.length > TEXT.email ? fail(`must be at most ${TEXT.email} characters`) : ok(raw);
    case 'select':
      return typeof raw === 'string' && options.includes(raw) ? ok(raw) : fail(`must be one of: ${options.join(', ')}`);
    case 'multiselect': {
      if (!Array.isArray(raw)) return fail('must be an array');
      if (!raw.every((v): v is string => typeof v === 'string' && options.includes(v))) return fail(`each must be one of: ${options.join(', ')}`);
      return new Set(raw).size === raw.length ? ok(raw) : fail('must not repeat an option');
    }
  }
}

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Checks a set of values against the template: unknown fields, types, and required fields that
 * would be cleared. Returns the normalised values or every error.
 */
export function checkFieldValues(
  template: TemplateDefinition,
  values: Record<string, unknown>,
): { ok: true; values: Record<string, FieldValue> } | { ok: false; errors: FieldError[]; values: Record<string, FieldValue> } {
  const errors: FieldError[] = [];
  const out: Record<string, FieldValue> = {};
  const entries = Object.entries(values);
  // Refused before anything else: checking fifty thousand keys one by one is work an attacker chose.
  if (entries.length > COUNT.fieldsPerChange) {
    return { ok: false, errors: [{ field: '(values)', message: `at most ${COUNT.fieldsPerChange} fields at once; got ${entries.length}` }], values: out };
  }
  const byKey = new Map(template.fields.map((f) => [f.key, f]));
  for (const [key, raw] of entries) {
    const field = byKey.get(key);
    if (!field) {
      errors.push({ field: key.slice(0, 100), message: `unknown field "${key.slice(0, 100)}"` });
      continue;
    }
    if (raw === null || raw === undefined) {
      if (field.required) errors.push({ field: key, message: 'is required and cannot be cleared' });
      else out[key] = null;
      continue;
    }
    const checked = checkFieldValue(field, raw);
    if (checked.ok && field.required && isEmptyValue(checked.value)) errors.push({ field: key, message: 'is required' });
    else if (checked.ok) out[key] = checked.value;
    else errors.push({ field: key, message: checked.message });
  }
  // The valid values come back with the errors, so callers can tell a bad value from a missing one.
  return errors.length ? { ok: false, errors, values: out } : { ok: true, values: out };
}

export function isEmptyValue(v: FieldValue | undefined): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

export function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return (a ?? null) === (b ?? null);
}
