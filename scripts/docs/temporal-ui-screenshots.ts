/**
 * Screenshots of a case run in the Temporal Web UI for the README (docs/temporal-ui-*.png: the
 * list with the case columns, a run's history, its user metadata):
 *   npx tsx scripts/docs/temporal-ui-screenshots.ts [--ui http://localhost:8233] [--workflow case-ONB-1]
 * Run it against `npm start` after the README walkthrough has made ONB-1. Drives Debian's chromium
 * with playwright-core.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    ui: { type: 'string', default: 'http://localhost:8233' },
    namespace: { type: 'string', default: 'default' },
    workflow: { type: 'string', default: 'case-ONB-1' },
    out: { type: 'string', default: path.resolve(__dirname, '../../docs') },
  },
});

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const base = `${values.ui}/namespaces/${values.namespace}`;
    await page.goto(`${base}/workflows`, { waitUntil: 'networkidle' });
    await page.waitForTimeout(1000);
    // The list shows a case's stage, owner, status and due date once these columns are added
    // (Configure Workflows Table: kept per browser).
    await page.getByTestId('workflows-summary-table-configuration-button').click();
    for (const column of ['CaseStage', 'CaseOwner', 'CaseStatus', 'CaseDueAt']) await page.getByTestId(`orderable-list-item-${column}-add-button`).click();
    for (const column of ['Run ID', 'End']) await page.getByTestId(`orderable-list-item-${column}-remove-button`).click().catch(() => undefined);
    await page.getByTestId('drawer-close-button').click();
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(values.out!, 'temporal-ui-list.png') });
    await page.goto(`${base}/workflows/${values.workflow}`, { waitUntil: 'networkidle' });
    await page.waitForTimeout(2000);
    await page.screenshot({ path: path.join(values.out!, 'temporal-ui-case.png'), fullPage: true });
    // The summary set at start and the current details the run keeps up to date.
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await page.waitForTimeout(1000);
    await page.screenshot({ path: path.join(values.out!, 'temporal-ui-details.png') });
    console.log(`screenshots written to ${values.out}`);
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
