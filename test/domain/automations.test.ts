import { MAX_AUTOMATION_DEPTH, react } from '../../domain/automations';
import type { CaseEvent } from '../../domain/events';
import { type TemplateDefinitionInput } from '../../domain/template';
import { templateDefinitionSchema } from '../../domain/schemas/template';
import { actors, parseTemplate, TestCase } from './helpers';

const base: TemplateDefinitionInput = {
  key: 'claims',
  name: 'Claims',
  roles: ['agent', 'lead'],
  fields: [
    { key: 'amount', type: 'number' },
    { key: 'clientEmail', type: 'email' },
    { key: 'priority', type: 'select', options: ['low', 'high'] },
    { key: 'counter', type: 'number' },
  ],
  documents: [{ key: 'claimForm' }],
  documentTemplates: [{ key: 'receipt', title: 'Receipt', slot: 'claimForm', body: 'Received {{case.title}}' }],
  stages: [{ key: 'triage' }, { key: 'assess' }, { key: 'done', terminal: true }],
};

/** `unchecked` skips publish-time validation, to see what the engine does with what validation would refuse. */
function setup(automations: TemplateDefinitionInput['automations'], extra: Partial<TemplateDefinitionInput> = {}, unchecked = false) {
  const input = { ...base, ...extra, automations };
  const template = unchecked ? templateDefinitionSchema.parse(input) : parseTemplate(input);
  const c = new TestCase(template, { owner: 'olaf', participants: [{ kind: 'internal', role: 'lead', name: 'Lena Lead', userId: 'lena', email: 'lena@example.com' }] }, 'CLM-1');
  /** Sends a command and lets automations react, as the workflow does. */
  const send = (command: Parameters<TestCase['ok']>[0]) => {
    const events = c.ok(command, actors.admin);
    const reaction = react(c.state, template, events, c.peek());
    c.state = reaction.state;
    c.events.push(...reaction.events);
    return reaction;
  };
  return { template, c, send };
}

const summary = (events: CaseEvent[]) => events.map((e) => (e.type.startsWith('automation.') ? `${e.type}:${(e.data as { rule: string }).rule}` : e.type));

