import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import type { CaseEvent } from '../../domain/events';
import { caseWorkflowId } from '../../workflows/messages';
import { startFakeResend, type FakeResend } from '../support/fake-resend';
import { recordHistory } from '../support/histories';
import { testTemporalAddress } from '../support/temporal';
import { eventually, startTestStack, type TestStack } from '../support/stack';

/**
 * SLA clocks, automations and their effects on the real dev server. There is no time-skipping
 * server here, so durations are seconds long and each test waits for real time to pass.
 */

let stack: TestStack;
let resend: FakeResend;
let receiver: http.Server;
let receiverUrl: string;
const hooks: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
let hookStatuses: number[] = [];
let n = 0;
const started: string[] = [];
/** How late each timer event was recorded after its target instant (ms): reported in the closing note. */
const lateness: Array<{ what: string; ms: number }> = [];

beforeAll(async () => {
  resend = await startFakeResend();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.statusCode = hookStatuses.shift() ?? 200;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startTestStack({
    env: {
      RESEND_API_KEY: resend.apiKey,
      RESEND_BASE_URL: resend.url,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_SECRET: 'test-secret',
    },
  });
});

afterAll(async () => {
  // These cases keep timers and retrying effects alive: end them before the worker and the fakes go.
  await Promise.all(started.map((key) => stack.client.workflow.getHandle(caseWorkflowId(key)).terminate('test file finished').catch(() => undefined)));
  await stack?.close();
  await resend?.close();
  await new Promise((r) => receiver?.close(r));
  if (lateness.length) {
    fs.mkdirSync(path.resolve('test-output'), { recursive: true });
    fs.writeFileSync(path.resolve('test-output/timer-lateness.json'), JSON.stringify(lateness, null, 2));
  }
});

function template(prefix: string, extra: Record<string, unknown> = {}) {
  return {
    key: `sla-${prefix.toLowerCase()}`,
    name: `SLA ${prefix}`,
    prefix,
    roles: ['agent', 'lead'],
    fields: [{ key: 'clientEmail', type: 'email' }],
    stages: [
      {
        key: 'triage',
        sla: { goal: '2s', deadline: '4s', escalations: [{ after: '2s', every: '2s', times: 2, do: [{ notify: { to: 'role:lead', subject: 'Escalated {{case.key}}' } }] }] },
      },
      { key: 'assess', sla: { deadline: '30s' } },
      { key: 'done', terminal: true },
    ],
    ...extra,
  };
}

async function publish(definition: object) {
  const res = await stack.http().post('/v1/templates').set('Authorization', `Bearer ${stack.tokens.admin}`).send(definition);
  expect(res.status).toBe(201);
}

async function start(templateKey: string, body: Record<string, unknown> = {}) {
  const res = await stack
    .http()
    .post('/v1/cases')
    .set('Authorization', `Bearer ${stack.tokens.admin}`)
    .send({
      template: templateKey,
      title: `Case ${++n}`,
      participants: [{ kind: 'internal', role: 'lead', name: 'Lena Lead', userId: 'lena', email: 'lena@example.com' }],
      ...body,
    });
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
  started.push(res.body.id);
  return res.body.id as string;
}

const post = (path: string, body: object) => stack.http().post(path).set('Authorization', `Bearer ${stack.tokens.admin}`).send(body);
const put = (path: string, body: object) => stack.http().put(path).set('Authorization', `Bearer ${stack.tokens.admin}`).send(body);

async function timeline(caseKey: string): Promise<CaseEvent[]> {
  return stack.client.workflow.getHandle(caseWorkflowId(caseKey)).query('recentTimeline', 100);
}

async function waitFor(caseKey: string, predicate: (events: CaseEvent[]) => boolean, what: string, timeoutMs = 20_000) {
  return eventually(async () => {
    const events = await timeline(caseKey);
    return predicate(events) ? events : undefined;
  }, timeoutMs, what);
}

