import { effectOutcomeEvents, outcomeDepth } from '../../domain/effect-outcomes';
import type { Effect, EmailEffect, GenerateDocumentEffect, NotifyEffect, WebhookEffect } from '../../domain/effects';
import { T0, TestCase, onboardingInput, parseTemplate } from './helpers';

const template = parseTemplate(onboardingInput);
const ref: Effect['ref'] = { rule: 'welcome-mail', trigger: 7 };
const context = { case: { key: 'ONB-1', title: 'Jane', status: 'open', owner: null, template: 'employee-onboarding' }, fields: {}, stage: { key: 'documentation', name: 'Documentation' }, event: { type: 'stage.entered', seq: 2, at: '', data: {} } };
const base = { key: 'ONB-1:7:0', caseKey: 'ONB-1', ref, depth: 2 };
const now = new Date(T0 + 3_600_000).toISOString();

const email: EmailEffect = { ...base, kind: 'email', to: { email: 'jane@example.com', name: 'Jane' }, subject: 'Documents for {{case.title}}', body: 'Hi', context };
const notify: NotifyEffect = { ...base, kind: 'notify', to: { userId: 'hank' }, subject: 's', body: 'b', context };
const webhook: WebhookEffect = { ...base, kind: 'webhook', url: 'https://hooks.example.com/x', payload: {} };
const generate: GenerateDocumentEffect = {
  ...base,
  kind: 'generateDocument',
  template: { key: 'welcome', title: 'Welcome', slot: 'contract', body: 'Welcome {{case.title}}' } as GenerateDocumentEffect['template'],
  context,
};
const open = () => new TestCase(template, { fields: { fullName: 'Jane', skills: ['ts'] } });
const pdf = { documentId: 'D-1', fileName: 'welcome.pdf', contentType: 'application/pdf', size: 1234, sha256: 'a'.repeat(64) };

test('a sent e-mail is recorded with its rendered subject and delivery', () => {
  const c = open();
  const drafts = effectOutcomeEvents(c.state, template, email, { ok: true, result: { emailId: 'E-1', delivery: 'outbox' } }, now);
  expect(drafts).toEqual([{ type: 'email.sent', data: { ...ref, to: 'jane@example.com', subject: 'Documents for Jane', emailId: 'E-1', delivery: 'outbox' } }]);
});

test('notifications and webhooks are recorded with what their activities answered', () => {
  const c = open();
  expect(effectOutcomeEvents(c.state, template, notify, { ok: true, result: { notificationId: 'N-1' } }, now)).toEqual([
    { type: 'notification.sent', data: { ...ref, userId: 'hank', notificationId: 'N-1' } },
  ]);
  expect(effectOutcomeEvents(c.state, template, webhook, { ok: true, result: { deliveryId: 'W-1', status: 204 } }, now)).toEqual([
    { type: 'webhook.delivered', data: { ...ref, url: 'https://hooks.example.com/x', deliveryId: 'W-1', status: 204 } },
  ]);
});

test('a generated document is uploaded to its slot by the rules of any upload', () => {
  const c = open();
  const drafts = effectOutcomeEvents(c.state, template, generate, { ok: true, result: pdf }, now);
  expect(drafts).toHaveLength(1);
  expect(drafts[0]).toMatchObject({ type: 'document.uploaded', data: { slot: 'contract', documentId: 'D-1', generatedFrom: 'welcome' } });
});

test('a generated document the slot refuses is an automation failure, not a crash', () => {
  const c = open();
  const unknownSlot = { ...generate, template: { ...generate.template, slot: 'nowhere' } };
  const [failed] = effectOutcomeEvents(c.state, template, unknownSlot, { ok: true, result: pdf }, now);
  expect(failed).toMatchObject({ type: 'automation.failed', data: { action: 'generateDocument' } });
  expect(String((failed!.data as { reason: string }).reason)).toMatch(/^unknown_slot: /);
});

test('a failed effect is an automation failure with its reason (bounded), and starts no chain', () => {
  const c = open();
  const outcome = { ok: false as const, reason: 'x'.repeat(5000) };
  const [failed] = effectOutcomeEvents(c.state, template, webhook, outcome, now);
  expect(failed).toMatchObject({ type: 'automation.failed', data: { ...ref, action: 'webhook' } });
  expect((failed!.data as { reason: string }).reason).toHaveLength(2000);
  expect(outcomeDepth(webhook, outcome)).toBe(0);
  expect(outcomeDepth(webhook, { ok: true, result: { deliveryId: 'W-1', status: 200 } })).toBe(2);
});