describe('automation rules', () => {
  test('a matching rule runs its actions in order; the run is on the timeline before what it did', () => {
    const { send } = setup([
      { on: 'field.changed', field: 'priority', if: { '==': [{ var: 'fields.priority' }, 'high'] }, do: [{ advance: { to: 'assess' } }, { assign: { role: 'lead' } }] },
    ]);
    const low = send({ type: 'setFields', values: { priority: 'low' } });
    expect(low.events).toEqual([]);
    const high = send({ type: 'setFields', values: { priority: 'high' } });
    expect(summary(high.events)).toEqual(['automation.ran:automations[0]', 'stage.exited', 'stage.entered', 'owner.assigned']);
    expect(high.events.every((e) => e.actor.kind === 'system')).toBe(true);
    expect(high.events[0]?.data).toMatchObject({ on: 'field.changed', actions: ['advance', 'assign'] });
  });

  test('filters: stage, field, document and decision', () => {
    const { send } = setup([
      { on: 'stage.entered', stage: 'done', do: [{ setField: { field: 'counter', value: 1 } }] },
      { on: 'decision.recorded', decision: 'approve', do: [{ setField: { field: 'counter', value: 2 } }] },
      { on: 'field.changed', field: 'amount', do: [{ setField: { field: 'counter', value: 3 } }] },
    ]);
    expect(send({ type: 'advance', to: 'assess' }).events).toEqual([]);
    expect(send({ type: 'recordDecision', decision: 'deny', justification: 'x' }).events).toEqual([]);
    expect(summary(send({ type: 'recordDecision', decision: 'approve', justification: 'x' }).events)).toEqual(['automation.ran:automations[1]', 'field.changed']);
    expect(summary(send({ type: 'setFields', values: { amount: 5 } }).events)).toEqual(['automation.ran:automations[2]', 'field.changed']);
  });

  test('a failing action is recorded with its reason and does not stop the next one', () => {
    const { send, c } = setup([
      { on: 'comment.added', do: [{ advance: { to: 'done' } }, { setField: { field: 'counter', value: 7 } }] },
    ], { stages: [{ key: 'triage', exit: { fields: ['amount'] } }, { key: 'assess' }, { key: 'done', terminal: true }] });
    const r = send({ type: 'comment', text: 'hello' });
    expect(summary(r.events)).toEqual(['automation.ran:automations[0]', 'automation.failed:automations[0]', 'field.changed']);
    expect(r.events[1]?.data).toMatchObject({ action: 'advance', reason: expect.stringMatching(/^transition_not_allowed: .*amount/) });
    expect(c.state.fields.counter).toBe(7);
  });

  test('a condition that cannot be evaluated is an automation failure, not an exception', () => {
    const { send } = setup([{ on: 'comment.added', if: { nope: [1] }, do: [{ setField: { field: 'counter', value: 1 } }] }], {}, true);
    const r = send({ type: 'comment', text: 'x' });
    expect(summary(r.events)).toEqual(['automation.failed:automations[0]']);
    expect(r.events[0]?.data).toMatchObject({ reason: expect.stringMatching(/condition failed/) });
  });

  test('rules that trigger rules stop at the depth limit, and the timeline says why', () => {
    // Each change of `priority` changes it back: an endless chain without the limit.
    const loop = setup([
      { on: 'field.changed', field: 'priority', if: { '==': [{ var: 'fields.priority' }, 'low'] }, do: [{ setField: { field: 'priority', value: 'high' } }] },
      { on: 'field.changed', field: 'priority', if: { '==': [{ var: 'fields.priority' }, 'high'] }, do: [{ setField: { field: 'priority', value: 'low' } }] },
    ]);
    const r = loop.send({ type: 'setFields', values: { priority: 'low' } });
    const ran = r.events.filter((e) => e.type === 'automation.ran');
    expect(ran).toHaveLength(MAX_AUTOMATION_DEPTH);
    const stopped = r.events.at(-1)!;
    expect(stopped.type).toBe('automation.failed');
    expect(stopped.data).toMatchObject({ reason: expect.stringMatching(/depth limit/) });
  });

  test('e-mail, notify, webhook and document actions become effects with keys from case, event seq and action index', () => {
    const { send } = setup(
      [
        {
          on: 'stage.entered',
          stage: 'assess',
          do: [
            { email: { to: ['role:lead', 'field:clientEmail', 'ops@example.com'], subject: 'Claim {{case.key}}', body: 'Hello {{recipient.name}}' } },
            { notify: { to: 'role:lead' } },
            { webhook: { url: 'https://hooks.example.com/claims' } },
            { generateDocument: { template: 'receipt' } },
          ],
        },
      ],
      {},
      true, // the webhook host is checked against the deployment's allowlist at publish time
    );
    send({ type: 'setFields', values: { clientEmail: 'client@example.org' } });
    const r = send({ type: 'advance', to: 'assess' });
    const ran = r.events.find((e) => e.type === 'automation.ran')!;
    const keys = r.effects.map((e) => [e.kind, e.key]);
    expect(keys).toEqual([
      ['email', `CLM-1:${ran.seq}:0:0`],
      ['email', `CLM-1:${ran.seq}:0:1`],
      ['email', `CLM-1:${ran.seq}:0:2`],
      ['notify', `CLM-1:${ran.seq}:1:0`],
      ['webhook', `CLM-1:${ran.seq}:2`],
      ['generateDocument', `CLM-1:${ran.seq}:3`],
    ]);
    const emails = r.effects.filter((e) => e.kind === 'email');
    expect(emails.map((e) => e.kind === 'email' && e.to.email)).toEqual(['lena@example.com', 'client@example.org', 'ops@example.com']);
    expect(r.effects[0]).toMatchObject({ ref: { rule: 'automations[0]', trigger: expect.any(Number) }, context: { case: { key: 'CLM-1' }, stage: { key: 'assess' } } });
  });

  test('recipients that resolve to nobody fail the action', () => {
    const { send } = setup([{ on: 'comment.added', do: [{ email: { to: 'role:agent', subject: 'x' } }, { email: { to: 'field:clientEmail', subject: 'y' } }] }]);
    const r = send({ type: 'comment', text: 'x' });
    expect(r.effects).toEqual([]);
    expect(r.events.filter((e) => e.type === 'automation.failed').map((e) => (e.data as { reason: string }).reason)).toEqual([
      'no internal participant has role "agent"',
      'field "clientEmail" holds no e-mail address',
    ]);
  });

  test('created tasks get a rendered title and a due date', () => {
    const { send, c } = setup([{ on: 'stage.entered', stage: 'assess', do: [{ createTask: { title: 'Assess {{case.title}}', due: '2h', assigneeRole: 'agent' } }] }]);
    send({ type: 'advance', to: 'assess' });
    const task = Object.values(c.state.tasks).at(-1)!;
    expect(task.title).toBe('Assess John Doe onboarding');
    expect(task.assigneeRole).toBe('agent');
    expect(Date.parse(task.dueAt!) - Date.parse(c.events.find((e) => e.type === 'task.created')!.at)).toBe(2 * 3_600_000);
  });
});

