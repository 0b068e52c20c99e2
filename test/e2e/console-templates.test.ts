/**
 * The console's template pages and sign-in in a real browser against the real stack: an admin
 * publishes the onboarding template by pasting its YAML, reads it, publishes a broken version and
 * sees each problem next to its path and line, fixes it (version 2), switches versions and
 * republishes it as JSON (identical: nothing published); hr may read but not publish. Sign-in
 * refuses a wrong token, signs out, and a token revoked mid-session sends the user back to it.
 * axe-core checks the list, the readable view and the publish form; screenshots land in
 * test-output/screenshots.
 *
 * The tests run in order and share the stack: the later ones read what the first published.
 */
import type { Page } from 'playwright-core';
import { expectNoSeriousAxeViolations, screenshot, startConsoleStack, type ConsoleStack } from '../support/browser';
import { eventually } from '../support/stack';
import { onboardingYaml } from '../support/templates';

let c: ConsoleStack;

beforeAll(async () => {
  c = await startConsoleStack();
}, 120_000);

afterAll(async () => {
  await c?.close();
});

const KEY = 'employee-onboarding';
const TABLET = { width: 820, height: 1180 };

/** The 1-based line of the first line of `text` that contains `needle` (what the page should point at). */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in the text`);
  return index + 1;
}

/** The template with three problems: a field type that does not exist, an unknown exit field, an unknown owner role. */
const brokenYaml = onboardingYaml
  .replace('{ key: startDate, label: Start date, type: date }', '{ key: startDate, label: Start date, type: datetime }')
  .replace('exit: { fields: [fullName, startDate, contractType] }', 'exit: { fields: [fullName, startDate, contractType, nickname] }')
  .replace('    owner: manager\n', '    owner: ceo\n');
/** Fixed, and different from version 1 (an identical definition would publish nothing). */
const fixedYaml = onboardingYaml.replace('description: From signed offer to a productive first week.', 'description: From signed offer to a productive first month.');

/** The id and selected text of the focused element, read in the page (the test has no DOM types). */
async function focusedSelection(page: Page): Promise<{ id: string; selected: string }> {
  return (await page.evaluate(`(() => {
    const el = document.activeElement;
    return { id: el.id, selected: typeof el.selectionStart === 'number' ? el.value.slice(el.selectionStart, el.selectionEnd) : '' };
  })()`)) as { id: string; selected: string };
}

async function publish(page: Page) {
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
}

test('an admin publishes the onboarding template by pasting YAML and reads it, stage by stage', async () => {
  const page = await c.signedInPage(c.stack.tokens.admin, '/console/templates');
  await page.getByText('No template is published yet').waitFor();
  await page.getByRole('link', { name: 'Publish a template' }).click();
  await page.waitForURL('**/console/templates/new');

  const source = page.getByLabel('Template definition (YAML)');
  await source.fill(onboardingYaml);
  await expectNoSeriousAxeViolations(page, 'the publish form');
  await screenshot(page, 'console-templates-publish-form');
  await publish(page);

  await page.waitForURL(`**/console/templates/${KEY}/versions/1`);
  await page.getByRole('status').filter({ hasText: 'Published version 1 of Employee onboarding.' }).waitFor();
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Employee onboarding');

  // Stages in the template's order.
  const stages = page.getByRole('region', { name: 'Stages (4)' });
  const headings = await stages.getByRole('heading', { level: 3 }).allTextContents();
  expect(headings.map((h) => h.replace(/\s+/g, ' ').trim())).toEqual([
    '1. Documentation documentation',
    '2. Manager review review',
    '3. IT provisioning provisioning',
    '4. Completed completed terminal',
  ]);

  const stage = (name: string) => stages.getByRole('listitem').filter({ has: page.getByRole('heading', { level: 3, name }) }).first();
  const documentation = (await stage('Documentation').textContent()) ?? '';
  expect(documentation).toContain('Fields filled in: Full name fullName, Start date startDate, Contract type contractType');
  expect(documentation).toContain('Goal: 2 business days');
  expect(documentation).toContain('Deadline: 3 business days');
  expect(documentation).toContain('Escalation 1: 1 business day after the deadline, then every 1 business day, 3 times at most');
  expect(documentation).toContain('Notify role:manager');
  expect(documentation).toMatch(/May act\s*hr/);
  expect(documentation).toContain('May commenteveryone who sees the case');
  expect(documentation).toContain('Moves toManager review');
  const provisioning = (await stage('IT provisioning').textContent()) ?? '';
  expect(provisioning).toContain('Tasks completed: Prepare the laptop laptop, Create accounts accounts');
  expect(provisioning).toContain('Prepare the laptop laptop · for it · due in 2 business days');
  expect(provisioning).toMatch(/May act\s*it hr/);
  expect(await stage('Completed').textContent()).toContain('none (a terminal stage)');

  // The rest of the definition, readable.
  const fields = (await page.getByRole('region', { name: 'Fields (7)' }).textContent()) ?? '';
  expect(fields).toContain('Yearly salary');
  expect(fields).toContain('sensitive visible to hr, manager');
  expect(fields).toContain('employee, contractor');
  expect(await page.getByRole('region', { name: 'Overview' }).textContent()).toMatch(/See every case\s*hr manager it/);
  const automations = (await page.getByRole('region', { name: 'Automations (2)' }).textContent()) ?? '';
  expect(automations).toContain('stage.entered in Documentation');
  // (<q> draws its quotation marks with CSS: they are not in the text.)
  expect(automations).toContain('E-mail Documents for {{case.title}} to participant:candidate');
  expect(await page.getByRole('region', { name: 'Document templates (1)' }).textContent()).toContain('A PDF saved as a new version of Signed contract contract');
  expect(await page.getByRole('main').getByRole('link', { name: 'Open board' }).getAttribute('href')).toBe(`/console/boards/${KEY}`);
  expect(await page.getByRole('main').getByRole('link', { name: 'Start a case' }).getAttribute('href')).toBe(`/console/cases/new?template=${KEY}`);

  await expectNoSeriousAxeViolations(page, 'the readable view of a template');
  await screenshot(page, 'console-templates-view');
  await page.setViewportSize(TABLET);
  await screenshot(page, 'console-templates-view-tablet');
}, 120_000);

test('a broken version shows each problem with its path and line; fixed, it is version 2; versions switch; the same again publishes nothing', async () => {
  const page = await c.signedInPage(c.stack.tokens.admin, `/console/templates/${KEY}`);
  await page.getByRole('link', { name: 'Publish a new version' }).click();
  await page.waitForURL(`**/console/templates/new?from=${KEY}&version=1`);
  const source = page.getByLabel('Template definition (YAML)');
  // Prefilled with version 1 as YAML.
  // (Polled from here: waitForFunction would evaluate strings in the page, which the console's CSP forbids.)
  const prefilled = await eventually(async () => {
    const value = await source.inputValue();
    return value.includes(`key: ${KEY}`) && value;
  }, 15_000, 'the form prefilled with version 1');
  expect(prefilled).toContain('name: Employee onboarding');

  await source.fill(brokenYaml);
  await publish(page);
  const problems = page.getByRole('alert').filter({ hasText: 'Not published' });
  await problems.waitFor();
  expect(await problems.getByRole('heading').textContent()).toBe('Not published: 3 problems');
  const items = (await problems.getByRole('listitem').allTextContents()).map((t) => t.replace(/\s+/g, ' '));
  expect(items).toHaveLength(3);
  const item = (path: string) => items.find((t) => t.startsWith(path)) ?? `(no problem listed for ${path})`;
  expect(item('fields[2].type')).toContain(`line ${lineOf(brokenYaml, 'type: datetime')}`);
  expect(item('fields[2].type')).toContain('Invalid option');
  // The exit criteria list exists, its fourth item is the unknown field: the line of the list.
  expect(item('stages[0].exit.fields[3]')).toContain(`line ${lineOf(brokenYaml, 'nickname')}`);
  expect(item('stages[0].exit.fields[3]')).toContain('unknown field "nickname"');
  expect(item('stages[1].owner')).toContain(`line ${lineOf(brokenYaml, 'owner: ceo')}`);
  expect(item('stages[1].owner')).toContain('unknown role "ceo" (declare it in roles)');
  expect(await source.getAttribute('aria-invalid')).toBe('true');

  // Each problem takes the keyboard to its line in the text.
  const ownerProblem = problems.getByRole('button', { name: /^stages\[1\]\.owner/ });
  await ownerProblem.focus();
  await page.keyboard.press('Enter');
  expect(await focusedSelection(page)).toEqual({ id: 'tpl-source', selected: '    owner: ceo' });
  await expect(page.getByText(`Line ${lineOf(brokenYaml, 'owner: ceo')}, column 1`).count()).resolves.toBe(1);
  await expectNoSeriousAxeViolations(page, 'the publish form with problems');
  await screenshot(page, 'console-templates-publish-problems');

  await source.fill(fixedYaml);
  await publish(page);
  await page.waitForURL(`**/console/templates/${KEY}/versions/2`);
  await page.getByRole('status').filter({ hasText: 'Published version 2 of Employee onboarding.' }).waitFor();
  expect(await page.getByRole('region', { name: 'Overview' }).textContent()).toContain('a productive first month');

  // The version picker: newest first, the shown one current; version 1 is one click away.
  const versions = page.getByRole('navigation', { name: 'Versions' });
  const links = versions.getByRole('link');
  // The list is its own request: it may arrive after the version shown.
  await versions.getByRole('link', { name: 'Version 1' }).waitFor();
  expect(await links.allTextContents()).toEqual(['Version 2', 'Version 1']);
  expect(await versions.getByRole('link', { name: 'Version 2' }).getAttribute('aria-current')).toBe('page');
  await versions.getByRole('link', { name: 'Version 1' }).click();
  await page.waitForURL(`**/console/templates/${KEY}/versions/1`);
  await page.getByRole('link', { name: 'latest is version 2' }).waitFor();
  expect(await page.getByRole('region', { name: 'Overview' }).textContent()).toContain('a productive first week');
  expect(await versions.getByRole('link', { name: 'Version 1' }).getAttribute('aria-current')).toBe('page');
  // The notice was news about publishing version 2: it does not follow to other versions.
  expect(await page.getByText('Published version 2').count()).toBe(0);

  // Version 2 again, as JSON this time (the format switch converts the text): identical, nothing published.
  await page.goto(`${c.base}/console/templates/new`);
  await page.getByLabel('Template definition (YAML)').fill(fixedYaml);
  await page.getByRole('radio', { name: 'JSON' }).check();
  const json = page.getByLabel('Template definition (JSON)');
  const jsonText = await json.inputValue();
  expect(JSON.parse(jsonText)).toMatchObject({ key: KEY, description: 'From signed offer to a productive first month.' });
  // JSON that does not parse (a 400 from the API) points at its line too.
  const brokenJson = jsonText.replace('"name": "Employee onboarding"', '"name": Employee onboarding');
  await json.fill(brokenJson);
  await publish(page);
  const parseProblem = page.getByRole('alert').filter({ hasText: 'Not published: 1 problem' });
  await parseProblem.waitFor();
  expect((await parseProblem.getByRole('listitem').textContent())?.replace(/\s+/g, ' ')).toMatch(
    new RegExp(`^body line ${lineOf(brokenJson, '"name": Employee onboarding')} The body is not valid JSON`),
  );
  await json.fill(jsonText);
  await publish(page);
  await page.getByRole('status').filter({ hasText: 'Identical to version 2, nothing published.' }).waitFor();
  const list = await c.api<{ items: Array<{ key: string; latestVersion: number }> }>('GET', '/v1/templates');
  expect(list.items).toEqual([expect.objectContaining({ key: KEY, latestVersion: 2 })]);
}, 120_000);

test('the list shows every template with its latest version and links', async () => {
  const page = await c.signedInPage(c.stack.tokens.admin, '/console/templates');
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Employee onboarding', exact: true }) });
  await row.waitFor();
  const cells = (await row.getByRole('cell').allTextContents()).map((t) => t.trim());
  expect(cells.slice(0, 3)).toEqual([KEY, 'ONB', 'Version 2']);
  // Published in the browser's time zone (Europe/Paris in these tests), e.g. "3 Mar 2026, 14:02".
  expect(cells[3]).toMatch(/^\d{1,2} \w{3,4} \d{4}, \d{2}:\d{2}$/);
  expect(await row.getByRole('link', { name: 'Board of Employee onboarding' }).getAttribute('href')).toBe(`/console/boards/${KEY}`);
  expect(await row.getByRole('link', { name: 'Start a case: Employee onboarding' }).getAttribute('href')).toBe(`/console/cases/new?template=${KEY}`);
  await expectNoSeriousAxeViolations(page, 'the template list');
  await screenshot(page, 'console-templates-list');
  await page.setViewportSize(TABLET);
  await screenshot(page, 'console-templates-list-tablet');

  await row.getByRole('link', { name: 'Employee onboarding', exact: true }).click();
  await page.waitForURL(`**/console/templates/${KEY}`);
  await page.getByRole('heading', { level: 1, name: 'Employee onboarding' }).waitFor();
}, 60_000);

test('hr reads templates but publishing is refused: the button is disabled and says why', async () => {
  const page = await c.signedInPage(c.stack.tokens.hr, `/console/templates/${KEY}`);
  await page.getByRole('heading', { level: 1, name: 'Employee onboarding' }).waitFor();
  expect(await page.getByRole('link', { name: 'Publish a new version' }).count()).toBe(0);
  await page.getByText('Publishing a new version needs the admin role.').waitFor();

  await page.goto(`${c.base}/console/templates/new`);
  await page.getByLabel('Template definition (YAML)').fill(fixedYaml);
  const button = page.getByRole('button', { name: 'Publish', exact: true });
  expect(await button.isDisabled()).toBe(true);
  const why = await page.locator(`#${await button.getAttribute('aria-describedby')}`).textContent();
  expect(why).toContain('Publishing needs the admin role. You are signed in as Hana HR (roles: hr)');
  await expectNoSeriousAxeViolations(page, 'the publish form for a non-admin');
  await screenshot(page, 'console-templates-publish-hr');
}, 60_000);

