import { parse as parseYaml } from 'yaml';
import { BYTES, jsonBytes, LOGIC } from '../../domain/limits';
import { defaultPrefix, findStage, stageIndex, stageName, type TemplateDefinitionInput } from '../../domain/template';
import { formatPath, validateTemplate, type TemplateProblem } from '../../domain/template-validation';
import { onboardingInput } from './helpers';

/** A minimal valid template to break in one place at a time. */
function base(): Record<string, unknown> & TemplateDefinitionInput {
  return {
    key: 'simple',
    name: 'Simple',
    roles: ['hr', 'manager'],
    fields: [
      { key: 'name', type: 'text' },
      { key: 'kind', type: 'select', options: ['a', 'b'] },
    ],
    documents: [{ key: 'idCard' }],
    stages: [
      { key: 'open', owner: 'hr', tasks: [{ key: 'check', title: 'Check' }] },
      { key: 'review', owner: 'manager' },
      { key: 'done', terminal: true },
    ],
  };
}

function problemsOf(input: unknown): TemplateProblem[] {
  const result = validateTemplate(input);
  if (result.ok) throw new Error('expected the template to be invalid');
  return result.problems;
}

function paths(input: unknown): string[] {
  return problemsOf(input).map((p) => p.path);
}

describe('validateTemplate: valid templates', () => {
  test('the full onboarding example parses, with defaults applied', () => {
    const result = validateTemplate(onboardingInput);
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    const t = result.template;
    expect(t.stages.map((s) => s.key)).toEqual(['documentation', 'setup', 'review', 'completed']);
    expect(t.fields.find((f) => f.key === 'bio')).toEqual({ key: 'bio', type: 'longtext', required: false, external: false });
    expect(t.documents[1]).toEqual({ key: 'contract', external: false, required: false });
    expect(t.stages[0]?.exit).toEqual({ fields: ['fullName', 'startDate'], documents: ['idCard'], approved: [], tasks: [] });
    expect(t.stages[0]?.tasks).toEqual([]);
    expect(t.stages[0]?.terminal).toBe(false);
    expect(t.stages[0]?.sla?.escalations).toEqual([{ after: '1d', do: [{ notify: { to: 'role:hr' } }] }]);
    expect(t.stages[2]?.exit?.tasks).toBe('all');
    expect(t.stages[3]?.terminal).toBe(true);
    expect(t.transitions).toBeUndefined();
  });

  test('the DESIGN.md §5 sketch, authored as YAML, parses', () => {
    const yaml = `
key: employee-onboarding
name: Employee onboarding
prefix: ONB                       # case keys ONB-1, ONB-2 …
roles: [hr, manager, it]
fields:
  - { key: fullName, type: text, required: true }
  - { key: startDate, type: date }
  - { key: contractType, type: select, options: [employee, contractor] }
documents:
  - { key: idCard, label: ID card, external: true }   # may come through the portal
stages:
  - key: documentation
    owner: hr
    sla: { goal: 2d, deadline: 3d, escalations: [{ after: 1d, do: [ { notify: { to: "role:hr" } } ] }] }
    exit: { fields: [fullName, startDate], documents: [idCard] }
    permissions: { act: [hr] }
  - { key: review, owner: manager }
  - { key: completed, terminal: true }
transitions:
  - { from: documentation, to: [review] }
automations:
  - on: stage.entered
    stage: documentation
    do: [{ email: { to: "participant:candidate", subject: "Documents for {{case.title}}" } }]
  - on: sla.deadline_missed
    do: [{ notify: { to: "role:manager" } }, { assign: { role: manager } }]
`;
    const result = validateTemplate(parseYaml(yaml));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // `on:` stays a string key under YAML 1.2 (it would be `true` under YAML 1.1).
    expect(result.template.automations.map((a) => a.on)).toEqual(['stage.entered', 'sla.deadline_missed']);
    expect(result.template.roles).toEqual(['hr', 'manager', 'it']);
    expect(result.template.fields[0]).toEqual({ key: 'fullName', type: 'text', required: true, external: false });
    expect(result.template.stages[1]).toEqual({ key: 'review', owner: 'manager', terminal: false, tasks: [] });
  });

  test('a minimal template gets every default', () => {
    const result = validateTemplate({ key: 'tiny', name: 'Tiny', stages: [{ key: 'a' }, { key: 'z', terminal: true }] });
    expect(result).toEqual({
      ok: true,
      template: {
        key: 'tiny',
        name: 'Tiny',
        roles: [],
        fields: [],
        documents: [],
        documentTemplates: [],
        automations: [],
        stages: [
          { key: 'a', terminal: false, tasks: [] },
          { key: 'z', terminal: true, tasks: [] },
        ],
      },
    });
  });

  test('YAML edge cases: empty exit mapping gets defaults, `tasks: all`, quoted and business durations', () => {
    const yaml = `
key: edge
name: "Edge: cases"
stages:
  - key: a
    exit: {}
    sla: { goal: "4h", deadline: 3 business days }
    tasks:
      - { key: t1, title: "Do it", due: 30m }
  - key: b
    exit: { tasks: all }
    tasks: [{ key: t2, title: Two }]
  - key: c
    terminal: true
`;
    const result = validateTemplate(parseYaml(yaml));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.template.stages[0]?.exit).toEqual({ fields: [], documents: [], approved: [], tasks: [] });
    expect(result.template.stages[0]?.sla).toEqual({ goal: '4h', deadline: '3 business days', escalations: [] });
    expect(result.template.stages[1]?.exit?.tasks).toBe('all');
    expect(result.template.name).toBe('Edge: cases');
  });

  test('YAML 1.1 booleans (`yes`) and numeric keys are reported with their path, not coerced', () => {
    const yaml = `
key: edge
name: Edge
fields:
  - { key: a, type: text, required: yes }
stages:
  - key: 2024
  - { key: z, terminal: true }
`;
    expect(paths(parseYaml(yaml)).sort()).toEqual(['fields[0].required', 'stages[0].key']);
  });

  test('an empty YAML section (`exit:` with nothing) is reported at its path rather than crashing', () => {
    const yaml = `
key: edge
name: Edge
stages:
  - key: a
    exit:
  - { key: z, terminal: true }
`;
    const result = validateTemplate(parseYaml(yaml));
    // Either treated as absent or reported precisely; never a throw or a path-less problem.
    if (!result.ok) expect(result.problems.map((p) => p.path)).toEqual(['stages[0].exit']);
  });

  test('non-object input is rejected, not thrown', () => {
    expect(validateTemplate(null).ok).toBe(false);
    expect(validateTemplate('key: x').ok).toBe(false);
    expect(validateTemplate([]).ok).toBe(false);
    expect(problemsOf(42)).toEqual([{ path: '', message: expect.any(String) }]);
  });

  test('helpers: defaultPrefix, findStage, stageIndex, stageName, formatPath', () => {
    expect(defaultPrefix('employee-onboarding')).toBe('EMP');
    expect(defaultPrefix('x')).toBe('X');
    expect(defaultPrefix('--')).toBe('CASE');
    const result = validateTemplate(base());
    if (!result.ok) throw new Error('base is invalid');
    expect(findStage(result.template, 'review')?.owner).toBe('manager');
    expect(findStage(result.template, 'nope')).toBeUndefined();
    expect(stageIndex(result.template, 'done')).toBe(2);
    expect(stageIndex(result.template, 'nope')).toBe(-1);
    expect(stageName({ key: 'k', terminal: false, tasks: [] })).toBe('k');
    expect(stageName({ key: 'k', name: 'Nice', terminal: false, tasks: [] })).toBe('Nice');
    expect(formatPath(['stages', 0, 'exit', 'fields', 2])).toBe('stages[0].exit.fields[2]');
    expect(formatPath([])).toBe('');
  });

  test('the base fixture is valid', () => {
    expect(validateTemplate(base()).ok).toBe(true);
  });
});