describe('automation rules within their run-time budgets', () => {
  const options = Array.from({ length: 200 }, (_, i) => `option-${String(i).padStart(3, '0')}`);
  const withTags = { fields: [...base.fields!, { key: 'tags', type: 'multiselect' as const, options }] };

  test('a condition cheap on the publish-time sample that explodes on real data fails the rule, and only that', () => {
    // 2 iterations deep and 109 nodes: within the static limits, and nothing to iterate at publish.
    const explosive = { some: [{ var: 'fields.tags' }, { some: [Array.from({ length: 100 }, (_, i) => i), { '==': [{ var: '' }, -1] }] }] };
    const { template, c, send } = setup([{ on: 'field.changed', field: 'tags', if: explosive, do: [{ setField: { field: 'counter', value: 1 } }] }], withTags);
    expect(send({ type: 'setFields', values: { tags: options.slice(0, 3) } }).events).toEqual([]);

    const events = c.ok({ type: 'setFields', values: { tags: options } }, actors.admin);
    const before = c.state;
    const reaction = react(before, template, events, c.peek());
    expect(summary(reaction.events)).toEqual(['automation.failed:automations[0]']);
    expect(reaction.events[0]?.data).toEqual({ rule: 'automations[0]', trigger: events[0]!.seq, reason: 'condition failed: condition exceeded its budget of 10,000 steps' });
    expect(reaction.effects).toEqual([]);
    // The case is as the command left it, but for the failure on its timeline.
    expect({ ...reaction.state, lastSeq: before.lastSeq, updatedAt: before.updatedAt }).toEqual(before);
    expect(reaction.state.lastSeq).toBe(before.lastSeq + 1);
  });

  test('a condition that builds too long a value fails the rule with the reason', () => {
    const doubling = { reduce: [{ var: 'fields.tags' }, { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'x'] };
    const { send } = setup([{ on: 'field.changed', field: 'tags', if: doubling, do: [{ setField: { field: 'counter', value: 1 } }] }], withTags);
    const r = send({ type: 'setFields', values: { tags: options.slice(0, 20) } });
    expect(summary(r.events)).toEqual(['automation.failed:automations[0]']);
    expect(r.events[0]?.data).toMatchObject({ reason: 'condition failed: condition built a string of 131,072 characters; at most 65,536' });
  });

  test('a task title rendered past its budget fails that action, and the next action still runs', () => {
    const title = '{{#fields.tags}}{{#fields.tags}}{{.}}{{/fields.tags}}{{/fields.tags}}';
    const { send, c } = setup([{ on: 'field.changed', field: 'tags', do: [{ createTask: { title } }, { setField: { field: 'counter', value: 7 } }] }], withTags);
    const tasks = Object.keys(c.state.tasks).length;
    const r = send({ type: 'setFields', values: { tags: options } });
    expect(summary(r.events)).toEqual(['automation.ran:automations[0]', 'automation.failed:automations[0]', 'field.changed']);
    expect(r.events[1]?.data).toMatchObject({ action: 'createTask', reason: 'task title: text exceeded its budget of 262,144 characters' });
    expect(Object.keys(c.state.tasks)).toHaveLength(tasks);
    expect(c.state.fields.counter).toBe(7);
    // Over a short list the same title renders.
    send({ type: 'setFields', values: { tags: options.slice(0, 2) } });
    expect(Object.values(c.state.tasks).at(-1)?.title).toBe('option-000option-001option-000option-001');
  });
});