const ofType = (events: CaseEvent[], type: string) => events.filter((e) => e.type === type);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('goal, deadline and repeating escalation levels fire once each, at their time, and act', async () => {
  await publish(template('SLA'));
  const key = await start('sla-sla');
  const events = await waitFor(key, (e) => ofType(e, 'sla.escalated').length === 2 && ofType(e, 'notification.sent').length === 2, 'two escalation levels', 30_000);
  await sleep(2500); // a third level would be due by now
  const all = await timeline(key);
  const started = ofType(events, 'sla.started')[0]!.data as { goalAt: string; deadlineAt: string };
  expect(ofType(all, 'sla.goal_missed')).toHaveLength(1);
  expect(ofType(all, 'sla.deadline_missed')).toHaveLength(1);
  expect(ofType(all, 'sla.escalated').map((e) => (e.data as { level: number }).level)).toEqual([1, 2]);

  const goal = ofType(all, 'sla.goal_missed')[0]!;
  const deadline = ofType(all, 'sla.deadline_missed')[0]!;
  const levels = ofType(all, 'sla.escalated');
  const targets: Array<[string, CaseEvent, number]> = [
    ['goal', goal, Date.parse(started.goalAt)],
    ['deadline', deadline, Date.parse(started.deadlineAt)],
    ['escalation level 1', levels[0]!, Date.parse(started.deadlineAt) + 2000],
    ['escalation level 2', levels[1]!, Date.parse(started.deadlineAt) + 4000],
  ];
  for (const [what, event, target] of targets) {
    const late = Date.parse(event.at) - target;
    lateness.push({ what, ms: late });
    // Never early; late by at most a few seconds on a loaded 2-core machine.
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(5000);
  }
  // The escalation's own notify action ran for each level, to the lead.
  const notifications = await stack.http().get('/v1/notifications').set('Authorization', `Bearer ${stack.tokens.admin}`);
  expect(notifications.status).toBe(200);

  // The read model and the list filter see the case as overdue.
  await eventually(async () => {
    const res = await stack.http().get('/v1/cases?overdue=true&template=sla-sla').set('Authorization', `Bearer ${stack.tokens.admin}`);
    return res.body.items.some((c: { id: string; overdue: boolean }) => c.id === key && c.overdue);
  }, 10_000, 'overdue listing');
  const board = await stack.http().get('/v1/boards/sla-sla').set('Authorization', `Bearer ${stack.tokens.admin}`);
  expect(board.body.stages[0]).toMatchObject({ key: 'triage', overdue: 1 });
  const view = await stack.http().get(`/v1/cases/${key}`).set('Authorization', `Bearer ${stack.tokens.admin}`);
  expect(view.body).toMatchObject({ overdue: true, sla: { stage: 'triage', deadlineMissed: true, escalationLevel: 2, paused: false } });
  expect(view.body.sla.overdueMs).toBeGreaterThan(0);
  // CaseDueAt lets engineers find it in the Temporal UI.
  const description = await stack.client.workflow.getHandle(caseWorkflowId(key)).describe();
  expect(description.searchAttributes.CaseDueAt).toEqual([new Date(started.deadlineAt)]);
  await recordHistory(testTemporalAddress(), caseWorkflowId(key), undefined, 'case-sla-escalations');
}, 60_000);

test('leaving the stage cancels its clock', async () => {
  const key = await start('sla-sla');
  expect((await post(`/v1/cases/${key}/advance`, { to: 'assess' })).status).toBe(200);
  await sleep(5000);
  const all = await timeline(key);
  expect(ofType(all, 'sla.goal_missed')).toHaveLength(0);
  expect(ofType(all, 'sla.deadline_missed')).toHaveLength(0);
  expect(ofType(all, 'sla.started').map((e) => e.stage)).toEqual(['triage', 'assess']);
}, 30_000);

test('pausing stops the clock; resuming moves the deadline out by the paused time', async () => {
  const key = await start('sla-sla');
  await sleep(500);
  const paused = await post(`/v1/cases/${key}/sla/pause`, { reason: 'waiting on the client' });
  expect(paused.status).toBe(200);
  expect(paused.body.case.sla).toMatchObject({ paused: true });
  expect((await post(`/v1/cases/${key}/sla/pause`, { reason: 'again' })).body.code).toBe('clock_paused');
  await sleep(4500); // past the original deadline
  expect(ofType(await timeline(key), 'sla.deadline_missed')).toHaveLength(0);
  expect(ofType(await timeline(key), 'sla.goal_missed')).toHaveLength(0);
  const resumed = await post(`/v1/cases/${key}/sla/resume`, {});
  expect(resumed.status).toBe(200);
  const resumedEvent = resumed.body.events.find((e: CaseEvent) => e.type === 'sla.resumed');
  const deadlineAt = Date.parse(resumedEvent.data.deadlineAt);
  expect(resumedEvent.data.pausedMs).toBeGreaterThanOrEqual(4500);
  const events = await waitFor(key, (e) => ofType(e, 'sla.deadline_missed').length === 1, 'deadline after resume');
  const late = Date.parse(ofType(events, 'sla.deadline_missed')[0]!.at) - deadlineAt;
  lateness.push({ what: 'deadline after resume', ms: late });
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(5000);
}, 40_000);