test('sign-in: a wrong token is refused, the right one lands in the console, sign out returns, a revoked token sends back to sign-in', async () => {
  const page = await (await c.newContext()).newPage();
  await page.goto(`${c.base}/console/templates`);
  const tokenInput = page.getByLabel('API token');
  await tokenInput.fill('cot_not-a-real-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'This token is not valid (unknown, expired or revoked).' }).waitFor();
  expect(await tokenInput.getAttribute('aria-invalid')).toBe('true');
  await screenshot(page, 'console-sign-in-refused');

  await tokenInput.fill(c.stack.tokens.admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Templates' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').waitFor();
  expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  // Signed out for good: a reload does not sign back in.
  await page.reload();
  await page.getByLabel('API token').waitFor();

  const created = await c.api<{ id: string; token: string }>('POST', '/v1/tokens', { actorId: 'rita', actorName: 'Rita Revoked', roles: ['hr'] });
  const revoked = await c.signedInPage(created.token, '/console/templates/new');
  await revoked.getByRole('heading', { level: 1, name: 'Publish a template' }).waitFor();
  await c.api('DELETE', `/v1/tokens/${created.id}`);
  // The next API call answers 401: the console drops the token and asks to sign in again.
  await revoked.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
  await revoked.getByLabel('API token').waitFor();
  expect(await revoked.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  expect(await revoked.evaluate(`sessionStorage.getItem('case-console.token')`)).toBeNull();
}, 60_000);
