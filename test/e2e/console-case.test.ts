/**
 * The console's case pages in a real browser against a real stack: start a case from the form
 * (a 422 shown next to its field, then fixed), fill what the stage still needs, move the case on,
 * work a task, upload, download and approve a document, comment with a mention picked by
 * keyboard, and find all of it on the timeline. A second browser session follows changes made
 * through the API without reloading; a case with over a thousand events renders and pages its
 * timeline. axe-core checks the start form and the case page; screenshots go to
 * test-output/screenshots.
 */
import type { Locator, Page } from 'playwright-core';
import { expectNoSeriousAxeViolations, screenshot, startConsoleStack, type ConsoleStack } from '../support/browser';
import { eventually } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

let c: ConsoleStack;

beforeAll(async () => {
  // Many requests in the thousand-event test: no per-actor budget in the way.
  c = await startConsoleStack({ env: { RATE_LIMIT: '0' } });
  // Its own case prefix: test files share one Temporal server, and case-ONB-1 belongs to another file's case.
  await c.api('POST', '/v1/templates', onboardingTemplate({ prefix: 'CCS' }));
}, 180_000);

afterAll(async () => {
  await c?.close();
}, 60_000);

/** Waits until an attribute has a value (the page re-renders after the API answers). */
async function attributeBecomes(locator: Locator, name: string, value: string | null, what: string): Promise<void> {
  await eventually(async () => (await locator.getAttribute(name)) === value, 20_000, what);
}

/** The text of the elements an input's aria-describedby names: what a screen reader reads with it. */
async function descriptionOf(page: Page, input: Locator): Promise<string> {
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}

async function timelineText(page: Page): Promise<string> {
  return (await page.locator('ol.events').textContent()) ?? '';
}

