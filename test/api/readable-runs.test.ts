/**
 * A case run reads in the Temporal UI without opening payloads: each command's update is named
 * after its type, activities and timers carry summaries, and the run's current details (stage,
 * owner, due, open tasks) follow the case — without field values, names or e-mail addresses.
 */
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadCodecOf } from '../../temporal/data-converter';
import { caseWorkflowId } from '../../workflows/messages';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  // A short projection grace, so the case's own write of what callers left (and the SLA timer set after it) happen within the test.
  stack = await startTestStack({ env: { PROJECTION_GRACE_MS: '2000' } });
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate({ key: 'readable', prefix: 'RDB' }))).status).toBe(201);
}, 60_000);
afterAll(() => stack?.close());

/** Summaries are payloads, encrypted like every other: read as the Temporal UI reads them, through the codec. */
const summariesOf = (events: temporal.api.history.v1.IHistoryEvent[]): Promise<Array<string | undefined>> =>
  Promise.all(
    events.map(async (event) => {
      const payload = event.userMetadata?.summary;
      if (!payload) return undefined;
      const [decoded] = await payloadCodecOf(stack.config).decode([payload as never]);
      return defaultPayloadConverter.fromPayload(decoded!) as string;
    }),
  );

test('updates are named after their command, activities and timers are summarised, current details follow the case', async () => {
  const started = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({
    template: 'readable',
    title: 'Onboard Zoë',
    fields: { fullName: 'Zoë Secret-Name', salary: 91_234 },
    participants: [{ kind: 'external', role: 'candidate', name: 'Zoë Secret-Name', email: 'zoe.private@example.com' }],
  });
  expect(started.status).toBe(201);
  const key = started.body.id as string;
  const handle = stack.client.workflow.getHandle(caseWorkflowId(key));
  const historyWith = (prefixes: string[]) =>
    eventually(async () => {
      const history = (await handle.fetchHistory()).events ?? [];
      const summaries = await summariesOf(history);
      return prefixes.every((prefix) => summaries.some((s) => s?.startsWith(prefix))) ? history : undefined;
    }, 30_000);
  // The welcome e-mail (an automation on entering "documentation") has run and been projected.
  await historyWith(['email:', 'projectCase']);
  // Commands after it leave their events to the API: the case waits its grace (2 s here) for them,
  // then writes what is left and sets the timer of the SLA goal.
  expect((await stack.http().patch(`/v1/cases/${key}/fields`).set(auth(stack.tokens.hr)).send({ startDate: '2027-01-04' })).status).toBe(200);
  expect((await stack.http().post(`/v1/cases/${key}/tasks`).set(auth(stack.tokens.hr)).send({ title: 'Order a laptop', assignee: 'ivan', dueAt: '2030-01-05T09:00:00Z' })).status).toBe(200);
  const events = await historyWith(['email:', 'projectCase', 'grace over', 'SLA goal']);

  const updates = events.flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name] : []));
  expect(updates).toEqual(['opened', 'setFields', 'createTask']);

  const activities = await summariesOf(events.filter((e) => e.activityTaskScheduledEventAttributes));
  expect(activities.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
  expect(activities).toContain('email: Request documents to participant P-1');
  expect(activities.some((s) => new RegExp(`^projectCase ${key} seq \\d+(–\\d+)?$`).test(s!))).toBe(true);

  const timers = await summariesOf(events.filter((e) => e.timerStartedEventAttributes));
  expect(timers.length).toBeGreaterThan(0);
  expect(timers.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
  expect(timers).toEqual(expect.arrayContaining(['grace over: project what callers left', 'SLA goal: documentation']));

  // A case started by the API asks no patch: no marker, and no `TemporalChangeVersion` upsert with it.
  expect(events.some((e) => e.markerRecordedEventAttributes)).toBe(false);
  expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion)).toEqual([]);

  // What the UI shows as the run's current details (the SDK's built-in metadata query).
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toContain(`**${key}**`);
  expect(metadata.currentDetails).toContain('**Stage** Documentation (`documentation`)');
  expect(metadata.currentDetails).toContain('**Open tasks** 1: T-1 → ivan, due 2030-01-05T09:00:00.000Z');
  // None of it carries what the case holds about people.
  const visible = JSON.stringify([updates, activities, timers, metadata.currentDetails]);
  for (const secret of ['Secret-Name', 'zoe.private', '91234', 'Onboard Zo']) expect(visible).not.toContain(secret);
});
