/**
 * Console tests in a real browser: Debian's chromium driven by playwright-core against a test
 * stack listening on a real port. `signedInPage` opens the console signed in as a test actor (the
 * way npm start's link does: `#token=` in the fragment); `expectNoSeriousAxeViolations` runs
 * axe-core in the page (through the DevTools protocol, so the console's CSP stays strict);
 * `screenshot` keeps a picture under test-output/screenshots.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestStack, type TestStack } from './stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(__dirname, '../../test-output/screenshots');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface ConsoleStack {
  stack: TestStack;
  base: string;
  browser: Browser;
  /** A JSON API call as an actor (admin by default), for setting up data; throws on a non-2xx answer. */
  api<T = Record<string, unknown>>(method: string, url: string, body?: unknown, token?: string): Promise<T>;
  /** A new browser context at 1280×800 (or `viewport`), in a fixed time zone and locale. */
  newContext(opts?: { viewport?: { width: number; height: number }; timezoneId?: string }): Promise<BrowserContext>;
  /** A page in a new context, signed in with `token` and showing `url` (a /console path). */
  signedInPage(token: string, url?: string, opts?: { viewport?: { width: number; height: number }; timezoneId?: string }): Promise<Page>;
  close(): Promise<void>;
}

export async function startConsoleStack(opts: Parameters<typeof startTestStack>[0] = {}): Promise<ConsoleStack> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install chromium (.ci/run does)`);
  const stack = await startTestStack(opts);
  const server = await new Promise<Server>((resolve) => {
    const s = stack.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const contexts: BrowserContext[] = [];

  const api = async <T,>(method: string, url: string, body?: unknown, token = stack.tokens.admin): Promise<T> => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const newContext = async (o: { viewport?: { width: number; height: number }; timezoneId?: string } = {}) => {
    const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: o.timezoneId ?? 'Europe/Paris', deviceScaleFactor: 1 });
    contexts.push(context);
    return context;
  };
  const signedInPage = async (token: string, url = '/console', o: { viewport?: { width: number; height: number }; timezoneId?: string } = {}) => {
    const page = await (await newContext(o)).newPage();
    await page.goto(`${base}${url}#token=${encodeURIComponent(token)}`);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  };
  return {
    stack,
    base,
    browser,
    api,
    newContext,
    signedInPage,
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await new Promise((resolve) => server.close(resolve));
      await stack.close();
    },
  };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/** Runs axe-core on the page as it is now; fails on any serious or critical violation, listing them. */
export async function expectNoSeriousAxeViolations(page: Page, what: string): Promise<void> {
  // The test's tsconfig has no DOM types: the page-side code is a string, evaluated in the page.
  const loaded = (await page.evaluate('typeof window.axe !== "undefined"')) as boolean;
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`)) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) throw new Error(`axe-core: ${serious.length} serious violation(s) on ${what}:\n${JSON.stringify(serious, null, 2)}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
