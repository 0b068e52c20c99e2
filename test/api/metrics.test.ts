/**
 * Business metrics against a real stack (API, worker, dev server, PostgreSQL): real commands,
 * SLA timers, automations and their e-mail and webhook effects, the portal — then the counters
 * at /metrics must have moved by exactly what happened, with the right labels, and every event on
 * the cases' timelines must have been counted exactly once, whichever process stored it.
 */
import { createPortalLink } from '../../db/portal-links';
import type { CaseEvent } from '../../domain/events';
import { caseWorkflowId } from '../../workflows/messages';
import { startFakeResend, type FakeResend } from '../support/fake-resend';
import { delta, Scrape } from '../support/prometheus';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let resend: FakeResend;
let receiver: WebhookReceiver;
const started: string[] = [];

beforeAll(async () => {
  resend = await startFakeResend();
  receiver = await startWebhookReceiver();
  // A 2 s projection grace: the case writes again, within the test, what callers wrote (counted once).
  stack = await startTestStack({ env: { RESEND_API_KEY: resend.apiKey, RESEND_BASE_URL: resend.url, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_SECRET: 'test-secret', PROJECTION_GRACE_MS: '2000' } });
});

afterAll(async () => {
  await Promise.all(started.map((key) => stack.client.workflow.getHandle(caseWorkflowId(key)).terminate('test file finished').catch(() => undefined)));
  await stack?.close();
  await resend?.close();
  await receiver?.close();
});

