import { z } from 'zod';
import type { FieldDefinition, TemplateDefinition } from './template';

export type FieldValue = string | number | boolean | string[] | null;

const isoDate = z.iso.date({ message: 'must be a date in YYYY-MM-DD format' });

/** The zod schema a value of this field must satisfy (`null` clears a value). */
export function fieldValueSchema(field: FieldDefinition): z.ZodType<FieldValue> {
  switch (field.type) {
    case 'text':
      return z.string().max(1000, 'must be at most 1000 characters');
    case 'longtext':
      return z.string().max(20000, 'must be at most 20000 characters');
    case 'number':
      return z.number({ message: 'must be a number' }).finite();
    case 'date':
      return isoDate;
    case 'boolean':
      return z.boolean({ message: 'must be true or false' });
    case 'email':
      return z.email({ message: 'must be an e-mail address' }).max(320);
    case 'select':
      return z.enum(field.options as [string, ...string[]], {
        message: `must be one of: ${(field.options ?? []).join(', ')}`,
      });
    case 'multiselect':
      return z
        .array(z.enum(field.options as [string, ...string[]], { message: `each must be one of: ${(field.options ?? []).join(', ')}` }))
        .refine((v) => new Set(v).size === v.length, 'must not repeat an option');
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
  for (const [key, raw] of Object.entries(values)) {
    const field = template.fields.find((f) => f.key === key);
    if (!field) {
      errors.push({ field: key, message: `unknown field "${key}"` });
      continue;
    }
    if (raw === null || raw === undefined) {
      if (field.required) errors.push({ field: key, message: 'is required and cannot be cleared' });
      else out[key] = null;
      continue;
    }
    const parsed = fieldValueSchema(field).safeParse(raw);
    if (parsed.success && field.required && isEmptyValue(parsed.data)) errors.push({ field: key, message: 'is required' });
    else if (parsed.success) out[key] = parsed.data;
    else errors.push({ field: key, message: parsed.error.issues[0]?.message ?? 'is invalid' });
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