test('re-targeting the deadline moves the running timer', async () => {
  const key = await start('sla-sla');
  expect((await post(`/v1/cases/${key}/advance`, { to: 'assess' })).status).toBe(200); // 30 s deadline
  const target = new Date(Date.now() + 1500).toISOString();
  const changed = await put(`/v1/cases/${key}/sla/deadline`, { deadlineAt: target, reason: 'escalated by the client' });
  expect(changed.status).toBe(200);
  expect(changed.body.case.sla.deadlineAt).toBe(target);
  const events = await waitFor(key, (e) => ofType(e, 'sla.deadline_missed').length === 1, 'moved deadline', 10_000);
  const late = Date.parse(ofType(events, 'sla.deadline_missed')[0]!.at) - Date.parse(target);
  lateness.push({ what: 're-targeted deadline', ms: late });
  expect(late).toBeGreaterThanOrEqual(0);
  expect(late).toBeLessThan(5000);
  expect((await put(`/v1/cases/${key}/sla/deadline`, { deadlineAt: 'tomorrow', reason: 'x' })).status).toBe(422);
}, 30_000);

test('automations: e-mail through Resend exactly once despite a lost answer, a signed webhook, and a failing action that does not block the case', async () => {
  await publish(
    template('AUT', {
      stages: [{ key: 'intake' }, { key: 'review' }, { key: 'done', terminal: true }],
      automations: [
        {
          name: 'Ask for documents',
          on: 'stage.entered',
          stage: 'review',
          do: [
            { email: { to: 'field:clientEmail', subject: 'Documents for {{case.title}}', body: '<p>Hello, please send documents for {{case.title}}</p>' } },
            { webhook: { url: `${receiverUrl}/hooks`, payload: { source: 'test' } } },
            { advance: { to: 'intake' } }, // moving back needs no reason from automations, but exit rules still apply
          ],
        },
        { on: 'comment.added', do: [{ webhook: { url: `${receiverUrl}/broken` } }] },
      ],
    }),
  );
  const key = await start('sla-aut', { fields: { clientEmail: 'client@example.org' }, title: '<b>ACME</b> & Co' });
  resend.failNext({ kind: 'accept-then-500' });
  hookStatuses = [503];
  const moved = await post(`/v1/cases/${key}/advance`, { to: 'review' });
  expect(moved.status).toBe(200);
  expect(moved.body.events.map((e: CaseEvent) => e.type)).toEqual(['stage.exited', 'stage.entered', 'automation.ran', 'stage.exited', 'stage.entered']);

  const events = await waitFor(key, (e) => ofType(e, 'email.sent').length === 1 && ofType(e, 'webhook.delivered').length === 1, 'effects', 30_000);
  // The first send was accepted but its answer lost: the retry reused the idempotency key.
  const ours = resend.mailbox.filter((m) => m.to.includes('client@example.org'));
  expect(ours).toHaveLength(1);
  expect(ours[0]!.subject).toBe('Documents for <b>ACME</b> & Co');
  expect(ours[0]!.html).toContain('&lt;b&gt;ACME&lt;&#x2F;b&gt; &amp; Co');
  const ran = ofType(events, 'automation.ran')[0]!;
  expect(ours[0]!.idempotencyKey).toBe(`${key}:${ran.seq}:0:0`);
  expect(ofType(events, 'email.sent')[0]!.data).toMatchObject({ to: 'client@example.org', delivery: 'sent', rule: 'automations[0]', name: 'Ask for documents' });

  // The webhook was retried after a 503, with the same delivery id and a valid signature.
  const deliveries = hooks.filter((h) => h.headers['x-case-delivery'] === `${key}:${ran.seq}:1`);
  expect(deliveries).toHaveLength(2);
  for (const d of deliveries) {
    const timestamp = String(d.headers['x-case-timestamp']);
    const expected = createHmac('sha256', 'test-secret').update(`${timestamp}.${d.body}`).digest('hex');
    expect(d.headers['x-case-signature']).toBe(`sha256=${expected}`);
  }
  expect(JSON.parse(deliveries[0]!.body)).toMatchObject({ caseKey: key });

  // A webhook that is refused for good fails its action; the case carries on.
  hookStatuses = [400];
  const commented = await post(`/v1/cases/${key}/comments`, { text: 'hello' });
  expect(commented.status).toBe(200);
  const failed = await waitFor(key, (e) => ofType(e, 'automation.failed').length === 1, 'failed webhook', 30_000);
  expect(ofType(failed, 'automation.failed')[0]!.data).toMatchObject({ rule: 'automations[1]', action: 'webhook', reason: expect.stringMatching(/400/) });
  expect((await post(`/v1/cases/${key}/comments`, { text: 'still working' })).status).toBe(200);
  await recordHistory(testTemporalAddress(), caseWorkflowId(key), undefined, 'case-automation-effects');
  const outbox = await stack.http().get(`/v1/outbox?caseKey=${key}`).set('Authorization', `Bearer ${stack.tokens.admin}`);
  expect(outbox.status).toBe(200);
}, 60_000);

