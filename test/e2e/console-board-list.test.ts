/**
 * The team console's home, board and cases list in a real browser (Debian's chromium through
 * playwright-core) against a real stack: sign in and see my tasks and notifications; move a card
 * on the board by keyboard and be told why it may not move, then by drag and drop once the fields
 * are filled; a move back asks for a reason; a second person's board follows without a reload;
 * find cases by text and by stage, export the view as CSV, sort, save a view and apply it again; axe-core on every page;
 * and a board of 500 cards, whose render time is measured and printed (never asserted).
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { expectNoSeriousAxeViolations, screenshot, startConsoleStack, type ConsoleStack } from '../support/browser';
import { parseCsv } from '../support/csv';
import { eventually } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

const TEMPLATE = 'cbl-onboarding';
const BULK = 'cbl-bulk';

let c: ConsoleStack;

interface Started {
  id: string;
}
interface Summary {
  id: string;
  title: string;
  stage: string;
}
interface BoardAnswer {
  stages: Array<{ key: string; count: number; cases: Summary[] }>;
}

const start = (title: string, fields: Record<string, unknown> = {}, owner?: string) =>
  c.api<Started>('POST', '/v1/cases', { template: TEMPLATE, title, fields: { fullName: title.replace(/^Onboard /, ''), ...fields }, ...(owner ? { owner } : {}) }).then((s) => s.id);

const card = (page: Page, id: string) => page.locator(`.board-card[data-case="${id}"]`);
const column = (page: Page, name: string) => page.getByRole('region', { name, exact: true });

/** Waits until the read model (lists, boards) has the case in `stage`. */
const listed = (id: string, stage: string) =>
  eventually(async () => {
    const list = await c.api<{ items: Summary[] }>('GET', `/v1/cases?template=${TEMPLATE}&q=${encodeURIComponent(id)}`);
    return list.items.some((s) => s.id === id && s.stage === stage);
  }, 15_000, `${id} listed in ${stage}`);

beforeAll(async () => {
  // 500 starts by one actor would run into the per-actor start budget: off for this file.
  c = await startConsoleStack({ env: { RATE_LIMIT_STARTS: '0', RATE_LIMIT: '0' } });
  await c.api('POST', '/v1/templates', {
    ...onboardingTemplate({ key: TEMPLATE, prefix: 'CBL' }),
    // One rule that notifies Hana of every new case (the example's e-mail rule needs a candidate).
    automations: [{ name: 'Tell Hana', on: 'case.created', do: [{ notify: { to: 'user:hana', subject: 'New onboarding {{case.key}}', body: '{{case.title}} was started.' } }] }],
  });
}, 180_000);

afterAll(async () => {
  await c?.close();
});

