import { z } from 'zod';
import { EMAIL_PATTERN, INSTANT_MESSAGE, KEY_MESSAGE, KEY_PATTERN, type Fields, type InferFields, type Shape } from '../shapes';

/**
 * The zod schema of a shape (domain/shapes.ts): what the API validates requests with and what the
 * OpenAPI document describes, so the API and the workflow's own check cannot drift apart.
 */
export function zodOf(shape: Shape): z.ZodType {
  switch (shape.kind) {
    case 'string': {
      let s: z.ZodString | z.ZodEmail | z.ZodISODateTime =
        shape.format === 'email'
          ? z.email({ pattern: mutableCopy(EMAIL_PATTERN), message: 'must be an e-mail address' })
          : shape.format === 'instant'
            ? z.iso.datetime({ offset: true, message: INSTANT_MESSAGE })
            : z.string();
      if (shape.trim) s = s.trim();
      if (shape.min !== undefined && shape.min > 0) s = s.min(shape.min);
      s = s.max(shape.max);
      if (shape.format === 'key') s = (s as z.ZodString).regex(mutableCopy(KEY_PATTERN), KEY_MESSAGE);
      if (shape.format === 'sha256') s = (s as z.ZodString).regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');
      return s;
    }
    case 'number': {
      let n = z.number();
      if (shape.int) n = n.int();
      if (shape.min !== undefined) n = n.min(shape.min);
      if (shape.max !== undefined) n = n.max(shape.max);
      return n;
    }
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(shape.values);
    case 'array': {
      let a = z.array(zodOf(shape.of)).max(shape.max);
      if (shape.min !== undefined) a = a.min(shape.min);
      return a;
    }
    case 'object':
      return strictObject(shape.fields);
    case 'record': {
      const { minKeys, maxKeys } = shape;
      return z
        .record(z.string(), z.unknown())
        .refine((v) => Object.keys(v).length <= maxKeys, `must have at most ${maxKeys} keys`)
        .refine((v) => minKeys === undefined || Object.keys(v).length >= minKeys, minKeys === 1 ? 'give at least one key' : `must have at least ${minKeys} keys`)
        .meta({ maxProperties: maxKeys, ...(minKeys !== undefined ? { minProperties: minKeys } : {}) });
    }
    case 'optional':
      return zodOf(shape.of).optional();
    case 'nullable':
      return zodOf(shape.of).nullable();
    case 'defaulted':
      return zodOf(shape.of).default(shape.value as never);
  }
}

/** A strict zod object for a shape's fields, typed like the shape. */
export function zodObject<F extends Fields>(fields: F): z.ZodType<InferFields<F>> {
  return strictObject(fields) as never;
}

/** The same, untyped (for fields picked at run time). */
export function strictObject(fields: Fields): z.ZodType {
  return z.object(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, zodOf(v)]))).strict();
}

/**
 * zod resets a pattern's `lastIndex` before each test, and the worker shares `domain/shapes.ts`
 * among workflows frozen (worker/preloaded-modules.ts): a frozen pattern refuses that write, so the
 * schemas (which an old case's workflow still builds) get their own copy.
 */
function mutableCopy(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.flags);
}