test('publishing refuses bad automations with every problem listed, and nothing reaches a workflow', async () => {
  const res = await stack
    .http()
    .post('/v1/templates')
    .set('Authorization', `Bearer ${stack.tokens.admin}`)
    .send(
      template('BAD', {
        calendar: { timeZone: 'Mars/Olympus' },
        automations: [
          { on: 'stage.entered', stage: 'ghost', do: [{ advance: { to: 'nowhere' } }] },
          { on: 'field.changed', field: 'missing', if: { frobnicate: [1] }, do: [{ email: { to: 'role:ceo', subject: '{{#case}}unclosed' } }] },
          { on: 'comment.added', do: [{ webhook: { url: 'https://evil.example.net/x' } }, { setField: { field: 'clientEmail', value: 42 } }] },
        ],
        stages: [{ key: 'triage', sla: { deadline: 'soon' } }, { key: 'done', terminal: true }],
      }),
    );
  expect(res.status).toBe(422);
  const paths = res.body.errors.map((e: { path: string }) => e.path).sort();
  expect(paths).toEqual(
    [
      'automations[0].do[0].advance.to',
      'automations[0].stage',
      'automations[1].do[0].email.subject',
      'automations[1].do[0].email.to',
      'automations[1].field',
      'automations[1].if',
      'automations[2].do[0].webhook.url',
      'automations[2].do[1].setField.value',
      'calendar',
      'stages[0].sla.deadline',
    ].sort(),
  );
  const list = await stack.http().get('/v1/templates/sla-bad').set('Authorization', `Bearer ${stack.tokens.admin}`);
  expect(list.status).toBe(404);
});

test('documents drive automations: a generated PDF lands in its slot, and approving every required document advances the case', async () => {
  await publish({
    key: 'sla-doc',
    name: 'Documents',
    prefix: 'SLADOC',
    roles: ['agent'],
    fields: [{ key: 'fullName', type: 'text' }],
    documents: [{ key: 'offer' }, { key: 'idCard', external: true }],
    documentTemplates: [{ key: 'offerLetter', title: 'Offer for {{fields.fullName}}', slot: 'offer', body: 'Dear {{fields.fullName}},\n\nwelcome.' }],
    stages: [{ key: 'collect', exit: { approved: ['offer', 'idCard'] } }, { key: 'signed' }, { key: 'done', terminal: true }],
    automations: [
      { on: 'case.created', do: [{ generateDocument: { template: 'offerLetter' } }] },
      {
        name: 'Advance once everything is approved',
        on: 'document.approved',
        stage: 'collect',
        if: { and: [{ '==': [{ var: 'event.data.slot' }, 'idCard'] }] },
        do: [{ advance: { to: 'signed' } }],
      },
    ],
  });
  const key = await start('sla-doc', { fields: { fullName: 'Jane Doe' } });
  const events = await waitFor(key, (e) => ofType(e, 'document.uploaded').length === 1, 'generated offer', 30_000);
  const offer = ofType(events, 'document.uploaded')[0]!;
  expect(offer.data).toMatchObject({ slot: 'offer', version: 1, contentType: 'application/pdf', generatedFrom: 'offerLetter' });
  expect(offer.actor.kind).toBe('system');
  const pdf = await stack.http().get(`/v1/cases/${key}/documents/offer`).set('Authorization', `Bearer ${stack.tokens.admin}`).buffer(true);
  expect(pdf.status).toBe(200);
  expect(pdf.headers['content-type']).toMatch(/application\/pdf/);

  const review = (documentId: string) => post(`/v1/cases/${key}/documents/${documentId}/review`, { decision: 'approve' });
  expect((await review((offer.data as { documentId: string }).documentId)).status).toBe(200);
  const upload = await stack
    .http()
    .post(`/v1/cases/${key}/documents/idCard`)
    .set('Authorization', `Bearer ${stack.tokens.admin}`)
    .attach('file', Buffer.from('%PDF-1.4 id card'), { filename: 'id.pdf', contentType: 'application/pdf' });
  expect(upload.status).toBe(200);
  const idCard = upload.body.events.find((e: CaseEvent) => e.type === 'document.uploaded');
  const approved = await review(idCard.data.documentId);
  expect(approved.status).toBe(200);
  // The approval's own answer already carries the automation's move.
  expect(approved.body.events.map((e: CaseEvent) => e.type)).toEqual(['document.approved', 'automation.ran', 'stage.exited', 'stage.entered']);
  expect(approved.body.case.stage.key).toBe('signed');
  await recordHistory(testTemporalAddress(), caseWorkflowId(key), undefined, 'case-generated-document-approvals');
}, 60_000);