test('home: my tasks (overdue first), my cases, unread notifications marked read, needs attention', async () => {
  const jane = await start('Onboard Jane Doe', {}, 'hana');
  const hour = 3_600_000;
  await c.api('POST', `/v1/cases/${jane}/tasks`, { title: 'Order the welcome pack', assignee: 'hana', dueAt: new Date(Date.now() + 3 * 24 * hour).toISOString() });
  await c.api('POST', `/v1/cases/${jane}/tasks`, { title: 'Call Jane about her start date', assignee: 'hana', dueAt: new Date(Date.now() - hour).toISOString() });
  await c.api('POST', `/v1/cases/${jane}/tasks`, { title: 'Someone else’s task', assignee: 'max' });
  await eventually(async () => (await c.api<{ items: unknown[] }>('GET', '/v1/tasks', undefined, c.stack.tokens.hr)).items.length === 2, 15_000, 'Hana’s two tasks');
  await eventually(async () => (await c.api<{ items: unknown[] }>('GET', '/v1/notifications?unread=true', undefined, c.stack.tokens.hr)).items.length >= 1, 15_000, 'Hana’s notification');

  const page = await c.signedInPage(c.stack.tokens.hr, '/console');
  await page.getByRole('heading', { name: 'Hello, Hana HR' }).waitFor();

  const tasks = page.getByRole('region', { name: /^My tasks/ });
  await tasks.getByRole('link', { name: 'Call Jane about her start date' }).waitFor();
  const rows = await tasks.locator('li').allTextContents();
  expect(rows).toHaveLength(2); // not Max's task
  expect(rows[0]).toContain('Call Jane about her start date');
  expect(rows[0]).toContain('Overdue');
  expect(rows[0]).toContain(jane);
  expect(rows[0]).toContain('Onboard Jane Doe');
  expect(rows[1]).toContain('Order the welcome pack');
  expect(rows[1]).not.toContain('Overdue');
  await expect(tasks.getByRole('link', { name: 'Call Jane about her start date' }).getAttribute('href')).resolves.toBe(`/console/cases/${jane}`);

  const mine = page.getByRole('region', { name: 'My cases' });
  await mine.getByRole('link', { name: new RegExp(`${jane} Onboard Jane Doe`) }).waitFor();

  const attention = page.getByRole('region', { name: 'Needs attention' });
  await attention.getByRole('link', { name: new RegExp(jane) }).waitFor();

  const notes = page.getByRole('region', { name: 'Unread notifications' });
  const note = notes.getByRole('listitem').filter({ hasText: `New onboarding ${jane}` });
  await note.waitFor();
  await expectNoSeriousAxeViolations(page, 'the home page');
  await screenshot(page, 'console-home');
  await page.setViewportSize({ width: 820, height: 1180 });
  await expectNoSeriousAxeViolations(page, 'the home page at tablet width');
  await screenshot(page, 'console-home-tablet');

  await note.getByRole('button', { name: /^Mark read/ }).click();
  await note.waitFor({ state: 'detached' });
  const unread = await c.api<{ items: Array<{ subject: string }> }>('GET', '/v1/notifications?unread=true', undefined, c.stack.tokens.hr);
  expect(unread.items.map((n) => n.subject)).not.toContain(`New onboarding ${jane}`);
}, 120_000);