describe('validateTemplate: shape problems carry their path', () => {
  test.each([
    ['bad key characters', (t: ReturnType<typeof base>) => ((t.stages[1] as { key: string }).key = '1st stage'), 'stages[1].key'],
    ['unknown field type', (t: ReturnType<typeof base>) => ((t.fields![0] as { type: string }).type = 'bogus'), 'fields[0].type'],
    ['bad duration', (t: ReturnType<typeof base>) => ((t.stages[0] as Record<string, unknown>).sla = { goal: 'soon' }), 'stages[0].sla.goal'],
    ['missing name', (t: ReturnType<typeof base>) => delete (t as Record<string, unknown>).name, 'name'],
    ['lower-case prefix', (t: ReturnType<typeof base>) => (t.prefix = 'onb'), 'prefix'],
    ['unknown property on a stage', (t: ReturnType<typeof base>) => ((t.stages[2] as Record<string, unknown>).colour = 'red'), 'stages[2]'],
    ['unknown automation event', (t: ReturnType<typeof base>) => (t.automations = [{ on: 'nope' as never, do: [{ notify: { to: 'owner' } }] }]), 'automations[0].on'],
    ['empty transition targets', (t: ReturnType<typeof base>) => (t.transitions = [{ from: 'open', to: [] }]), 'transitions[0].to'],
    ['exit tasks neither `all` nor a list', (t: ReturnType<typeof base>) => ((t.stages[0] as Record<string, unknown>).exit = { tasks: 'some' }), 'stages[0].exit.tasks'],
  ])('%s', (_name, mutate, path) => {
    const t = base();
    mutate(t);
    expect(paths(t)).toContain(path);
  });

  test('several shape problems are all reported', () => {
    const t = base();
    (t.stages[1] as { key: string }).key = '1st';
    (t.fields![1] as { type: string }).type = 'bogus';
    t.prefix = 'x';
    expect(paths(t).sort()).toEqual(['fields[1].type', 'prefix', 'stages[1].key']);
  });
});