const auth = () => ({ Authorization: `Bearer ${stack.tokens.admin}` });
const post = (path: string, body: object, headers: Record<string, string> = {}) => stack.http().post(path).set(auth()).set(headers).send(body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scrape(): Promise<Scrape> {
  const res = await stack.http().get('/metrics').set(auth());
  expect(res.status).toBe(200);
  return new Scrape(res.text);
}

async function publish(definition: object) {
  const res = await post('/v1/templates', definition);
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
}

async function start(template: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await post('/v1/cases', { template, title: `Metrics ${started.length + 1}`, ...body });
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
  started.push(res.body.id);
  return res.body.id as string;
}

async function timeline(caseKey: string): Promise<CaseEvent[]> {
  const res = await stack.http().get(`/v1/cases/${caseKey}/timeline?limit=500`).set(auth());
  expect(res.status).toBe(200);
  return res.body.items as CaseEvent[];
}

const has = (events: CaseEvent[], type: string, n = 1) => events.filter((e) => e.type === type).length >= n;

test('cases, commands, SLA misses, automations, deliveries and portal use are counted once, with their labels', async () => {
  await publish({
    key: 'met-life',
    name: 'Metrics life',
    prefix: 'MTL',
    roles: ['agent'],
    fields: [{ key: 'clientEmail', type: 'email' }],
    stages: [
      { key: 'intake', exit: { fields: ['clientEmail'] }, sla: { goal: '1s', deadline: '2s', escalations: [{ after: '1s' }] } },
      { key: 'review' },
      { key: 'done', terminal: true },
    ],
    automations: [
      // Refused while clientEmail is missing: an automation failure of the `advance` action.
      { on: 'comment.added', do: [{ advance: { to: 'review' } }] },
      {
        on: 'stage.entered',
        stage: 'review',
        do: [
          { email: { to: 'field:clientEmail', subject: 'Review of {{case.title}}', body: '<p>Under review</p>' } },
          { webhook: { url: `${receiver.url}/hooks`, payload: { source: 'metrics' } } },
        ],
      },
    ],
  });
  await publish({ key: 'met-plain', name: 'Metrics plain', prefix: 'MTP', roles: ['agent', 'client'], stages: [{ key: 'open' }, { key: 'done', terminal: true }] });
  const before = await scrape();

  // A case whose SLA clock runs out in its first stage: goal, deadline and one escalation level.
  const life = await start('met-life');
  expect((await post(`/v1/cases/${life}/comments`, { text: 'first look' })).status).toBe(200);
  await eventually(async () => has(await timeline(life), 'sla.escalated'), 20_000, 'the escalation');
  // Open and overdue in its stage, counted from the read model at scrape time.
  await eventually(async () => (await scrape()).value('cases_overdue', { template: 'met-life', stage: 'intake' }) === 1, 10_000, 'the overdue gauge');
  expect((await scrape()).value('cases_open', { template: 'met-life', stage: 'intake' })).toBe(1);

  // Into review: the rule sends an e-mail (Resend fails once with a 500) and a webhook (503 once).
  resend.failNext({ kind: 'refuse', status: 500, name: 'internal_server_error' });
  receiver.answerNext(503);
  expect((await stack.http().patch(`/v1/cases/${life}/fields`).set(auth()).send({ clientEmail: 'client@example.org' })).status).toBe(200);
  expect((await post(`/v1/cases/${life}/advance`, { to: 'nowhere' })).body.code).toBe('unknown_stage');
  expect((await post(`/v1/cases/${life}/advance`, { to: 'review' })).status).toBe(200);
  await eventually(async () => {
    const events = await timeline(life);
    return has(events, 'email.sent') && has(events, 'webhook.delivered');
  }, 30_000, 'the e-mail and the webhook');
  expect((await post(`/v1/cases/${life}/close`, { reason: 'reviewed' })).status).toBe(200);
  expect((await post(`/v1/cases/${life}/close`, { reason: 'again' })).body.code).toBe('case_not_open');

  // A second case: an asynchronous command, the portal, a bulk comment, then a cancellation.
  const plain = await start('met-plain', { participants: [{ kind: 'external', role: 'client', name: 'Cleo Client', email: 'cleo@example.org' }] });
  expect((await post(`/v1/cases/${plain}/comments`, { text: 'later' }, { Prefer: 'respond-async' })).status).toBe(202);
  const link = await post(`/v1/cases/${plain}/portal-links`, { participantId: 'P-1' });
  expect(link.status).toBe(201);
  expect((await stack.http().get(`/portal/${link.body.token}`)).status).toBe(200);
  expect((await stack.http().get('/portal/cpt_not-a-link')).status).toBe(404);
  const expired = await createPortalLink(stack.db, { caseKey: plain, participantId: 'P-1', createdBy: 'test', ttlMs: 1 });
  await sleep(5);
  expect((await stack.http().get(`/portal/${expired.token}`)).status).toBe(410);
  await eventually(async () => has(await timeline(plain), 'comment.added'), 10_000, 'the signalled comment');
  // A bulk action: its worker-side activity sends the commands and writes their answers; counted there.
  const bulk = await post('/v1/bulk', { action: 'comment', params: { text: 'bulk hello' }, caseIds: [plain, 'MTP-999'] });
  expect(bulk.status).toBe(202);
  await eventually(async () => (await stack.http().get(`/v1/bulk/${bulk.body.id}`).set(auth())).body.status === 'completed', 30_000, 'the bulk action');
  await eventually(async () => has(await timeline(plain), 'comment.added', 2), 10_000, 'the bulk comment');
  expect((await post(`/v1/cases/${plain}/cancel`, { reason: 'not needed' })).status).toBe(200);

  // Every fact has reached the read model; then past the workflow's projection grace (2 s), when it
  // writes again what callers wrote, nothing may be counted twice.
  await eventually(async () => has(await timeline(plain), 'case.cancelled') && has(await timeline(life), 'case.closed'), 10_000, 'the last events');
  await sleep(3000);
  const after = await scrape();
  const moved = (name: string, labels: Record<string, string> = {}) => delta(before, after, name, labels);

  // Timeline facts, by template (and stage).
  expect(moved('cases_started_total', { template: 'met-life' })).toBe(1);
  expect(moved('cases_started_total', { template: 'met-plain' })).toBe(1);
  expect(moved('cases_closed_total', { template: 'met-life' })).toBe(1);
  expect(moved('cases_cancelled_total', { template: 'met-plain' })).toBe(1);
  expect(moved('cases_cancelled_total', { template: 'met-life' })).toBe(0);
  expect(moved('case_sla_clocks_started_total', { template: 'met-life', stage: 'intake' })).toBe(1);
  expect(moved('case_sla_goal_missed_total', { template: 'met-life', stage: 'intake' })).toBe(1);
  expect(moved('case_sla_deadline_missed_total', { template: 'met-life', stage: 'intake' })).toBe(1);
  expect(moved('case_sla_escalations_total', { template: 'met-life', stage: 'intake' })).toBe(1);
  expect(moved('case_automation_runs_total', { template: 'met-life' })).toBe(2);
  expect(moved('case_automation_actions_total', { template: 'met-life', action: 'advance' })).toBe(1);
  expect(moved('case_automation_actions_total', { template: 'met-life', action: 'email' })).toBe(1);
  expect(moved('case_automation_actions_total', { template: 'met-life', action: 'webhook' })).toBe(1);
  expect(moved('case_automation_failures_total', { template: 'met-life', action: 'advance' })).toBe(1);
  expect(moved('case_automation_failures_total')).toBe(1);

  // Each event of both timelines counted once, by one writer or the other, with its lag.
  const events = [...(await timeline(life)), ...(await timeline(plain))];
  expect(moved('case_events_recorded_total')).toBe(events.length);
  for (const type of new Set(events.map((e) => e.type))) {
    expect({ type, counted: moved('case_events_recorded_total', { type }) }).toEqual({ type, counted: events.filter((e) => e.type === type).length });
  }
  expect(moved('case_projection_lag_seconds_count')).toBe(events.length);
  expect(moved('case_projection_lag_seconds_count', { writer: 'api' })).toBeGreaterThan(0);
  expect(moved('case_projection_lag_seconds_count', { writer: 'worker' })).toBeGreaterThan(0);

  // Commands by type and outcome, refusals by problem code.
  expect(moved('case_commands_total', { command: 'comment', outcome: 'applied', code: '' })).toBe(2);
  expect(moved('case_commands_total', { command: 'comment', outcome: 'rejected', code: 'case_not_found' })).toBe(1);
  expect(moved('case_commands_total', { command: 'comment', outcome: 'accepted', code: '' })).toBe(1);
  expect(moved('case_commands_total', { command: 'setFields', outcome: 'applied' })).toBe(1);
  expect(moved('case_commands_total', { command: 'advance', outcome: 'applied' })).toBe(1);
  expect(moved('case_commands_total', { command: 'advance', outcome: 'rejected', code: 'unknown_stage' })).toBe(1);
  expect(moved('case_commands_total', { command: 'close', outcome: 'applied' })).toBe(1);
  expect(moved('case_commands_total', { command: 'close', outcome: 'rejected', code: 'case_not_open' })).toBe(1);
  expect(moved('case_commands_total', { command: 'cancel', outcome: 'applied' })).toBe(1);
  expect(moved('case_commands_total')).toBe(10);

  // Deliveries by outcome and attempt: each failed once, then went through on the second attempt.
  expect(moved('case_email_deliveries_total', { outcome: 'transient_failure', attempt: '1' })).toBe(1);
  expect(moved('case_email_deliveries_total', { outcome: 'sent', attempt: '2' })).toBe(1);
  expect(moved('case_email_deliveries_total')).toBe(2);
  expect(moved('case_webhook_deliveries_total', { outcome: 'transient_failure', attempt: '1' })).toBe(1);
  expect(moved('case_webhook_deliveries_total', { outcome: 'delivered', attempt: '2' })).toBe(1);
  expect(moved('case_webhook_deliveries_total')).toBe(2);

  // Portal links: one opened, one unknown, one expired.
  expect(moved('case_portal_requests_total', { action: 'view', outcome: 'opened' })).toBe(1);
  expect(moved('case_portal_requests_total', { action: 'view', outcome: 'invalid' })).toBe(1);
  expect(moved('case_portal_requests_total', { action: 'view', outcome: 'expired' })).toBe(1);

  // Closed and cancelled cases are no longer open; no case key ever becomes a label.
  expect(after.value('cases_open', { template: 'met-life' })).toBe(0);
  expect(after.value('cases_open', { template: 'met-plain' })).toBe(0);
  for (const sample of after.samples) expect(Object.values(sample.labels).join(' ')).not.toMatch(/MT[LP]-\d/);
}, 120_000);