test('board: a refused keyboard move says why, a drag moves the card, a move back asks a reason, another browser follows', async () => {
  const bob = await start('Onboard Bob Board');
  await listed(bob, 'documentation');

  // From the boards index, by the template's name.
  const page = await c.signedInPage(c.stack.tokens.hr, '/console/boards');
  await page.getByRole('link', { name: 'Employee onboarding' }).click();
  await page.waitForURL(new RegExp(`/console/boards/${TEMPLATE}$`));
  await card(page, bob).waitFor();
  // Max watches the same board in another browser; the marker proves it never reloads.
  const other = await c.signedInPage(c.stack.tokens.manager, `/console/boards/${TEMPLATE}`);
  await card(other, bob).waitFor();
  await other.evaluate('window.__sameDocument = true');
  await expect(column(other, 'Documentation').locator(`[data-case="${bob}"]`).count()).resolves.toBe(1);

  // Keyboard: the "Move to…" button opens a menu with focus on its first stage; Enter moves there.
  const moveButton = page.getByRole('button', { name: `Move ${bob} to…` });
  await moveButton.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu', { name: `Move ${bob} to` });
  await menu.waitFor();
  await expect(page.evaluate('document.activeElement && document.activeElement.textContent')).resolves.toContain('Manager review');
  await expect(menu.getByRole('menuitem').allTextContents()).resolves.toEqual(['Manager review', 'IT provisioning · skip, needs a reason', 'Completed · skip, needs a reason']);
  await page.keyboard.press('Enter');

  // Refused: the alert names the case and what its stage still needs, by label.
  const alert = page.getByRole('alert').filter({ hasText: bob });
  await alert.waitFor();
  const said = await alert.textContent();
  expect(said).toContain(`${bob} “Onboard Bob Board” was not moved to Manager review`);
  expect(said).toContain('Fields still needed: Start date, Contract type');
  await expect(column(page, 'Documentation').locator(`[data-case="${bob}"]`).count()).resolves.toBe(1);
  // Focus is back on the card's button, so a keyboard user can carry on from there.
  await expect(page.evaluate('document.activeElement && document.activeElement.textContent')).resolves.toBe(`Move ${bob} to…`);
  await expectNoSeriousAxeViolations(page, 'the board with a refused move');
  await screenshot(page, 'console-board-refused');

  // Escape closes the menu and returns focus to its button. (Focus the button again first: the
  // axe run and the screenshot took a while, and a poll may have re-rendered the board meanwhile.)
  await moveButton.focus();
  await page.keyboard.press('Enter');
  await menu.waitFor();
  await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'detached' });
  await expect(page.evaluate('document.activeElement && document.activeElement.textContent')).resolves.toBe(`Move ${bob} to…`);

  // Fill what was missing through the API, then drag the card onto Manager review.
  await c.api('PATCH', `/v1/cases/${bob}/fields`, { startDate: '2027-01-04', contractType: 'employee' });
  await card(page, bob).dragTo(column(page, 'Manager review'));
  await column(page, 'Manager review').locator(`[data-case="${bob}"]`).waitFor();
  await expect(column(page, 'Documentation').locator(`[data-case="${bob}"]`).count()).resolves.toBe(0);
  await expect(c.api<{ stage: { key: string } }>('GET', `/v1/cases/${bob}`)).resolves.toMatchObject({ stage: { key: 'review' } });
  await expect(page.getByRole('alert').filter({ hasText: 'was not moved' }).count()).resolves.toBe(0);

  // The other browser sees it move by polling, without a reload.
  await column(other, 'Manager review').locator(`[data-case="${bob}"]`).waitFor({ timeout: 15_000 });
  await expect(other.evaluate('window.__sameDocument === true')).resolves.toBe(true);
  await screenshot(other, 'console-board-other-browser');

  // A move back asks why first: Cancel changes nothing; an empty reason is refused; Confirm moves it.
  await page.getByRole('button', { name: `Move ${bob} to…` }).click();
  await page.getByRole('menuitem', { name: /^Documentation/ }).click();
  const dialog = page.getByRole('dialog', { name: `Move ${bob} back to Documentation` });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await expect(column(page, 'Manager review').locator(`[data-case="${bob}"]`).count()).resolves.toBe(1);

  await card(page, bob).dragTo(column(page, 'Documentation'));
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await dialog.getByText('Say why').waitFor();
  await expect(dialog.getByLabel('Reason').getAttribute('aria-invalid')).resolves.toBe('true');
  await dialog.getByLabel('Reason').fill('The start date was wrong');
  await expectNoSeriousAxeViolations(page, 'the reason dialog');
  await screenshot(page, 'console-board-reason');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await column(page, 'Documentation').locator(`[data-case="${bob}"]`).waitFor();
  const entered = await c.api<{ items: Array<{ type: string; data: { stage: string; reason?: string } }> }>('GET', `/v1/cases/${bob}/timeline?type=stage.entered`);
  expect(entered.items.at(-1)?.data).toMatchObject({ stage: 'documentation', reason: 'The start date was wrong' });

  // Columns show counts; the page works at tablet width too.
  await expect(column(page, 'Documentation').textContent()).resolves.toMatch(/\d+ cases?/);
  await expectNoSeriousAxeViolations(page, 'the board');
  await screenshot(page, 'console-board');
  await page.setViewportSize({ width: 820, height: 1180 });
  await card(page, bob).getByRole('button', { name: `Move ${bob} to…` }).waitFor();
  await expectNoSeriousAxeViolations(page, 'the board at tablet width');
  await screenshot(page, 'console-board-tablet');
}, 150_000);