describe('validateTemplate: semantic problems carry their path', () => {
  type T = ReturnType<typeof base>;
  const stage = (t: T, i: number) => t.stages[i] as Record<string, unknown>;
  test.each<[string, (t: T) => void, string, RegExp]>([
    ['no stages', (t) => (t.stages = []), 'stages', /at least one stage/],
    ['no terminal stage', (t) => (stage(t, 2).terminal = false), 'stages', /terminal/],
    ['first stage terminal', (t) => (stage(t, 0).terminal = true), 'stages[0].terminal', /first stage/],
    ['unknown owner role', (t) => (stage(t, 1).owner = 'ceo'), 'stages[1].owner', /unknown role "ceo"/],
    ['unknown act role', (t) => (stage(t, 1).permissions = { act: ['hr', 'ceo'] }), 'stages[1].permissions.act[1]', /ceo/],
    ['unknown comment role', (t) => (stage(t, 1).permissions = { comment: ['ceo'] }), 'stages[1].permissions.comment[0]', /ceo/],
    ['unknown task role', (t) => (stage(t, 0).tasks = [{ key: 'x', title: 'X', assigneeRole: 'ceo' }]), 'stages[0].tasks[0].assigneeRole', /ceo/],
    ['unknown exit field', (t) => (stage(t, 0).exit = { fields: ['name', 'ghost'] }), 'stages[0].exit.fields[1]', /unknown field "ghost"/],
    ['unknown exit document', (t) => (stage(t, 0).exit = { documents: ['passport'] }), 'stages[0].exit.documents[0]', /unknown document slot "passport"/],
    ['unknown exit task', (t) => (stage(t, 0).exit = { tasks: ['check', 'sign'] }), 'stages[0].exit.tasks[1]', /unknown task "sign"/],
    ['exit task of another stage', (t) => (stage(t, 1).exit = { tasks: ['check'] }), 'stages[1].exit.tasks[0]', /unknown task "check"/],
    ['exit criteria on a terminal stage', (t) => (stage(t, 2).exit = { fields: ['name'] }), 'stages[2].exit', /terminal/],
    ['unknown stage in transition from', (t) => (t.transitions = [{ from: 'ghost', to: ['review'] }]), 'transitions[0].from', /unknown stage "ghost"/],
    ['unknown stage in transition to', (t) => (t.transitions = [{ from: 'open', to: ['review', 'ghost'] }]), 'transitions[0].to[1]', /unknown stage "ghost"/],
    ['transition to itself', (t) => (t.transitions = [{ from: 'open', to: ['open'] }]), 'transitions[0].to[0]', /itself/],
    ['two transition entries for one stage', (t) => (t.transitions = [{ from: 'open', to: ['review'] }, { from: 'open', to: ['done'] }]), 'transitions', /more than one/],
    ['select without options', (t) => (t.fields = [{ key: 's', type: 'select' }]), 'fields[0].options', /needs options/],
    ['multiselect without options', (t) => (t.fields = [{ key: 's', type: 'multiselect' }]), 'fields[0].options', /needs options/],
    ['options on a text field', (t) => (t.fields = [{ key: 's', type: 'text', options: ['a'] }]), 'fields[0].options', /only apply/],
    ['duplicate option', (t) => (t.fields = [{ key: 's', type: 'select', options: ['a', 'b', 'a'] }]), 'fields[0].options', /duplicate option "a"/],
    ['duplicate role', (t) => (t.roles = ['hr', 'manager', 'hr']), 'roles', /duplicate role "hr"/],
    ['automation on unknown stage', (t) => (t.automations = [{ on: 'stage.entered', stage: 'ghost', do: [{ notify: { to: 'owner' } }] }]), 'automations[0].stage', /ghost/],
    ['automation on unknown field', (t) => (t.automations = [{ on: 'field.changed', field: 'ghost', do: [{ notify: { to: 'owner' } }] }]), 'automations[0].field', /ghost/],
    ['document template title that does not compile', (t) => (t.documentTemplates = [{ key: 'offer', title: 'Offer {{#case}}', slot: 'id', body: 'x' }]), 'documentTemplates[0].title', /does not compile/],
    ['document template into a slot that refuses PDF', (t) => {
      t.documents = [{ key: 'photo', contentTypes: ['image/png'] }];
      t.documentTemplates = [{ key: 'offer', title: 'Offer', slot: 'photo', body: 'x' }];
    }, 'documentTemplates[0].slot', /application\/pdf/],
    ['automation on unknown document', (t) => (t.automations = [{ on: 'document.uploaded', document: 'ghost', do: [{ notify: { to: 'owner' } }] }]), 'automations[0].document', /ghost/],
  ])('%s', (_name, mutate, path, message) => {
    const t = base();
    mutate(t);
    const problems = problemsOf(t);
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  test.each([
    ['stages', (t: T) => t.stages.push({ key: 'open' }), ['stages[0].key', 'stages[3].key'], /duplicate stage key "open"/],
    ['fields', (t: T) => t.fields!.push({ key: 'name', type: 'number' }), ['fields[0].key', 'fields[2].key'], /duplicate field key "name"/],
    ['documents', (t: T) => t.documents!.push({ key: 'idCard' }), ['documents[0].key', 'documents[1].key'], /duplicate document slot key "idCard"/],
    ['stage tasks', (t: T) => stage(t, 0).tasks = [{ key: 'x', title: 'a' }, { key: 'x', title: 'b' }], ['stages[0].tasks[0].key', 'stages[0].tasks[1].key'], /duplicate task key "x"/],
  ])('duplicate %s keys are reported at every occurrence', (_name, mutate, expected, message) => {
    const t = base();
    mutate(t);
    const problems = problemsOf(t);
    for (const path of expected) expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  test('a stage with exit `tasks: all` and no declared tasks is fine', () => {
    const t = base();
    stage(t, 1).exit = { tasks: 'all' };
    expect(validateTemplate(t).ok).toBe(true);
  });

  test('many semantic problems are ALL reported in one result', () => {
    const t = base();
    t.roles = ['hr', 'manager', 'hr'];
    t.fields!.push({ key: 'name', type: 'text' }, { key: 'pick', type: 'select' });
    stage(t, 0).owner = 'ceo';
    stage(t, 0).exit = { fields: ['ghost'], documents: ['passport'], tasks: ['nope'] };
    stage(t, 1).permissions = { act: ['intern'] };
    stage(t, 2).terminal = false;
    t.transitions = [
      { from: 'nowhere', to: ['review'] },
      { from: 'open', to: ['open', 'elsewhere'] },
    ];
    t.automations = [{ on: 'stage.entered', stage: 'ghost', do: [{ notify: { to: 'owner' } }] }];
    expect(paths(t).sort()).toEqual(
      [
        'automations[0].stage',
        'fields[0].key',
        'fields[3].options',
        'fields[2].key',
        'roles',
        'stages',
        'stages[0].exit.documents[0]',
        'stages[0].exit.fields[0]',
        'stages[0].exit.tasks[0]',
        'stages[0].owner',
        'stages[1].permissions.act[0]',
        'transitions[0].from',
        'transitions[1].to[0]',
        'transitions[1].to[1]',
      ].sort(),
    );
  });

  test('a valid template in which only the role list is unused reports nothing', () => {
    const t = base();
    t.roles = ['hr', 'manager', 'unused'];
    expect(validateTemplate(t).ok).toBe(true);
  });

  // Unsure whether this is intended: when the shape is invalid anywhere, validateTemplate returns
  // only zod's problems and skips every semantic check (template-validation.ts, validateTemplate:
  // `if (!parsed.success) return …`). An author fixing a typo then discovers the unknown stage on
  // the next attempt, which is what "reports EVERY problem at once" is meant to prevent.
  test('shape and semantic problems are reported together', () => {
    const t = base();
    (t.fields![0] as { type: string }).type = 'bogus';
    t.transitions = [{ from: 'ghost', to: ['review'] }];
    expect(paths(t).sort()).toEqual(['fields[0].type', 'transitions[0].from']);
  });
});

describe('validateTemplate: complexity limits of the logic a template carries', () => {
  type T = ReturnType<typeof base>;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  /** `levels` objects nested in one another: `{a: {a: … 1}}`. */
  const nest = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  /** `levels` operations in one another: `!` around `!` … around a `var`. */
  const deepCondition = (levels: number): unknown => {
    let value: unknown = { var: 'fields.name' };
    for (let i = 1; i < levels; i++) value = { '!': value };
    return value;
  };
  /** `levels` of map inside map. */
  const iterations = (levels: number): unknown => {
    let value: unknown = { var: '' };
    for (let i = 0; i < levels; i++) value = { map: [[1, 2], value] };
    return value;
  };
  const withRule = (t: T, rule: Record<string, unknown>) => (t.automations = [{ on: 'comment.added', do: [{ advance: { to: 'review' } }], ...rule } as never]);
  const withAction = (t: T, action: Record<string, unknown>) => withRule(t, { do: [action] });
  const problemsAt = (t: T, path: string) => problemsOf(t).filter((p) => p.path === path).map((p) => p.message);
  const valid = (mutate: (t: T) => void) => {
    const t = base();
    mutate(t);
    return validateTemplate(t, { webhookAllowedHosts: ['hooks.example.com'] });
  };
  const invalid = (mutate: (t: T) => void) => {
    const t = base();
    mutate(t);
    const result = validateTemplate(t, { webhookAllowedHosts: ['hooks.example.com'] });
    if (result.ok) throw new Error('expected the template to be invalid');
    return result.problems;
  };

  test.each<[string, unknown, unknown, RegExp]>([
    ['depth', deepCondition(LOGIC.conditionDepth), deepCondition(LOGIC.conditionDepth + 1), /^condition nests 13 levels deep; at most 12$/],
    ['nodes', { and: range(LOGIC.conditionNodes - 1).map(() => true) }, { and: range(LOGIC.conditionNodes).map(() => true) }, /^condition has more than 200 operations and values$/],
    ['iteration nesting', iterations(LOGIC.conditionIterationNesting), iterations(LOGIC.conditionIterationNesting + 1), /^condition nests map\/filter\/reduce\/all\/some\/none 3 deep; at most 2$/],
  ])('condition %s: at the limit is fine, past it is a problem at the condition', (_what, atLimit, pastLimit, message) => {
    expect(valid((t) => withRule(t, { if: atLimit })).ok).toBe(true);
    const t = base();
    withRule(t, { if: pastLimit });
    expect(problemsAt(t, 'automations[0].if')).toEqual([expect.stringMatching(message)]);
  });

  test('literal lists count as levels and their items as nodes; an operation\'s own argument list does not', () => {
    // 11 nested `!` around an `in` whose list is one more level: 13 levels.
    let condition: unknown = { in: ['a', ['a', 'b']] };
    for (let i = 0; i < LOGIC.conditionDepth - 1; i++) condition = { '!': condition };
    expect(invalid((t) => withRule(t, { if: condition }))).toEqual([{ path: 'automations[0].if', message: expect.stringMatching(/nests 13 levels/) }]);
  });

  test('a condition within the static limits that runs past its step budget on the publish-time sample is a problem', () => {
    // 200 nodes (each list counts, with its 97 items), 2 iterations deep: 97 × 97 items to run through.
    const square = { map: [range(97), { map: [range(97), { var: '' }] }] };
    expect(invalid((t) => withRule(t, { if: square }))).toEqual([{ path: 'automations[0].if', message: `condition exceeded its budget of 10,000 steps` }]);
    const doubling = { reduce: [range(20), { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'x'] };
    expect(invalid((t) => withRule(t, { if: doubling }))).toEqual([{ path: 'automations[0].if', message: expect.stringMatching(/^condition built a string of 131,072 characters/) }]);
  });

  test.each<[string, (t: T, text: string) => void, string]>([
    ['e-mail body', (t, text) => withAction(t, { email: { to: 'owner', subject: 'Hi', body: text } }), 'automations[0].do[0].email.body'],
    ['notify body', (t, text) => withAction(t, { notify: { to: 'owner', body: text } }), 'automations[0].do[0].notify.body'],
    ['task description', (t, text) => withAction(t, { createTask: { title: 'Check', description: text } }), 'automations[0].do[0].createTask.description'],
    ['document body', (t, text) => (t.documentTemplates = [{ key: 'letter', title: 'Letter', slot: 'idCard', body: text }]), 'documentTemplates[0].body'],
  ])('%s: at most LOGIC.textTags tags and LOGIC.textSectionDepth nested sections', (_what, put, path) => {
    const tags = (n: number) => '{{case.key}}'.repeat(n);
    const sections = (n: number) => `${'{{#fields.kind}}'.repeat(n)}x${'{{/fields.kind}}'.repeat(n)}`;
    expect(valid((t) => put(t, tags(LOGIC.textTags))).ok).toBe(true);
    expect(valid((t) => put(t, sections(LOGIC.textSectionDepth))).ok).toBe(true);
    const t = base();
    put(t, tags(LOGIC.textTags + 1));
    expect(problemsAt(t, path)).toEqual(['text has 501 tags; at most 500']);
    const u = base();
    put(u, sections(LOGIC.textSectionDepth + 1));
    expect(problemsAt(u, path)).toEqual(['text nests sections 5 deep; at most 4']);
  });

  test('a task description is checked like every other text (it is rendered the same way)', () => {
    expect(invalid((t) => withAction(t, { createTask: { title: 'Check', description: 'For {{fields.ghost}} {{#x}}' } }))).toEqual([
      { path: 'automations[0].do[0].createTask.description', message: expect.stringMatching(/does not compile/) },
    ]);
  });

  test.each<[string, (t: T, value: unknown) => void, string]>([
    ['webhook payload', (t, v) => withAction(t, { webhook: { url: 'https://hooks.example.com/x', payload: v } }), 'automations[0].do[0].webhook.payload'],
    ['setField value', (t, v) => withAction(t, { setField: { field: 'name', value: v } }), 'automations[0].do[0].setField.value'],
    ['condition', (t, v) => withRule(t, { if: v }), 'automations[0].if'],
    [
      'escalation payload',
      (t, v) => ((t.stages[0] as Record<string, unknown>).sla = { deadline: '1d', escalations: [{ after: '1d', do: [{ webhook: { url: 'https://hooks.example.com/x', payload: v } }] }] }),
      'stages[0].sla.escalations[0].do[0].webhook.payload',
    ],
  ])('JSON in a %s nests at most LOGIC.jsonDepth levels, counted from where it starts', (_what, put, path) => {
    const atLimit = valid((t) => put(t, { nested: nest(LOGIC.jsonDepth - 1) }));
    expect(atLimit.ok ? [] : atLimit.problems.filter((p) => /nests more than/.test(p.message))).toEqual([]);
    expect(invalid((t) => put(t, { nested: nest(LOGIC.jsonDepth) }))).toEqual([
      { path, message: `nests more than ${LOGIC.jsonDepth} levels deep; JSON in a template may nest at most ${LOGIC.jsonDepth} levels` },
    ]);
  });

  test('a 30,000-deep webhook payload is a problem, not a stack overflow', () => {
    const problems = invalid((t) => withAction(t, { webhook: { url: 'https://hooks.example.com/x', payload: { deep: nest(30_000) } } }));
    expect(problems).toEqual([{ path: 'automations[0].do[0].webhook.payload', message: expect.stringMatching(/nests more than 20 levels/) }]);
  });

  test('deep nesting anywhere else, and a value that contains itself (YAML aliases can), are problems too', () => {
    const deep = invalid((t) => ((t as Record<string, unknown>).description = nest(30_000)));
    expect(deep).toHaveLength(1);
    expect(deep[0]!.path).toBe(`description${'.a'.repeat(LOGIC.jsonDepth - 1)}`);
    const cyclic = parseYaml('key: simple\nname: Simple\nstages: &s [{ key: a, terminal: true, x: *s }]\n');
    expect(problemsOf(cyclic)).toEqual([{ path: expect.stringMatching(/^stages\[0\]\.x/), message: expect.stringMatching(/nests more than 20 levels/) }]);
  });

  test('a definition over BYTES.template is a problem at the root, found before anything else walks it', () => {
    const t = base();
    t.description = 'x'.repeat(5000);
    t.fields = range(100).map((i) => ({ key: `f${i}`, type: 'text', description: 'd'.repeat(2000), label: 'l'.repeat(200) }));
    (t.fields[0] as { type: string }).type = 'bogus'; // a shape problem is not reported: the size is
    expect(jsonBytes(t)).toBeGreaterThan(BYTES.template);
    expect(problemsOf(t)).toEqual([{ path: '', message: 'the template is larger than 192 KiB as JSON' }]);
  });

  test('one list referenced many times (YAML aliases) counts every time, without being turned into text', () => {
    const roles = range(5_000).map((i) => `role${i}`);
    const t = { ...base(), documents: range(10_000).map(() => ({ key: 'd', contentTypes: roles })) };
    expect(problemsOf(t)).toEqual([{ path: '', message: 'the template is larger than 192 KiB as JSON' }]);
  });

  test('defaults count: a definition that only grows past BYTES.template with its defaults is refused', () => {
    // 200 fields (the most a template may have), sized to end just under the budget before
    // `required: false, external: false` are added to each.
    const t = base();
    const fields = (n: number) => range(200).map((i) => ({ key: `f${i}`, type: 'text' as const, description: 'd'.repeat(n) }));
    // each character of description adds 200 bytes (one per field)
    t.fields = fields(Math.floor((BYTES.template - 1_000 - jsonBytes({ ...t, fields: fields(0) })) / 200));
    expect(jsonBytes(t)).toBeLessThan(BYTES.template);
    expect(problemsOf(t)).toEqual([{ path: '', message: expect.stringMatching(/^the template is \d+(\.\d)? KiB with its defaults; at most 192 KiB$/) }]);
  });
});
