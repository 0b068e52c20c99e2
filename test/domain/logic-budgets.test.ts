import * as jsonLogic from 'json-logic-js';
import { conditionHolds } from '../../domain/automations';
import { LOGIC } from '../../domain/limits';
import { BudgetExceeded, evaluateLogic, formatCount, LogicBudgetExceeded, RenderBudgetExceeded } from '../../domain/logic-budget';
import { RENDER_TAG_VISITS, renderTemplate, textShape } from '../../domain/render';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const options = (n: number) => range(n).map((i) => `option-${String(i).padStart(3, '0')}`);
const sample = { case: {}, fields: {}, stage: {}, event: { data: {} }, actor: {} };

/** The error `f` throws (the test fails if it returns). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('JSONLogic run-time budget', () => {
  test('conditions within the budget evaluate exactly as json-logic-js does', () => {
    const data = { fields: { tags: ['a', 'b'], amount: 12, name: 'Jane' }, case: { title: 'Claim' } };
    const rules = [
      { '==': [{ var: 'fields.amount' }, 12] },
      { and: [{ in: ['a', { var: 'fields.tags' }] }, { '>': [{ var: 'fields.amount' }, 10] }] },
      { some: [{ var: 'fields.tags' }, { '==': [{ var: '' }, 'b'] }] },
      { cat: ['Dear ', { var: 'fields.name' }, ', ', { substr: [{ var: 'case.title' }, 0, 3] }] },
      { reduce: [{ var: 'fields.tags' }, { cat: [{ var: 'accumulator' }, { var: 'current' }] }, ''] },
      { merge: [{ var: 'fields.tags' }, ['c'], 1] },
      { missing: ['fields.amount', 'fields.ghost'] },
      { if: [{ '<': [{ var: 'fields.amount' }, 5] }, 'small', 'large'] },
    ];
    for (const rule of rules) expect(evaluateLogic(rule, data)).toEqual(jsonLogic.apply(rule as jsonLogic.RulesLogic, data));
  });

  test('a condition past LOGIC.conditionSteps throws LogicBudgetExceeded, naming the budget', () => {
    const err = thrown(() => evaluateLogic({ map: [range(200), { map: [range(100), { var: '' }] }] }, sample));
    expect(err).toBeInstanceOf(LogicBudgetExceeded);
    expect(err).toBeInstanceOf(BudgetExceeded);
    expect(err.name).toBe('LogicBudgetExceeded');
    expect(err.message).toBe(`condition exceeded its budget of ${formatCount(LOGIC.conditionSteps)} steps`);
    expect(err.message).toBe('condition exceeded its budget of 10,000 steps');
  });

  test('the verdict is deterministic: the same condition on the same data fails the same way every time', () => {
    const rule = { none: [{ var: 'fields.tags' }, { some: [range(100), { '==': [{ var: '' }, -1] }] }] };
    const data = { fields: { tags: options(200) } };
    const messages = range(5).map(() => thrown(() => evaluateLogic(rule, data)).message);
    expect(new Set(messages).size).toBe(1);
    // The same rule over a short list stays within the budget, every time.
    for (let i = 0; i < 5; i++) expect(evaluateLogic(rule, { fields: { tags: options(3) } })).toBe(true);
  });

  test('no string longer than LOGIC.conditionValueLength: `cat` doubling a string stops at the limit', () => {
    const err = thrown(() => evaluateLogic({ reduce: [range(30), { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'x'] }, sample));
    expect(err).toBeInstanceOf(LogicBudgetExceeded);
    expect(err.message).toBe(`condition built a string of ${formatCount(2 ** 17)} characters; at most ${formatCount(LOGIC.conditionValueLength)}`);
  });

  test('no list longer than LOGIC.conditionValueLength: `merge` doubling a list stops at the limit', () => {
    const err = thrown(() => evaluateLogic({ reduce: [range(30), { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [1]] }, sample));
    expect(err).toBeInstanceOf(LogicBudgetExceeded);
    expect(err.message).toMatch(/^condition built a list of 131,072 items; at most 65,536$/);
  });

  test('lists nested by reference count by what converting them costs: `cat` over 2^40 shared items is refused at once', () => {
    // Each step wraps the accumulator twice: 40 short lists that would stringify to 2^40 items.
    const bomb = { cat: { reduce: [range(40), { merge: [[{ var: 'accumulator' }], [{ var: 'accumulator' }]] }, ['x']] } };
    const err = thrown(() => evaluateLogic(bomb, sample));
    expect(err).toBeInstanceOf(LogicBudgetExceeded);
    expect(err.message).toMatch(/budget of 10,000 steps/);
  });

  test('an operation over long values costs more than one step: many `==` over a 20,000-character text run out', () => {
    const text = 'x'.repeat(20_000);
    const compare = { '==': [{ var: 'fields.bio' }, 'y'] };
    expect(evaluateLogic({ and: range(5).map(() => ({ '!': compare })) }, { fields: { bio: text } })).toBe(true);
    const err = thrown(() => evaluateLogic({ and: range(100).map(() => ({ '!': compare })) }, { fields: { bio: text } }));
    expect(err.message).toMatch(/budget of 10,000 steps/);
  });

  test('a failed evaluation leaves nothing behind: the next one has its whole budget, and the library is unmetered outside', () => {
    expect(() => evaluateLogic({ map: [range(200), { map: [range(100), 1] }] }, sample)).toThrow(LogicBudgetExceeded);
    expect(evaluateLogic({ '==': [1, 1] }, sample)).toBe(true);
    expect(jsonLogic.apply({ map: [range(200), { map: [range(100), 1] }] } as unknown as jsonLogic.RulesLogic, sample)).toHaveLength(200);
  });

  test('unknown operators still throw the library error', () => {
    expect(() => evaluateLogic({ nope: [1] }, sample)).toThrow(/Unrecognized operation nope/);
    expect(() => conditionHolds({ nope: [1] }, sample)).toThrow(/Unrecognized operation nope/);
  });

  test('conditionHolds is budgeted: a nested map over a field with many options throws instead of running on', () => {
    const condition = { some: [{ var: 'fields.tags' }, { some: [range(100), { '==': [{ var: '' }, -1] }] }] };
    expect(conditionHolds(condition, { ...sample, fields: { tags: options(2) } })).toBe(false);
    expect(() => conditionHolds(condition, { ...sample, fields: { tags: options(200) } })).toThrow(LogicBudgetExceeded);
  });
});

describe('mustache run-time budget', () => {
  const context = (n: number, title = 'Claim') => ({ case: { key: 'CLM-1', title }, fields: { tags: options(n) } });

  test('a section over a large list stops at LOGIC.renderedLength characters, while rendering', () => {
    const source = '{{#fields.tags}}{{.}}: {{case.title}}\n{{/fields.tags}}';
    expect(renderTemplate(source, context(3), 'text')).toBe('option-000: Claim\noption-001: Claim\noption-002: Claim\n');
    const err = thrown(() => renderTemplate(source, context(200, 'x'.repeat(2_000)), 'text'));
    expect(err).toBeInstanceOf(RenderBudgetExceeded);
    expect(err).toBeInstanceOf(BudgetExceeded);
    expect(err.message).toBe(`text exceeded its budget of ${formatCount(LOGIC.renderedLength)} characters`);
  });

  test('nested sections multiply: two over 200 options each go over the budget (HTML too)', () => {
    const source = '{{#fields.tags}}{{#fields.tags}}<{{.}}>{{/fields.tags}}{{/fields.tags}}';
    expect(() => renderTemplate(source, context(200), 'html')).toThrow(RenderBudgetExceeded);
    expect(renderTemplate(source, context(2), 'html')).toBe('<option-000><option-001>'.repeat(2));
  });

  test('sections that repeat without output are bounded too, by tag visits', () => {
    const source = '{{#fields.tags}}{{#fields.tags}}{{#fields.tags}}{{^fields.tags}}never{{/fields.tags}}{{/fields.tags}}{{/fields.tags}}{{/fields.tags}}';
    const err = thrown(() => renderTemplate(source, context(200), 'text'));
    expect(err).toBeInstanceOf(RenderBudgetExceeded);
    expect(err.message).toBe(`text exceeded its budget of ${formatCount(RENDER_TAG_VISITS)} tag visits`);
  });

  test('a caller may give a smaller budget', () => {
    expect(renderTemplate('{{case.title}}', context(0, 'abcdef'), 'text', { maxLength: 6 })).toBe('abcdef');
    expect(() => renderTemplate('{{case.title}}!', context(0, 'abcdef'), 'text', { maxLength: 6 })).toThrow(/budget of 6 characters/);
  });

  test('only the data itself is visible: no inherited members, no functions called as lambdas', () => {
    const ctx = context(2, 'abc');
    // `repeat` is String.prototype's: mustache would call it as a lambda with the section's text.
    expect(renderTemplate('[{{#case.title.repeat}}99999999{{/case.title.repeat}}]', ctx, 'text')).toBe('[]');
    expect(renderTemplate('[{{case.constructor}}][{{fields.tags.map}}][{{#case.toString}}x{{/case.toString}}]', ctx, 'text')).toBe('[][][]');
    // What templates do use still works: own properties, lengths, indexes, `.`, inverted sections, parents' names.
    expect(renderTemplate('{{case.title.length}} {{fields.tags.length}} {{fields.tags.1}} {{#fields.tags}}{{.}}/{{case.key}} {{/fields.tags}}{{^fields.none}}none{{/fields.none}}', ctx, 'text')).toBe(
      '3 2 option-001 option-000/CLM-1 option-001/CLM-1 none',
    );
    expect(renderTemplate('{{case.title}} {{{case.title}}}', { case: { title: 'a & <b>' } }, 'html')).toBe('a &amp; &lt;b&gt; a & <b>');
  });

  test('textShape counts tags and section depth without recursing', () => {
    expect(textShape('Hi {{case.title}} {{#fields.tags}}{{.}}{{^x}}-{{/x}}{{/fields.tags}} {{! note }}')).toEqual({
      tags: 5,
      sectionDepth: 2,
      names: ['case.title', 'fields.tags', '.', 'x'],
    });
    const deep = `${'{{#a}}'.repeat(20_000)}x${'{{/a}}'.repeat(20_000)}`;
    expect(textShape(deep)).toMatchObject({ tags: 20_000, sectionDepth: 20_000, names: ['a'] });
    expect(() => textShape('{{#a}}')).toThrow(/Unclosed section/);
  });
});