test('list: find cases by text and by stage, sort by a column, save a view and apply it again', async () => {
  const carla = await start('Onboard Carla Listwise');
  const dora = await start('Onboard Dora Stagehand');
  await c.api('PATCH', `/v1/cases/${dora}/fields`, { startDate: '2027-02-01', contractType: 'contractor' });
  await c.api('POST', `/v1/cases/${dora}/advance`, { to: 'review' });
  await listed(carla, 'documentation');
  await listed(dora, 'review');

  const page = await c.signedInPage(c.stack.tokens.hr, '/console/cases');
  const table = page.locator('table.cases-table');
  await table.getByRole('link', { name: carla, exact: true }).waitFor();

  // By text: the query goes into the URL (bookmarkable).
  await page.getByLabel('Search').fill('Listwise');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/\/console\/cases\?q=Listwise$/);
  await table.getByRole('link', { name: carla, exact: true }).waitFor();
  await eventually(async () => (await table.locator('tbody tr').count()) === 1, 10_000, 'only Carla listed');

  // Save it as a view.
  await page.getByLabel('View name').fill('Carla');
  await page.getByRole('button', { name: 'Save this view' }).click();
  await page.getByRole('status').filter({ hasText: 'View “Carla” saved.' }).waitFor();
  await expect(c.api<{ items: Array<{ name: string; query: Record<string, string> }> }>('GET', '/v1/views', undefined, c.stack.tokens.hr)).resolves.toMatchObject({
    items: [{ name: 'Carla', query: { q: 'Listwise' } }],
  });

  // By template and stage: the stage select offers the chosen template's stages by name.
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await page.waitForURL(/\/console\/cases$/);
  await expect(page.getByLabel('Stage').isDisabled()).resolves.toBe(true);
  await page.getByLabel('Template').selectOption(TEMPLATE);
  await page.waitForURL(new RegExp(`template=${TEMPLATE}`));
  await page.getByLabel('Stage').selectOption({ label: 'Manager review' });
  await page.waitForURL(/stage=review/);
  await table.getByRole('link', { name: dora, exact: true }).waitFor();
  await eventually(async () => (await table.getByRole('link', { name: carla, exact: true }).count()) === 0, 10_000, 'Carla filtered out');
  await expect(table.locator('tbody tr').filter({ hasText: dora }).textContent()).resolves.toContain('Manager review');

  // Export CSV downloads this view (template and stage filters): the list columns, the template's fields by label, Dora's row.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^cases-${TEMPLATE}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  expect(csv.startsWith('\uFEFF')).toBe(true);
  const [header, ...rows] = parseCsv(csv.slice(1));
  expect(header).toEqual([
    'key', 'title', 'template', 'template version', 'status', 'stage', 'owner', 'created', 'updated', 'closed', 'due', 'overdue', 'open tasks',
    'Full name', 'Personal e-mail', 'Start date', 'Contract type', 'Equipment', 'Yearly salary', 'Remote',
  ]);
  const doraRow = rows.find((r) => r[0] === dora);
  expect(doraRow?.slice(1, 6)).toEqual(['Onboard Dora Stagehand', TEMPLATE, '1', 'open', 'review']);
  expect(doraRow?.slice(13, 17)).toEqual(['Dora Stagehand', '', '2027-02-01', 'contractor']);
  expect(rows.every((r) => r[5] === 'review')).toBe(true);

  // Sorting by title: a header button, with aria-sort saying how.
  await page.getByLabel('Stage').selectOption('');
  await page.waitForURL((u) => !u.search.includes('stage='));
  await table.getByRole('link', { name: carla, exact: true }).waitFor();
  await page.getByRole('button', { name: /^Title/ }).click();
  await page.waitForURL(/sort=title(&|$)/);
  await expect(page.locator('th', { has: page.getByRole('button', { name: /^Title/ }) }).getAttribute('aria-sort')).resolves.toBe('ascending');
  await eventually(async () => {
    const titles = (await table.locator('tbody td.title').allTextContents()).map((t) => t.trim());
    return titles.length >= 2 && titles.join('|') === [...titles].sort((a, b) => a.localeCompare(b)).join('|');
  }, 10_000, 'titles ascending');
  await page.getByRole('button', { name: /^Title/ }).click();
  await page.waitForURL(/sort=-title/);
  await expect(page.locator('th', { has: page.getByRole('button', { name: /^Title/ }) }).getAttribute('aria-sort')).resolves.toBe('descending');
  await expectNoSeriousAxeViolations(page, 'the cases list');
  await screenshot(page, 'console-cases-list');

  // Re-apply the saved view.
  await page.getByRole('region', { name: 'Saved views' }).getByRole('link', { name: 'Carla', exact: true }).click();
  await page.waitForURL(/\/console\/cases\?q=Listwise$/);
  await expect(page.getByLabel('Search').inputValue()).resolves.toBe('Listwise');
  await eventually(async () => (await table.locator('tbody tr').count()) === 1 && (await table.getByRole('link', { name: carla, exact: true }).count()) === 1, 10_000, 'the view’s cases');
  await expect(page.getByRole('region', { name: 'Saved views' }).getByRole('link', { name: 'Carla', exact: true }).getAttribute('aria-current')).resolves.toBe('true');

  await page.setViewportSize({ width: 820, height: 1180 });
  await expectNoSeriousAxeViolations(page, 'the cases list at tablet width');
  await screenshot(page, 'console-cases-list-tablet');

  await page.getByRole('button', { name: 'Delete view Carla' }).click();
  await page.getByRole('status').filter({ hasText: 'View “Carla” deleted.' }).waitFor();
  await expect(c.api('GET', '/v1/views', undefined, c.stack.tokens.hr)).resolves.toEqual({ items: [] });
}, 120_000);

