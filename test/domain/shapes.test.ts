/**
 * The workflow checks messages against domain/shapes.ts without zod; the API validates them with
 * zod schemas built from the same shapes. These tests hold the two to the same verdicts.
 */
import fc from 'fast-check';
import { checkCommandRequest, commandShapes, type CaseCommandType } from '../../domain/commands';
import { BYTES, COUNT, TEXT, jsonBytes, utf8Length } from '../../domain/limits';
import { commandRequestSchema } from '../../domain/schemas/commands';
import { checkShape, isDate, isInstant, object, type Shape } from '../../domain/shapes';
import { zodOf } from '../../domain/schemas/from-shape';

const actor = { id: 'ada', name: 'Ada', roles: ['admin'], kind: 'user' };

/** Values near the edges of a shape: valid ones and ones that break exactly one rule. */
function candidates(shape: Shape): fc.Arbitrary<unknown> {
  switch (shape.kind) {
    case 'string': {
      const max = shape.max;
      const valid =
        shape.format === 'key'
          ? fc.constantFrom('stage1', 'a', 'x'.repeat(63), 'review_2')
          : shape.format === 'email'
            ? fc.constantFrom('jane@example.com', 'a.b+c@sub.example.org')
            : shape.format === 'instant'
              ? fc.constantFrom('2026-01-31T17:00:00Z', '2026-01-31T17:00:00.123+01:00')
              : shape.format === 'sha256'
                ? fc.constant('a'.repeat(64))
                : fc.string({ minLength: shape.min ?? 0, maxLength: Math.min(max, 20) }).filter((s) => !shape.trim || s.trim().length >= (shape.min ?? 0));
      const invalid = fc.constantFrom<unknown>('', ' ', 'x'.repeat(max + 1), 42, null, ['a'], 'not an @ address', '9bad', '2026-13-45T99:00:00Z', 'A'.repeat(64));
      return mostlyValid(valid, invalid);
    }
    case 'number':
      return mostlyValid(fc.constantFrom<unknown>(0, 1, 17, 1e9), fc.constantFrom<unknown>(-1, 1.5, Number.NaN, '3', null));
    case 'boolean':
      return mostlyValid(fc.boolean(), fc.constantFrom<unknown>('true', 0));
    case 'enum':
      return mostlyValid(fc.constantFrom<unknown>(...shape.values), fc.constantFrom<unknown>('other', 1));
    case 'array':
      return mostlyValid(fc.array(candidates(shape.of), { minLength: shape.min ?? 0, maxLength: Math.max(shape.min ?? 0, 3) }), fc.constantFrom<unknown>('x', {}, Array(shape.max + 1).fill('a')));
    case 'object': {
      // Required fields are nearly always there, so one bad field is often the only problem.
      const entries = Object.entries(shape.fields).map(
        ([k, v]) => [k, v.kind === 'optional' || v.kind === 'defaulted' ? candidates(v) : mostlyValid(candidates(v), fc.constant(undefined))] as const,
      );
      return mostlyValid(
        fc.record(Object.fromEntries(entries)).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))),
        fc.constantFrom<unknown>('x', [], { unexpected: 1 }),
      );
    }
    case 'record':
      return mostlyValid(
        fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: shape.minKeys ?? 0, maxKeys: 3 }),
        fc.constantFrom<unknown>([], 'x', {}, Object.fromEntries(Array.from({ length: shape.maxKeys + 1 }, (_, i) => [`k${i}`, i]))),
      );
    case 'optional':
    case 'defaulted':
      return fc.option(candidates(shape.of), { nil: undefined });
    case 'nullable':
      return fc.oneof(fc.constant(null), candidates(shape.of));
  }
}

function mostlyValid(valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: invalid, weight: 1 });
}

describe('checkShape and the zod schema built from the same shape agree', () => {
  test.each(Object.keys(commandShapes) as CaseCommandType[])('%s', (type) => {
    const shape = object(commandShapes[type]);
    fc.assert(
      fc.property(candidates(shape), (payload) => {
        const message = { actor, requestId: 'r-1', command: { ...(payload as object), type } };
        const ours = checkCommandRequest(message);
        const theirs = commandRequestSchema.safeParse(message);
        // zod's refinements (an internal participant needs a userId…) are the domain's rules too:
        // `decide` applies them, so only the shape itself must agree here.
        const refinementOnly = !theirs.success && theirs.error.issues.every((i) => i.code === 'custom');
        if (!refinementOnly) expect({ type, message, ok: ours.ok }).toEqual({ type, message, ok: theirs.success });
        if (ours.ok && theirs.success) expect(ours.request).toEqual(theirs.data);
      }),
      { numRuns: 500 },
    );
  });

  test('a shape checked with zod and without gives the same normalised value', () => {
    const shape = object({ reason: commandShapes.reopen.reason });
    expect(checkShape(shape, { reason: '  spaced  ' })).toEqual({ ok: true, value: { reason: 'spaced' } });
    expect(zodOf(shape).parse({ reason: '  spaced  ' })).toEqual({ reason: 'spaced' });
  });
});

describe('checkCommandRequest', () => {
  test('refuses a message over the command budget before looking at it', () => {
    const text = '字'.repeat(TEXT.comment); // 30 KB of UTF-8: within the text limit
    expect(checkCommandRequest({ actor, command: { type: 'comment', text } }).ok).toBe(true);
    const big = checkCommandRequest({ actor, command: { type: 'comment', text }, requestId: 'x', padding: '字'.repeat(20_000) });
    expect(big).toMatchObject({ ok: false, tooLarge: true });
  });

  test('lists at most a few problems, however many there are', () => {
    const values = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`unknown${i}`, i]));
    const checked = checkCommandRequest({ actor, command: { type: 'setFields', values, ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x${i}`, 1])) } });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems.length).toBeLessThanOrEqual(COUNT.problemsListed);
  });

  test('fills in defaults and names unknown command types', () => {
    const checked = checkCommandRequest({ actor: { id: 'x', name: 'X' }, command: { type: 'comment', text: 'hi' } });
    expect(checked).toEqual({ ok: true, request: { actor: { id: 'x', name: 'X', roles: [], kind: 'user' }, command: { type: 'comment', text: 'hi' } } });
    const unknown = checkCommandRequest({ actor, command: { type: 'explode' } });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.problems[0]).toMatchObject({ path: 'command.type' });
  });
});

describe('formats and sizes', () => {
  test('dates and instants', () => {
    expect(['2024-02-29', '2026-12-31'].map(isDate)).toEqual([true, true]);
    expect(['2023-02-29', '2026-13-01', '2026-1-5', '2026-01-01T00:00:00Z'].map(isDate)).toEqual([false, false, false, false]);
    expect(['2026-01-31T17:00:00Z', '2026-01-31T17:00+01:00', '2026-01-31T17:00:00.5-0530'].map(isInstant)).toEqual([true, true, true]);
    expect(['2026-01-31', '2026-01-31T17:00:00', 'yesterday'].map(isInstant)).toEqual([false, false, false]);
  });

  test('UTF-8 lengths count what Temporal counts', () => {
    for (const s of ['', 'abc', 'é', '字', '😀', 'a😀字é', '\u{10ffff}']) expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => utf8Length(s) === Buffer.byteLength(s, 'utf8')));
    expect(jsonBytes({ a: '字' })).toBe(Buffer.byteLength(JSON.stringify({ a: '字' })));
    expect(BYTES.backlogHard).toBeGreaterThanOrEqual(BYTES.backlogSoft + BYTES.eventsPerCommand);
  });
});
