import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const onboardingYaml = fs.readFileSync(path.resolve(__dirname, '../../examples/employee-onboarding.yaml'), 'utf8');

/**
 * The README's example template, as a JSON object; `key` and `prefix` can be made unique per test.
 * Its hr, manager and it roles see every case (`permissions.view`), as the people who run
 * onboardings would: tests drive its cases with those tokens. `permissions` can be overridden.
 */
export function onboardingTemplate(overrides: { key?: string; prefix?: string; permissions?: Record<string, unknown> } = {}): Record<string, unknown> {
  return { ...(YAML.parse(onboardingYaml) as Record<string, unknown>), ...overrides };
}

/**
 * A three-stage template whose `review` stage e-mails a reviewer when a case enters it: a command
 * (advance) that causes an e-mail activity later, in the case's own loop.
 */
export function emailOnReviewTemplate(key: string, prefix: string): Record<string, unknown> {
  return {
    key,
    name: key,
    prefix,
    roles: ['hr'],
    stages: [{ key: 'intake' }, { key: 'review' }, { key: 'done', terminal: true }],
    automations: [{ on: 'stage.entered', stage: 'review', do: [{ email: { to: 'reviewer@example.com', subject: 'Review {{case.title}}', body: '<p>Please review</p>' } }] }],
  };
}