test('a board of 500 cards renders them all (time measured and printed), and the list pages through them', async () => {
  await c.api('POST', '/v1/templates', {
    key: BULK,
    name: 'Bulk intake',
    prefix: 'BLK',
    roles: ['hr'],
    fields: [{ key: 'ref', label: 'Reference', type: 'text' }],
    stages: [
      { key: 'inbox', name: 'Inbox' },
      { key: 'triage', name: 'Triage' },
      { key: 'done', name: 'Done', terminal: true },
    ],
  });
  const started = Date.now();
  for (let batch = 0; batch < 25; batch++) {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const n = batch * 20 + i + 1;
        return c.api('POST', '/v1/cases', { template: BULK, title: `Bulk request ${String(n).padStart(3, '0')}`, fields: { ref: `R-${n}` } });
      }),
    );
  }
  await eventually(
    async () => {
      const board = await c.api<BoardAnswer>('GET', `/v1/boards/${BULK}?limit=500`);
      return board.stages.reduce((n, s) => n + s.cases.length, 0) === 500;
    },
    60_000,
    'the read model has 500 cases',
  );
  console.log(`500 cases started and projected in ${Date.now() - started} ms`);

  const page = await c.signedInPage(c.stack.tokens.admin, '/console');
  // Measured in the page: when the 500th card is in the document, and after the frame that paints
  // it. Installed before the page's own scripts (and outside its CSP, which forbids eval).
  await page.addInitScript(`(() => {
    const seen = () => {
      if (document.querySelectorAll('.board-card').length < 500) return false;
      window.__cardsInDom = performance.now();
      requestAnimationFrame(() => setTimeout(() => { window.__cardsPainted = performance.now(); }, 0));
      return true;
    };
    new MutationObserver((_, observer) => { if (seen()) observer.disconnect(); }).observe(document, { childList: true, subtree: true });
  })()`);
  const before = Date.now();
  await page.goto(`${c.base}/console/boards/${BULK}`);
  const painted = await eventually(async () => (await page.evaluate('window.__cardsPainted')) as number | undefined, 60_000, '500 cards rendered');
  const wall = Date.now() - before;
  const inDom = (await page.evaluate('window.__cardsInDom')) as number;
  console.log(`board render 500 cards: ${Math.round(painted)} ms from navigation start to the frame showing them (in the DOM at ${Math.round(inDom)} ms; wall clock around goto: ${wall} ms)`);
  await expect(page.locator('.board-card').count()).resolves.toBe(500);
  await expect(column(page, 'Inbox').locator('.column-count').textContent()).resolves.toBe('500 cases');
  await column(page, 'Inbox').getByRole('link', { name: 'Bulk request 001', exact: true }).waitFor({ state: 'attached' });
  await screenshot(page, 'console-board-500');

  // The list pages through them 50 at a time, forward and back.
  await page.goto(`${c.base}/console/cases?template=${BULK}&sort=title`);
  const table = page.locator('table.cases-table');
  await table.getByText('Bulk request 001', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Next page' }).click();
  await table.getByText('Bulk request 051', { exact: true }).waitFor();
  await page.waitForURL(/cursor=/);
  await expect(table.locator('tbody tr').count()).resolves.toBe(50);
  await page.getByRole('button', { name: 'Next page' }).click();
  await table.getByText('Bulk request 101', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await table.getByText('Bulk request 051', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await table.getByText('Bulk request 001', { exact: true }).waitFor();
  await page.waitForURL((u) => !u.search.includes('cursor='));
  await expect(page.getByRole('button', { name: 'Previous page' }).isDisabled()).resolves.toBe(true);
}, 180_000);
