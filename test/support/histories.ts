import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureTemporalCli } from '../../scripts/temporal-cli';

export const historiesDir = path.resolve(__dirname, '../histories');

/**
 * With RECORD_HISTORIES=1, saves a run's history for the replay test, exported by the Temporal
 * CLI in the same JSON format as `temporal workflow show -o json`.
 */
export async function recordHistory(address: string, workflowId: string, runId: string | undefined, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const cli = await ensureTemporalCli();
  const args = ['workflow', 'show', '--address', address, '-w', workflowId, '-o', 'json', ...(runId ? ['-r', runId] : [])];
  const { stdout } = await promisify(execFile)(cli, args, { maxBuffer: 64 * 1024 * 1024 });
  fs.mkdirSync(historiesDir, { recursive: true });
  fs.writeFileSync(path.join(historiesDir, `${name}.json`), stdout);
}
