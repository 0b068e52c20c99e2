/**
 * The portal in a real browser: Debian's chromium driven by playwright-core, JavaScript off (the
 * portal must work without it), a phone-sized window. Opens a magic link, uploads a file, submits
 * the form, and sees the stage progress move; saves screenshots under test-output/screenshots.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { startTestStack, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(__dirname, '../../test-output/screenshots');

let stack: TestStack;
let server: Server;
let base: string;
let browser: Browser;

const template = {
  key: 'portal-browser',
  name: 'Portal in a browser',
  prefix: 'PBR',
  fields: [
    { key: 'fullName', label: 'Full name', type: 'text', required: true },
    { key: 'email', label: 'Personal e-mail', type: 'email', external: true },
    { key: 'remote', label: 'Working remotely', type: 'boolean', external: true },
    { key: 'equipment', label: 'Equipment', type: 'multiselect', options: ['laptop', 'phone'], external: true },
  ],
  documents: [{ key: 'idCard', label: 'ID card', external: true, contentTypes: ['application/pdf'] }],
  stages: [
    { key: 'documentation', name: 'Documentation', publicName: 'Sending your documents' },
    { key: 'review', name: 'Manager review', publicName: 'We are checking your file' },
    { key: 'completed', name: 'Completed', publicName: 'All done', terminal: true },
  ],
};

async function api(method: string, url: string, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { Authorization: `Bearer ${stack.tokens.admin}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install chromium (.ci/run does)`);
  stack = await startTestStack();
  server = await new Promise<Server>((resolve) => {
    const s = stack.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stack?.close();
});

test('a candidate opens the magic link, uploads a document, fills in the form and sees the progress', async () => {
  await api('POST', '/v1/templates', template);
  const created = await api('POST', '/v1/cases', {
    template: 'portal-browser',
    title: 'Onboard Jane Doe',
    fields: { fullName: 'Jane Doe' },
    participants: [{ kind: 'external', role: 'candidate', name: 'Jane Doe', email: 'jane@example.com' }],
  });
  const caseKey = created.id as string;
  const link = await api('POST', `/v1/cases/${caseKey}/portal-links`, { participantId: 'P-1' });
  expect(link.url).toBe(`${base}/portal/${link.token as string}`);

  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, locale: 'en-GB' });
  const page = await context.newPage();
  try {
    const opened = await page.goto(link.url as string);
    expect(opened?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Onboard Jane Doe');
    await expect(page.locator('[aria-current="step"]').textContent()).resolves.toContain('Sending your documents');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'portal-1-opened.png'), fullPage: true });

    // Upload through the form's own file input and submit button.
    await page.getByLabel('Choose a file for ID card').setInputFiles({ name: 'passport.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% a passport scan\n') });
    await Promise.all([page.waitForURL(/\?done=uploaded&slot=idCard$/), page.getByRole('button', { name: 'Upload ID card' }).click()]);
    await expect(page.getByRole('status').textContent()).resolves.toContain('Thank you: we received your ID card.');
    await expect(page.locator('body').textContent()).resolves.toContain('ID card: received, being checked');

    // The external form, by its labels.
    await page.getByLabel('Personal e-mail').fill('jane.doe@example.com');
    await page.getByLabel('Yes').check();
    await page.getByLabel('laptop').check();
    await Promise.all([page.waitForURL(/\?done=saved$/), page.getByRole('button', { name: 'Save my details' }).click()]);
    await expect(page.getByRole('status').textContent()).resolves.toContain('your details were saved');
    await expect(page.getByLabel('Personal e-mail').inputValue()).resolves.toBe('jane.doe@example.com');

    // What landed on the case, and as whom.
    const view = await api('GET', `/v1/cases/${caseKey}`);
    const documents = view.documents as Record<string, { items: Array<{ fileName: string; uploadedBy: { id: string; kind: string } }> }>;
    expect(documents.idCard?.items[0]).toMatchObject({ fileName: 'passport.pdf', uploadedBy: { id: 'P-1', kind: 'external' } });
    expect(view.fields).toMatchObject({ email: 'jane.doe@example.com', remote: true, equipment: ['laptop'] });

    // The team moves the case on; the candidate sees the progress.
    await api('POST', `/v1/cases/${caseKey}/advance`, { to: 'review' });
    await page.goto(link.url as string);
    await expect(page.locator('[aria-current="step"]').textContent()).resolves.toContain('We are checking your file');
    await expect(page.locator('.progress li.past').textContent()).resolves.toContain('Sending your documents');
    await expect(page.getByText('Step 2 of 3').count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'portal-2-progress.png'), fullPage: true });
    expect(fs.statSync(path.join(SCREENSHOTS, 'portal-2-progress.png')).size).toBeGreaterThan(5_000);
  } finally {
    await context.close();
  }
}, 120_000);
