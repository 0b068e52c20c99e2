/**
 * The budgets inside a running case, on a real worker: a rule whose condition is cheap at publish
 * but explodes on the case's data fails as `automation.failed` (the case keeps answering, no
 * workflow task fails); a signal over the command budget or naming an unknown field becomes a small
 * `command.rejected`; an update over a budget is refused before anything is written. The history is
 * recorded (RECORD_HISTORIES=1) for the replay test: the first run with the `case-budgets` patch.
 */
import { temporal } from '@temporalio/proto';
import { TEXT } from '../../domain/limits';
import { caseWorkflowId, commandSignal } from '../../workflows/messages';
import { recordHistory } from '../support/histories';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { testTemporalAddress } from '../support/temporal';

const EventType = temporal.api.enums.v1.EventType;
let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const options = Array.from({ length: 200 }, (_, i) => `option-${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  stack = await startTestStack();
  const template = {
    key: 'budgets',
    name: 'Budgets',
    prefix: 'BUD',
    roles: ['hr'],
    fields: [
      { key: 'tags', type: 'multiselect', options },
      { key: 'counter', type: 'number' },
      { key: 'note', type: 'longtext' },
    ],
    stages: [{ key: 'open', sla: { deadline: '2h' } }, { key: 'done', terminal: true }],
    automations: [
      // Two iterations deep, 109 nodes: within the static limits, nothing to iterate at publish;
      // over 200 tags it would take 20,000 steps.
      {
        name: 'explosive',
        on: 'field.changed',
        field: 'tags',
        if: { some: [{ var: 'fields.tags' }, { some: [Array.from({ length: 100 }, (_, i) => i), { '==': [{ var: '' }, -1] }] }] },
        do: [{ setField: { field: 'counter', value: 1 } }],
      },
      { name: 'count comments', on: 'comment.added', do: [{ setField: { field: 'counter', value: 2 } }] },
    ],
  };
  const published = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(template);
  expect(published.status).toBe(201);
});
afterAll(() => stack?.close());

test('budgets inside a running case: failures on the timeline, never a failed workflow task', async () => {
  const created = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'budgets', title: 'Budgets', owner: 'hana' });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const handle = stack.client.workflow.getHandle(caseWorkflowId(id));

  // The explosive rule fails on the real data, with its reason; the command itself is applied.
  const tagged = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send({ tags: options });
  expect(tagged.status).toBe(200);
  expect(tagged.body.events.map((e: { type: string }) => e.type)).toEqual(['field.changed', 'automation.failed']);
  expect(tagged.body.events[1].data.reason).toBe('condition failed: condition exceeded its budget of 10,000 steps');

  // An update over a budget is refused before anything is written: no update reaches the history.
  const updates = async () => ((await handle.fetchHistory()).events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length;
  const before = await updates();
  const huge = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send({ note: '案'.repeat(TEXT.longtextField + 2_000), counter: 5 });
  expect(huge.status).toBe(413);
  expect(await updates()).toBe(before);

  // Signals sent around the API: too large, and malformed — each a small command.rejected.
  const actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' as const };
  await handle.signal(commandSignal, { requestId: 'too-big', actor, command: { type: 'comment', text: 'x'.repeat(66_000) } } as never);
  await handle.signal(commandSignal, { requestId: 'unknown-field', actor, command: { type: 'setFields', values: { nope: 1 } } });
  const comment = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).send({ text: 'after the refusals' });
  expect(comment.status).toBe(200);

  const rejected = await eventually(async () => {
    const res = await stack.http().get(`/v1/cases/${id}/timeline?type=command.rejected`).set(auth(stack.tokens.hr));
    return res.body.items?.length === 2 ? res.body.items : undefined;
  });
  expect(rejected.map((e: { data: { code: string; requestId: string } }) => [e.data.requestId, e.data.code])).toEqual([
    ['too-big', 'command_too_large'],
    ['unknown-field', 'invalid_fields'],
  ]);
  for (const e of rejected) expect(JSON.stringify(e).length).toBeLessThan(1500);

  const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
  expect(view.fields.counter).toBe(2);
  const history = await handle.fetchHistory();
  expect((history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length).toBe(0);

  await stack.http().post(`/v1/cases/${id}/advance`).set(auth(stack.tokens.hr)).send({ to: 'done' });
  await recordHistory(testTemporalAddress(), caseWorkflowId(id), undefined, 'case-budgets');
});
