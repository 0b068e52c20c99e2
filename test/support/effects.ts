import { randomUUID } from 'node:crypto';
import type { EmailEffect, NotifyEffect, RenderContext, WebhookEffect } from '../../domain/effects';

/** Effects as the case workflow hands them to the activities, with unique keys per test. */

export function renderContext(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    case: { key: 'ONB-7', title: 'Onboard <Jane> & Co', status: 'open', owner: 'hana', template: 'employee-onboarding' },
    fields: { fullName: 'Jane "JD" Doe' },
    stage: { key: 'documentation', name: 'Documentation' },
    event: { type: 'stage.entered', seq: 3, at: '2026-01-05T09:00:00.000Z', data: {} },
    ...overrides,
  };
}

const base = (caseKey = 'ONB-7') => ({
  key: `${caseKey}:${randomUUID()}:0`,
  caseKey,
  ref: { rule: 'docs-request', name: 'Ask for documents', trigger: 3 },
  depth: 0,
});

export function emailEffect(overrides: Partial<EmailEffect> = {}): EmailEffect {
  return {
    ...base(),
    kind: 'email',
    to: { email: 'jane@example.com', name: 'Jane' },
    subject: 'Documents for {{case.title}}',
    body: '<p>Hello {{recipient.name}}, please upload your documents for {{fields.fullName}}: <a href="{{case.url}}">{{case.key}}</a></p>',
    context: renderContext(),
    ...overrides,
  };
}

export function notifyEffect(overrides: Partial<NotifyEffect> = {}): NotifyEffect {
  return {
    ...base(),
    kind: 'notify',
    to: { userId: 'max', name: 'Max', email: 'max@example.com' },
    subject: 'Deadline missed: {{case.title}}',
    body: '<p>{{case.key}} is past its deadline in {{stage.name}}: {{case.url}}</p>',
    context: renderContext(),
    ...overrides,
  };
}

export function webhookEffect(url: string, overrides: Partial<WebhookEffect> = {}): WebhookEffect {
  return { ...base(), kind: 'webhook', url, payload: { event: 'stage.entered', stage: 'documentation', n: 1 }, ...overrides };
}
