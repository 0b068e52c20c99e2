import { checkFieldValue, checkFieldValues, isEmptyValue, sameValue } from '../../domain/fields';
import type { FieldDefinition } from '../../domain/template';
import { actors, onboardingInput, parseTemplate, rejectionOf, TestCase } from './helpers';

const template = parseTemplate(onboardingInput);
const field = (key: string): FieldDefinition => {
  const f = template.fields.find((x) => x.key === key);
  if (!f) throw new Error(`no field ${key}`);
  return f;
};

describe('checkFieldValue per type', () => {
  test.each<[string, unknown[], unknown[]]>([
    ['fullName', ['', 'John', 'x'.repeat(1000), 'ünïcødé'], [42, true, ['a'], 'x'.repeat(1001), {}]],
    ['bio', ['x'.repeat(20000), 'multi\nline'], ['x'.repeat(20001), 3]],
    ['salary', [0, -12.5, 1e9], ['42', Number.NaN, Number.POSITIVE_INFINITY, true, []]],
    ['startDate', ['2026-01-31', '2024-02-29'], ['2023-02-29', '2026-13-01', '2026-1-5', '31/01/2026', '2026-01-31T00:00:00Z', 20260131]],
    ['remote', [true, false], ['yes', 'true', 0, 1]],
    ['contractType', ['employee', 'contractor'], ['Employee', 'intern', '', ['employee']]],
    ['equipment', [[], ['laptop'], ['badge', 'laptop', 'phone']], [['laptop', 'laptop'], ['car'], 'laptop', [1]]],
    ['personalEmail', ['john.doe@example.com', 'a+b@sub.example.org'], ['john', 'john@', '@example.com', 'john doe@example.com', 42]],
  ])('%s', (key, valid, invalid) => {
    for (const v of valid) expect({ v, ok: checkFieldValue(field(key), v).ok }).toEqual({ v, ok: true });
    for (const v of invalid) expect({ v, ok: checkFieldValue(field(key), v).ok }).toEqual({ v, ok: false });
  });

  test('error messages name the expectation', () => {
    expect(checkFieldValues(template, { contractType: 'intern' })).toMatchObject({
      ok: false,
      errors: [{ field: 'contractType', message: 'must be one of: employee, contractor' }],
    });
    expect(checkFieldValues(template, { startDate: 'soon' })).toMatchObject({
      ok: false,
      errors: [{ field: 'startDate', message: 'must be a date in YYYY-MM-DD format' }],
    });
    expect(checkFieldValues(template, { personalEmail: 'nope' })).toMatchObject({
      ok: false,
      errors: [{ field: 'personalEmail', message: 'must be an e-mail address' }],
    });
  });
});

describe('checkFieldValues', () => {
  test('returns normalised values when all are valid', () => {
    expect(checkFieldValues(template, { fullName: 'J', salary: 3, remote: false, equipment: ['phone'] })).toMatchObject({
      ok: true,
      values: { fullName: 'J', salary: 3, remote: false, equipment: ['phone'] },
    });
  });

  test('null clears an optional field', () => {
    expect(checkFieldValues(template, { salary: null, equipment: null })).toEqual({ ok: true, values: { salary: null, equipment: null } });
  });

  test('a required field cannot be cleared with null', () => {
    expect(checkFieldValues(template, { fullName: null })).toMatchObject({
      ok: false,
      errors: [{ field: 'fullName', message: 'is required and cannot be cleared' }],
    });
  });

  test('unknown fields are reported, and every error is reported at once', () => {
    const result = checkFieldValues(template, { ghost: 1, salary: 'many', fullName: null, bio: 'ok' });
    expect(result).toEqual({
      values: { bio: 'ok' },
      ok: false,
      errors: [
        { field: 'ghost', message: 'unknown field "ghost"' },
        { field: 'salary', message: expect.any(String) },
        { field: 'fullName', message: 'is required and cannot be cleared' },
      ],
    });
  });

  test('keys inherited from Object.prototype are unknown fields', () => {
    expect(checkFieldValues(template, { constructor: 'x', toString: 'y' })).toMatchObject({
      ok: false,
      errors: [{ field: 'constructor' }, { field: 'toString' }],
    });
  });
});

describe('isEmptyValue / sameValue', () => {
  test('isEmptyValue', () => {
    for (const v of [undefined, null, '', []]) expect(isEmptyValue(v as never)).toBe(true);
    for (const v of [0, false, ' ', ['a'], 'x']) expect(isEmptyValue(v)).toBe(false);
  });
  test('sameValue', () => {
    expect(sameValue(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameValue(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameValue(undefined, null)).toBe(true);
    expect(sameValue(0, null)).toBe(false);
    expect(sameValue('1', 1)).toBe(false);
  });
});

describe('setFields command', () => {
  const start = { fields: { fullName: 'John Doe', skills: ['ts'] } };

  test('a change records old and new value, one event per changed field', () => {
    const c = new TestCase(template, start);
    const events = c.ok({ type: 'setFields', values: { fullName: 'John Q. Doe', salary: 50000, skills: ['ts'] } }, actors.hr);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['field.changed', { field: 'fullName', old: 'John Doe', new: 'John Q. Doe' }],
      ['field.changed', { field: 'salary', old: null, new: 50000 }],
    ]);
    expect(c.state.fields).toMatchObject({ fullName: 'John Q. Doe', salary: 50000 });
  });

  test('null clears an optional field and records the old value', () => {
    const c = new TestCase(template, start);
    c.ok({ type: 'setFields', values: { equipment: ['laptop', 'phone'] } });
    const events = c.ok({ type: 'setFields', values: { equipment: null } });
    expect(events[0]?.data).toEqual({ field: 'equipment', old: ['laptop', 'phone'], new: null });
    expect(c.state.fields.equipment).toBeNull();
  });

  test('setting the same values is rejected with no_change', () => {
    const c = new TestCase(template, start);
    expect(rejectionOf(c.decide({ type: 'setFields', values: { fullName: 'John Doe' } })).code).toBe('no_change');
    expect(rejectionOf(c.decide({ type: 'setFields', values: { salary: null } })).code).toBe('no_change');
  });

  test('invalid values are rejected with invalid_fields and a path per field; nothing is applied', () => {
    const c = new TestCase(template, start);
    const r = rejectionOf(c.decide({ type: 'setFields', values: { salary: 'lots', ghost: 1, fullName: null, bio: 'fine' } }));
    expect(r.code).toBe('invalid_fields');
    expect(r.errors).toEqual([
      { path: 'fields.salary', message: expect.any(String) },
      { path: 'fields.ghost', message: 'unknown field "ghost"' },
      { path: 'fields.fullName', message: 'is required and cannot be cleared' },
    ]);
  });

  // BUG (domain/fields.ts checkFieldValues): only `null` counts as clearing. A required text field
  // accepts "" and a required multiselect accepts [], which isEmptyValue() — used by decideStart and
  // by the exit criteria — treats as "no value". The field is thus cleared although
  // template.ts documents `required` as "can never be cleared".
  test('a required field cannot be cleared with an empty string', () => {
    const c = new TestCase(template, start);
    const r = rejectionOf(c.decide({ type: 'setFields', values: { fullName: '' } }));
    expect(r.code).toBe('invalid_fields');
    expect(r.errors).toEqual([{ path: 'fields.fullName', message: expect.any(String) }]);
  });

  test('a required multiselect cannot be cleared with an empty list', () => {
    const c = new TestCase(template, start);
    const r = rejectionOf(c.decide({ type: 'setFields', values: { skills: [] } }));
    expect(r.code).toBe('invalid_fields');
  });
});
