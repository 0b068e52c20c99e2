/**
 * A small language for the shape of messages, written as data. Zod is the API's validator, but
 * building zod schemas costs ~0.7 MB of heap in every workflow context (the SDK gives each case
 * its own copy of its modules), so the shapes of commands are declared here once: the API turns
 * them into zod schemas (validation, OpenAPI: domain/schemas/commands.ts) and the workflow checks
 * the messages it receives against them with `checkShape`, without zod.
 */

export type StringFormat = 'key' | 'email' | 'instant' | 'sha256';

export type Shape =
  | { readonly kind: 'string'; readonly min?: number; readonly max: number; readonly trim?: boolean; readonly format?: StringFormat }
  | { readonly kind: 'number'; readonly int?: boolean; readonly min?: number; readonly max?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly [string, ...string[]] }
  | { readonly kind: 'array'; readonly of: Shape; readonly min?: number; readonly max: number }
  | { readonly kind: 'object'; readonly fields: Fields }
  /** A JSON object with string keys and any JSON values (field maps). */
  | { readonly kind: 'record'; readonly minKeys?: number; readonly maxKeys: number }
  | { readonly kind: 'optional'; readonly of: Shape }
  | { readonly kind: 'nullable'; readonly of: Shape }
  | { readonly kind: 'defaulted'; readonly of: Shape; readonly value: unknown };

export type Fields = { readonly [key: string]: Shape };

/** The TypeScript type a shape describes (after defaults). */
export type Infer<S> = S extends { kind: 'string' }
  ? string
  : S extends { kind: 'number' }
    ? number
    : S extends { kind: 'boolean' }
      ? boolean
      : S extends { kind: 'enum'; values: readonly (infer V)[] }
        ? V
        : S extends { kind: 'array'; of: infer T }
          ? Array<Infer<T>>
          : S extends { kind: 'object'; fields: infer F }
            ? InferFields<F>
            : S extends { kind: 'record' }
              ? Record<string, unknown>
              : S extends { kind: 'nullable'; of: infer T }
                ? Infer<T> | null
                : S extends { kind: 'defaulted'; of: infer T }
                  ? Infer<T>
                  : never;

type Optional = { kind: 'optional' };
type Defaulted = { kind: 'defaulted' };
type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type InferFields<F> = Simplify<
  { -readonly [K in keyof F as F[K] extends Optional ? never : K]: Infer<F[K]> } & {
    -readonly [K in keyof F as F[K] extends Optional ? K : never]?: F[K] extends { of: infer T } ? Infer<T> : never;
  }
>;

/** The type a sender may send: defaulted fields may be left out. */
export type InferInput<S> = S extends { kind: 'object'; fields: infer F }
  ? Simplify<
      { -readonly [K in keyof F as F[K] extends Optional | Defaulted ? never : K]: InferInput<F[K]> } & {
        -readonly [K in keyof F as F[K] extends Optional | Defaulted ? K : never]?: F[K] extends { of: infer T } ? InferInput<T> : never;
      }
    >
  : S extends { kind: 'array'; of: infer T }
    ? Array<InferInput<T>>
    : S extends { kind: 'nullable'; of: infer T }
      ? InferInput<T> | null
      : Infer<S>;

// Constructors: `text(300)`, `optional(reason)`, `object({ … })`.
export const text = (max: number, min = 1) => ({ kind: 'string', trim: true, min, max }) as const;
export const rawText = (max: number, min = 0) => ({ kind: 'string', min, max }) as const;
export const formatted = <F extends StringFormat>(format: F, max: number) => ({ kind: 'string', format, min: 1, max }) as const;
export const int = (min?: number, max?: number) => ({ kind: 'number', int: true, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) }) as const;
export const oneOf = <const V extends readonly [string, ...string[]]>(...values: V) => ({ kind: 'enum', values }) as const;
export const list = <S extends Shape>(of: S, max: number, min?: number) => ({ kind: 'array', of, max, ...(min !== undefined ? { min } : {}) }) as const;
export const object = <F extends Fields>(fields: F) => ({ kind: 'object', fields }) as const;
export const record = (maxKeys: number, minKeys?: number) => ({ kind: 'record', maxKeys, ...(minKeys !== undefined ? { minKeys } : {}) }) as const;
export const optional = <S extends Shape>(of: S) => ({ kind: 'optional', of }) as const;
export const nullable = <S extends Shape>(of: S) => ({ kind: 'nullable', of }) as const;
export const defaulted = <S extends Shape>(of: S, value: unknown) => ({ kind: 'defaulted', of, value }) as const;