describe('a case worked through the console', () => {
  let page: Page;
  let caseKey: string;

  test('the start form shows the API 422 next to each field, then starts the case and lands on it', async () => {
    page = await c.signedInPage(c.stack.tokens.hr, '/console/cases/new?template=employee-onboarding');
    await page.getByRole('heading', { name: 'Start a case: Employee onboarding' }).waitFor();

    // Required fields come first, then the optional ones, each typed from the template.
    const labels = await page.locator('form.start-form label[for^="start-field-"], form.start-form legend').allTextContents();
    expect(labels[0]).toContain('Full name');
    await expect(page.getByRole('combobox', { name: 'Contract type' }).locator('option').allTextContents()).resolves.toEqual(['— none —', 'employee', 'contractor']);
    await expect(page.getByRole('group', { name: 'Equipment' }).getByRole('checkbox').count()).resolves.toBe(4);
    await expect(page.getByLabel('Start date').getAttribute('type')).resolves.toBe('date');
    await expect(page.getByLabel('Yearly salary').getAttribute('type')).resolves.toBe('number');
    await expect(page.getByRole('checkbox', { name: 'Remote' }).count()).resolves.toBe(1);
    await expectNoSeriousAxeViolations(page, 'the start form');
    await screenshot(page, 'console-case-1-start-form');

    // No full name and a bad e-mail address: the API refuses, and says so under each input.
    await page.getByLabel('Title').fill('Onboard Jane Doe');
    await page.getByLabel('Personal e-mail').fill('not-an-email');
    await page.getByRole('button', { name: 'Start case' }).click();
    const fullName = page.getByRole('textbox', { name: 'Full name' });
    await attributeBecomes(fullName, 'aria-invalid', 'true', 'Full name marked invalid');
    await expect(descriptionOf(page, fullName)).resolves.toContain('is required');
    const email = page.getByRole('textbox', { name: 'Personal e-mail' });
    await expect(email.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(descriptionOf(page, email)).resolves.toContain('must be an e-mail address');
    // Focus goes to the first input that needs fixing.
    await expect(fullName.evaluate((el) => el === el.ownerDocument.activeElement)).resolves.toBe(true);
    await expect(page.getByLabel('Title').getAttribute('aria-invalid')).resolves.toBeNull();
    expect(page.url()).toContain('/console/cases/new');
    await screenshot(page, 'console-case-2-start-refused');

    await fullName.fill('Jane Doe');
    await email.fill('jane@example.com');
    await page.getByLabel('Yearly salary').fill('64000');
    await page.getByRole('button', { name: 'Start case' }).click();
    await page.waitForURL(/\/console\/cases\/CCS-\d+$/);
    caseKey = page.url().split('/').pop() as string;
    await page.getByRole('heading', { name: `${caseKey} Onboard Jane Doe` }).waitFor();

    const view = await c.api<{ title: string; fields: Record<string, unknown> }>('GET', `/v1/cases/${caseKey}`);
    expect(view).toMatchObject({ title: 'Onboard Jane Doe', fields: { fullName: 'Jane Doe', email: 'jane@example.com', salary: 64000 } });
  }, 120_000);

  test('the case page shows what the stage needs; filling it lets the case move to the next stage', async () => {
    const current = page.locator('.stepper [aria-current="step"]');
    await expect(current.textContent()).resolves.toContain('Documentation');
    await expect(page.locator('.needed-summary').textContent()).resolves.toContain('Start date, Contract type');

    // The move is not sent while something is missing: the button says what instead.
    const advance = page.getByRole('button', { name: 'Advance to Manager review' });
    await expect(advance.getAttribute('aria-disabled')).resolves.toBe('true');
    // aria-disabled keeps it focusable (its description says what is missing): press it by keyboard.
    await advance.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').filter({ hasText: 'Documentation still needs' }).textContent()).resolves.toContain('Fields: Start date, Contract type');
    await expect(c.api<{ stage: { key: string } }>('GET', `/v1/cases/${caseKey}`).then((v) => v.stage.key)).resolves.toBe('documentation');

    await page.getByLabel('Start date').fill('2027-01-04');
    await page.getByRole('combobox', { name: 'Contract type' }).selectOption('employee');
    await page.getByRole('group', { name: 'Equipment' }).getByRole('checkbox', { name: 'laptop' }).check();
    await page.getByRole('button', { name: 'Save fields' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved 3 fields.' }).waitFor();
    await attributeBecomes(advance, 'aria-disabled', null, 'the move to be possible');
    await expect(page.locator('.needed-summary').count()).resolves.toBe(0);

    await advance.click();
    await eventually(async () => ((await current.textContent()) ?? '').includes('Manager review'), 20_000, 'the stepper to show Manager review');
    await expect(page.locator('.stepper .step.past').textContent()).resolves.toContain('Documentation');
    await expect(c.api<{ stage: { key: string }; fields: Record<string, unknown> }>('GET', `/v1/cases/${caseKey}`)).resolves.toMatchObject({
      stage: { key: 'review' },
      fields: { startDate: '2027-01-04', contractType: 'employee', equipment: ['laptop'] },
    });
  }, 120_000);

  test('a task is created and completed', async () => {
    const form = page.getByRole('form', { name: 'New task' });
    await form.getByLabel('Title').fill('Order a desk');
    await form.getByLabel('Assignee (user id)').fill('ivan');
    await form.getByLabel(/^Due/).fill('2027-01-05T10:00');
    await form.getByRole('button', { name: 'Create task' }).click();
    const complete = page.getByRole('button', { name: 'Complete task: Order a desk' });
    await complete.waitFor();
    const task = page.locator('li.task').filter({ hasText: 'Order a desk' });
    // Entered in the browser's time zone (Europe/Paris), shown back in it.
    await expect(task.textContent()).resolves.toContain('5 Jan 2027, 10:00');
    await complete.click();
    await task.locator('.badge', { hasText: 'Done' }).waitFor();
    const view = await c.api<{ tasks: Array<{ title: string; status: string; assignee: string; dueAt: string }> }>('GET', `/v1/cases/${caseKey}`);
    expect(view.tasks.find((t) => t.title === 'Order a desk')).toMatchObject({ status: 'completed', assignee: 'ivan', dueAt: '2027-01-05T09:00:00.000Z' });
  }, 60_000);

  test('a document is uploaded, downloaded and approved', async () => {
    const upload = page.getByRole('form', { name: 'Upload ID card' });
    await upload.getByLabel('New version of ID card').setInputFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% a passport scan\n') });
    await upload.getByRole('button', { name: 'Upload' }).click();
    const approve = page.getByRole('button', { name: 'Approve ID card version 1' });
    await approve.waitFor();
    await expect(page.locator('article.slot').filter({ hasText: 'ID card' }).textContent()).resolves.toContain('passport.pdf');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download ID card version 1' }).click()]);
    expect(download.suggestedFilename()).toBe('passport.pdf');
    const downloaded = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of downloaded) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('%PDF-1.4\n% a passport scan\n');

    await approve.click();
    await page.locator('article.slot').filter({ hasText: 'ID card' }).locator('h3 .badge', { hasText: 'Approved' }).waitFor();
    const view = await c.api<{ documents: Record<string, { status: string; items: Array<{ fileName: string }> }> }>('GET', `/v1/cases/${caseKey}`);
    expect(view.documents.idCard).toMatchObject({ status: 'approved', items: [{ fileName: 'passport.pdf' }] });
  }, 60_000);

  test('a comment mentions a participant picked from the suggestions by keyboard', async () => {
    const add = page.getByRole('form', { name: 'Add a participant' });
    await add.getByLabel('Internal (a user)').check();
    await add.getByLabel('Role').selectOption('manager');
    await add.getByLabel('Name').fill('Max Manager');
    await add.getByLabel('User id').fill('max');
    await add.getByRole('button', { name: 'Add participant' }).click();
    await page.locator('li.participant').filter({ hasText: 'Max Manager' }).waitFor();

    const box = page.getByRole('textbox', { name: 'Add a comment' });
    await box.click();
    await box.pressSequentially('Please check the desk, @ma');
    const listbox = page.getByRole('listbox', { name: 'People to mention' });
    await listbox.waitFor();
    await expect(listbox.getByRole('option').allTextContents()).resolves.toEqual([expect.stringContaining('@max')]);
    await page.keyboard.press('ArrowDown');
    const active = await box.getAttribute('aria-activedescendant');
    expect(active).toBeTruthy();
    await expect(page.locator(`[id="${active}"]`).getAttribute('aria-selected')).resolves.toBe('true');
    await page.keyboard.press('Enter');
    await expect(box.inputValue()).resolves.toBe('Please check the desk, @max ');
    await expect(listbox.count()).resolves.toBe(0);
    await box.pressSequentially('thanks');
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.locator('ol.comments').filter({ hasText: 'Please check the desk, @max thanks' }).waitFor();

    const timeline = await c.api<{ items: Array<{ type: string; data: { mentions?: string[] } }> }>('GET', `/v1/cases/${caseKey}/timeline?type=comment.added`);
    expect(timeline.items.at(-1)?.data.mentions).toEqual(['max']);
  }, 60_000);

  test('the timeline shows each of these, newest first, with old and new values, and filters by kind', async () => {
    await eventually(async () => (await timelineText(page)).includes('Commented'), 20_000, 'the comment on the timeline');
    const text = await timelineText(page);
    for (const expected of [
      'Opened the case “Onboard Jane Doe”',
      'Changed Start date: from — → to 4 Jan 2027',
      'Started in Documentation',
      'Left Documentation for Manager review',
      'Created task “Order a desk” for ivan',
      'Completed task “Order a desk”',
      'Uploaded ID card version 1: passport.pdf',
      'Approved ID card version 1',
      'Added Max Manager as manager',
      'Please check the desk, @max thanks',
    ]) {
      expect(text).toContain(expected);
    }
    // Newest first.
    expect(text.indexOf('Commented')).toBeLessThan(text.indexOf('Approved ID card'));
    expect(text.indexOf('Approved ID card')).toBeLessThan(text.indexOf('Opened the case'));
    await expect(page.locator('ol.events li').first().textContent()).resolves.toContain('Hana HR');

    await page.getByLabel('Show').selectOption({ label: 'Field changes' });
    // Three values given at the start, three on the case page.
    await eventually(async () => (await page.locator('ol.events li').count()) === 6, 10_000, 'only field changes');
    const changes = await page.locator('ol.events li .event-what').allTextContents();
    expect(changes.slice(0, 3)).toEqual([
      'Changed Equipment: from — → to laptop',
      'Changed Contract type: from — → to employee',
      'Changed Start date: from — → to 4 Jan 2027',
    ]);
    expect(changes.slice(3).sort()).toEqual(['Changed Full name: from — → to Jane Doe', 'Changed Personal e-mail: from — → to jane@example.com', 'Changed Yearly salary: from — → to 64000']);
    await page.getByLabel('Show').selectOption({ label: 'Everything' });

    await expectNoSeriousAxeViolations(page, 'the case page');
    await screenshot(page, 'console-case-3-page');
  }, 60_000);

  test('a second session sees changes made through the API without reloading', async () => {
    const other = await c.signedInPage(c.stack.tokens.it, `/console/cases/${caseKey}`);
    await other.getByRole('heading', { name: `${caseKey} Onboard Jane Doe` }).waitFor();
    // IT may see the case but not the salary, and may not change it in review.
    await expect(other.locator('.field-values').textContent()).resolves.toContain('Hidden');
    await expect(other.getByRole('button', { name: 'Save fields' }).count()).resolves.toBe(0);
    await other.evaluate('window.__sameDocument = true');

    await c.api('POST', `/v1/cases/${caseKey}/comments`, { text: 'Desk ordered, arrives Monday' }, c.stack.tokens.manager);
    await c.api('PUT', `/v1/cases/${caseKey}/owner`, { owner: 'max' }, c.stack.tokens.manager);
    await other.locator('ol.events').filter({ hasText: 'Made max the owner' }).waitFor({ timeout: 20_000 });
    await other.locator('ol.comments').filter({ hasText: 'Desk ordered, arrives Monday' }).waitFor();
    await expect(other.locator('.case-facts').textContent()).resolves.toContain('Ownermax');
    await expect(other.evaluate('window.__sameDocument')).resolves.toBe(true);

    // The first session follows too.
    await page.locator('ol.events').filter({ hasText: 'Made max the owner' }).waitFor({ timeout: 20_000 });
    await other.context().close();
  }, 90_000);

  test('at tablet width the case page fits the screen', async () => {
    const tablet = await c.signedInPage(c.stack.tokens.hr, `/console/cases/${caseKey}`, { viewport: { width: 820, height: 1180 } });
    await tablet.getByRole('heading', { name: `${caseKey} Onboard Jane Doe` }).waitFor();
    await tablet.locator('ol.events li').first().waitFor();
    const overflow = (await tablet.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(tablet, 'console-case-4-tablet');
    await tablet.context().close();
  }, 60_000);
});

test('the SLA clock, a portal link, a rejected document, closing and reopening, all from the case page', async () => {
  const started = await c.api<{ id: string }>(
    'POST',
    '/v1/cases',
    { template: 'employee-onboarding', title: 'Onboard Sam Roe', fields: { fullName: 'Sam Roe' } },
    c.stack.tokens.hr,
  );
  const key = started.id;
  const page = await c.signedInPage(c.stack.tokens.hr, `/console/cases/${key}`);
  await page.getByRole('heading', { name: `${key} Onboard Sam Roe` }).waitFor();
  const sla = page.getByRole('region', { name: 'SLA clock: Documentation' });
  await expect(sla.textContent()).resolves.toMatch(/left/);

  // A reason form opens on a button, takes the keyboard to its first input, and Escape closes it
  // with focus back on the button.
  await sla.getByRole('button', { name: 'Pause clock…' }).click();
  await expect(sla.getByLabel('Reason').evaluate((el) => el === el.ownerDocument.activeElement)).resolves.toBe(true);
  await page.keyboard.press('Escape');
  await expect(sla.getByRole('button', { name: 'Pause clock…' }).evaluate((el) => el === el.ownerDocument.activeElement)).resolves.toBe(true);

  // A new deadline, entered in the browser's time zone (Europe/Paris, UTC+1 on 1 March).
  await sla.getByRole('button', { name: 'Change deadline…' }).click();
  await sla.getByLabel(/^New deadline/).fill('2027-03-01T18:00');
  await sla.getByLabel('Reason').fill('The candidate asked for more time');
  await sla.getByRole('button', { name: 'Change deadline', exact: true }).click();
  await sla.getByText('1 Mar 2027, 18:00').waitFor();
  await expect(c.api<{ sla: { deadlineAt: string } }>('GET', `/v1/cases/${key}`).then((v) => v.sla.deadlineAt)).resolves.toBe('2027-03-01T17:00:00.000Z');

  await sla.getByRole('button', { name: 'Pause clock…' }).click();
  await sla.getByLabel('Reason').fill('Waiting on the candidate');
  await sla.getByRole('button', { name: 'Pause clock', exact: true }).click();
  await sla.getByText(/^Paused since/).waitFor();
  await sla.getByRole('button', { name: 'Resume clock' }).click();
  await sla.getByText(/left$/).waitFor();

  // An external participant and a magic link for them, copied to the clipboard.
  const add = page.getByRole('form', { name: 'Add a participant' });
  await add.getByLabel('External (by e-mail)').check();
  await add.getByLabel('Role').selectOption('candidate');
  await add.getByLabel('Name').fill('Sam Roe');
  await add.getByLabel('E-mail', { exact: true }).fill('sam@example.com');
  await add.getByRole('button', { name: 'Add participant' }).click();
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: c.base });
  await page.getByRole('button', { name: 'Create a portal link for Sam Roe' }).click();
  const link = page.getByRole('textbox', { name: 'Portal link for Sam Roe' });
  await link.waitFor();
  const url = await link.inputValue();
  expect(url).toMatch(new RegExp(`^${c.base}/portal/cpt_`));
  await expect(link.getAttribute('readonly')).resolves.not.toBeNull();
  await page.getByRole('button', { name: 'Copy the portal link for Sam Roe' }).click();
  await page.getByRole('status').filter({ hasText: 'Link copied to the clipboard.' }).waitFor();
  await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(url);
  await expect(fetch(url).then((r) => r.status)).resolves.toBe(200);

  // A rejected document says why.
  const upload = page.getByRole('form', { name: 'Upload Signed contract' });
  await upload.getByLabel('New version of Signed contract').setInputFiles({ name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% unsigned\n') });
  await upload.getByRole('button', { name: 'Upload' }).click();
  const contract = page.locator('article.slot').filter({ hasText: 'Signed contract' });
  await contract.getByRole('button', { name: 'Reject…' }).click();
  await contract.getByLabel('What needs fixing').fill('It is not signed');
  await contract.getByRole('button', { name: 'Reject Signed contract version 1' }).click();
  await contract.locator('h3 .badge', { hasText: 'Rejected' }).waitFor();
  await expect(contract.locator('.version').textContent()).resolves.toContain('It is not signed');

  // Closing outside a final stage needs a reason; the closed case offers reopening.
  const actions = page.getByRole('region', { name: 'Actions' });
  await expect(actions.textContent()).resolves.toContain('closing needs a reason');
  await actions.getByRole('button', { name: 'Close case…' }).click();
  await actions.getByLabel('Reason').fill('Started twice by mistake');
  await expectNoSeriousAxeViolations(page, 'the case page with a reason form open');
  await actions.getByRole('button', { name: 'Close case', exact: true }).click();
  await page.locator('.case-title-row .badge', { hasText: 'Closed' }).waitFor();
  await expect(page.getByRole('button', { name: 'Save fields' }).count()).resolves.toBe(0);
  await actions.getByRole('button', { name: 'Reopen case…' }).click();
  await actions.getByLabel('Reason').fill('It was not a duplicate');
  await actions.getByRole('button', { name: 'Reopen case', exact: true }).click();
  await page.locator('.case-title-row .badge', { hasText: 'Open' }).waitFor();

  await page.locator('ol.events').filter({ hasText: 'Reopened the case — “It was not a duplicate”' }).waitFor();
  const text = await timelineText(page);
  for (const expected of [
    'Moved the deadline of Documentation',
    '1 Mar 2027, 18:00 — “The candidate asked for more time”',
    'Paused the SLA clock of Documentation — “Waiting on the candidate”',
    'Resumed the SLA clock of Documentation',
    'Added Sam Roe as candidate (external, sam@example.com)',
    'Rejected Signed contract version 1 — “It is not signed”',
    'Closed the case — “Started twice by mistake”',
  ]) {
    expect(text).toContain(expected);
  }
  await page.context().close();
}, 120_000);

test('without a template the start page offers a picker; a starter who may not see the case gets a notice', async () => {
  // Sales may start these cases, but only HR sees them.
  await c.api('POST', '/v1/templates', {
    ...onboardingTemplate({ key: 'confidential-onboarding', prefix: 'CON', permissions: { view: ['hr'], start: ['hr', 'sales'] } }),
    name: 'Confidential onboarding',
    roles: ['hr', 'manager', 'it', 'candidate', 'sales'],
  });
  const page = await c.signedInPage(c.stack.tokens.outsider, '/console/cases/new');
  await page.getByRole('heading', { name: 'Start a case', exact: true }).waitFor();
  await page.getByRole('link', { name: /Confidential onboarding/ }).click();
  await page.getByRole('heading', { name: 'Start a case: Confidential onboarding' }).waitFor();
  expect(page.url()).toContain('/console/cases/new?template=confidential-onboarding');
  await page.getByLabel('Title').fill('Onboard a secret hire');
  await page.getByRole('textbox', { name: 'Full name' }).fill('Secret Hire');
  await page.getByRole('button', { name: 'Start case' }).click();
  const notice = page.getByRole('status').filter({ hasText: 'was started' });
  await notice.waitFor();
  await expect(notice.textContent()).resolves.toMatch(/CON-\d+ “Onboard a secret hire” was started\. You may start cases of this kind but not see them/);
  expect(page.url()).toContain('/console/cases/new');
  await page.context().close();
}, 60_000);

/** A command through the API, retried with the same Idempotency-Key while the case or the API is busy. */
async function sendAsync(url: string, body: unknown, key: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${c.base}${url}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${c.stack.tokens.admin}`, 'Content-Type': 'application/json', Prefer: 'respond-async', 'Idempotency-Key': key },
      body: JSON.stringify(body),
    });
    if (res.ok) return;
    if ((res.status === 503 || res.status === 429) && attempt < 30) {
      await new Promise((r) => setTimeout(r, Number(res.headers.get('Retry-After') ?? '1') * 1000));
      continue;
    }
    throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  }
}

test('a case with over a thousand events renders its page and pages its timeline', async () => {
  const started = await c.api<{ id: string }>('POST', '/v1/cases', { template: 'employee-onboarding', title: 'Onboard a busy case', fields: { fullName: 'Busy Case' } });
  const key = started.id;
  // Six field changes per command (one event each), alternating between two sets of values so
  // every command changes all six; sent one after another, since each must see the previous one.
  const sets = [
    { email: 'busy@example.com', startDate: '2027-01-04', contractType: 'employee', equipment: ['laptop'], salary: 50000, remote: true },
    { email: 'busy.case@example.com', startDate: '2027-02-01', contractType: 'contractor', equipment: ['phone', 'badge'], salary: 52000, remote: false },
  ];
  const commands = 170;
  for (let i = 0; i < commands; i++) {
    await c.api('PATCH', `/v1/cases/${key}/fields`, sets[i % 2]);
  }
  // Then a few comments as signals, in parallel (the discussion shows the latest five).
  const comments = 8;
  await Promise.all(Array.from({ length: comments }, (_, j) => sendAsync(`/v1/cases/${key}/comments`, { text: `Comment number ${j + 1}` }, `busy-${key}-${j}`)));
  // The signals are applied and projected shortly after they were accepted.
  const lastSeq = await eventually(
    async () => {
      const view = await c.api<{ lastSeq: number; comments: number }>('GET', `/v1/cases/${key}`);
      if (view.comments < comments) return false;
      const tail = await c.api<{ items: Array<{ seq: number }> }>('GET', `/v1/cases/${key}/timeline?after=${view.lastSeq - 1}`);
      return tail.items.length === 1 ? view.lastSeq : false;
    },
    60_000,
    'every event on the timeline',
  );
  expect(lastSeq).toBeGreaterThan(1000);

  const page = await c.signedInPage(c.stack.tokens.admin, `/console/cases/${key}`);
  await page.getByRole('heading', { name: `${key} Onboard a busy case` }).waitFor();
  const items = page.locator('ol.events > li');
  await eventually(async () => (await items.count()) === 50, 20_000, 'the latest 50 events');
  const seqsShown = async () => (await page.locator('ol.events > li .event-meta').allTextContents()).map((m) => Number(/#(\d+)$/.exec(m.trim())?.[1]));
  const newestFirst = (from: number, count: number) => Array.from({ length: count }, (_, i) => from - i);
  await expect(seqsShown()).resolves.toEqual(newestFirst(lastSeq, 50));
  await expect(items.first().textContent()).resolves.toMatch(/Comment number \d/);
  await expect(page.getByText(`Showing 50 of ${lastSeq} events.`).count()).resolves.toBe(1);
  // The discussion shows the latest comments; older ones are on the timeline.
  await expect(page.locator('ol.comments > li').count()).resolves.toBe(5);

  await page.getByRole('button', { name: 'Load older' }).click();
  await eventually(async () => (await items.count()) === 100, 20_000, '100 events after "Load older"');
  // The next window down, below the first one: no gap, no repeat.
  await expect(seqsShown()).resolves.toEqual(newestFirst(lastSeq, 100));
  await screenshot(page, 'console-case-5-thousand-events');

  // Filtered, the older windows are searched until the start: the opening is found.
  await page.getByLabel('Show').selectOption({ label: 'Stage moves and status' });
  await page.getByRole('button', { name: 'Load older' }).click();
  await page.getByText('This is the start of the timeline.').waitFor({ timeout: 30_000 });
  await expect(page.locator('ol.events').textContent()).resolves.toContain('Opened the case “Onboard a busy case”');
  await expect(page.locator('ol.events > li').filter({ hasText: /Commented|Changed/ }).count()).resolves.toBe(0);
  await page.getByLabel('Show').selectOption({ label: 'Field changes' });
  await expect(page.locator('ol.events > li').first().textContent()).resolves.toContain('Changed');
}, 300_000);
