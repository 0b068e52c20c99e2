import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const onboardingYaml = fs.readFileSync(path.resolve(__dirname, '../../examples/employee-onboarding.yaml'), 'utf8');

/** The README's example template, as a JSON object; `key` and `prefix` can be made unique per test. */
export function onboardingTemplate(overrides: { key?: string; prefix?: string } = {}): Record<string, unknown> {
  return { ...(YAML.parse(onboardingYaml) as Record<string, unknown>), ...overrides };
}