/** Patterns of the string formats; zod uses the same ones (domain/schemas). */
export const KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/;
export const KEY_MESSAGE = 'must start with a letter and contain only letters, digits, _ or - (max 63)';
/** zod's own e-mail pattern (z.email()), so the API and the workflow agree on what an address is. */
export const EMAIL_PATTERN = /^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
/** An ISO 8601 date-time with a zone (Z or an offset); `isInstant` also checks the calendar. */
const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
export const INSTANT_MESSAGE = 'must be an ISO 8601 date-time, e.g. 2026-01-31T17:00:00Z';
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isInstant(value: string): boolean {
  return INSTANT_PATTERN.test(value) && !Number.isNaN(Date.parse(value));
}

/** `YYYY-MM-DD` naming a real day (no 2026-02-30). */
export function isDate(value: string): boolean {
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export const isEmail = (value: string): boolean => EMAIL_PATTERN.test(value);

export interface ShapeProblem {
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: ShapeProblem[] };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a value against a shape without zod and returns it normalised (strings trimmed where
 * the shape trims, defaults filled in), or the problems found — at most `maxProblems` of them,
 * so a message with fifty thousand bad keys costs fifty thousand checks, not a huge answer.
 */
export function checkShape<S extends Shape>(shape: S, value: unknown, maxProblems = 20): Checked<Infer<S>> {
  const problems: ShapeProblem[] = [];
  const out = walk(shape, value, '', problems, maxProblems);
  return problems.length ? { ok: false, problems } : { ok: true, value: out as Infer<S> };
}

function walk(shape: Shape, value: unknown, path: string, problems: ShapeProblem[], max: number): unknown {
  const fail = (message: string) => {
    if (problems.length < max) problems.push({ path: path || '(message)', message });
    return undefined;
  };
  switch (shape.kind) {
    case 'optional':
      return value === undefined ? undefined : walk(shape.of, value, path, problems, max);
    case 'defaulted':
      return value === undefined ? shape.value : walk(shape.of, value, path, problems, max);
    case 'nullable':
      return value === null ? null : walk(shape.of, value, path, problems, max);
    case 'string': {
      if (typeof value !== 'string') return fail('must be a string');
      const s = shape.trim ? value.trim() : value;
      if (shape.min !== undefined && s.length < shape.min) return fail(shape.min === 1 ? 'must not be empty' : `must be at least ${shape.min} characters`);
      if (s.length > shape.max) return fail(`must be at most ${shape.max} characters`);
      if (shape.format === 'key' && !KEY_PATTERN.test(s)) return fail(KEY_MESSAGE);
      if (shape.format === 'email' && !isEmail(s)) return fail('must be an e-mail address');
      if (shape.format === 'instant' && !isInstant(s)) return fail(INSTANT_MESSAGE);
      if (shape.format === 'sha256' && !SHA256_PATTERN.test(s)) return fail('must be 64 lower-case hex digits');
      return s;
    }
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('must be a number');
      if (shape.int && !Number.isInteger(value)) return fail('must be an integer');
      if (shape.min !== undefined && value < shape.min) return fail(`must be at least ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) return fail(`must be at most ${shape.max}`);
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('must be true or false');
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value) ? value : fail(`must be one of: ${shape.values.join(', ')}`);
    case 'array': {
      if (!Array.isArray(value)) return fail('must be an array');
      if (value.length > shape.max) return fail(`must have at most ${shape.max} items`);
      if (shape.min !== undefined && value.length < shape.min) return fail(`must have at least ${shape.min} items`);
      return value.map((item, i) => walk(shape.of, item, `${path}[${i}]`, problems, max));
    }
    case 'record': {
      if (!isPlainObject(value)) return fail('must be an object');
      const n = Object.keys(value).length;
      if (n > shape.maxKeys) return fail(`must have at most ${shape.maxKeys} keys`);
      if (shape.minKeys !== undefined && n < shape.minKeys) return fail(shape.minKeys === 1 ? 'give at least one key' : `must have at least ${shape.minKeys} keys`);
      return value;
    }
    case 'object': {
      if (!isPlainObject(value)) return fail('must be an object');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(shape.fields, key)) fail(`unknown property "${key.slice(0, 100)}"`);
        if (problems.length >= max) return undefined;
      }
      for (const [key, field] of Object.entries(shape.fields)) {
        const at = path ? `${path}.${key}` : key;
        const given = value[key];
        if (given === undefined && field.kind !== 'optional' && field.kind !== 'defaulted') {
          if (problems.length < max) problems.push({ path: at, message: 'is required' });
          continue;
        }
        const checked = walk(field, given, at, problems, max);
        if (checked !== undefined) out[key] = checked;
      }
      return out;
    }
  }
}
