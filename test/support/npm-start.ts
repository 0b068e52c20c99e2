import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { freePort } from '../../scripts/temporal-dev-server';

/** `npm start` as a newcomer runs it, in the repository root, with `env`. */
export interface NpmStart {
  child: ChildProcess;
  output: () => string;
  /** The API's base URL (without /v1) and the development token from the banner. */
  api: string;
  token: string;
}

const root = path.resolve(__dirname, '../..');

/** Starts `npm start` and waits for its banner (150 s at most); a failed start leaves nothing running. */
export async function npmStart(env: NodeJS.ProcessEnv): Promise<NpmStart> {
  const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // A failed start must not leave npm start running: its open pipes would keep jest from exiting.
  const fail = (message: string) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    return new Error(message);
  };
  const deadline = Date.now() + 150_000;
  // The whole banner, not just its first line: it may arrive in several chunks.
  while (!/Press Ctrl-C to stop/.test(output)) {
    if (child.exitCode !== null) throw fail(`npm start exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw fail(`npm start was not ready in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const api = /API\s+(http:\/\/\S+)\/v1/.exec(output)?.[1];
  const token = /Dev token\s+(\S+)/.exec(output)?.[1];
  if (!api || !token) throw fail(`could not read the URLs from:\n${output}`);
  return { child, output: () => output, api, token };
}

/** Ctrl-C in a terminal: SIGINT to the whole process group. Resolves with what it printed from "Stopping…" once every process has exited. */
export async function ctrlC(running: NpmStart): Promise<string> {
  const closed = new Promise<void>((resolve) => running.child.once('close', () => resolve()));
  process.kill(-running.child.pid!, 'SIGINT');
  await closed;
  return running.output().slice(running.output().lastIndexOf('Stopping…'));
}

/**
 * The environment of a newcomer's `npm start`, on free ports and a fresh data folder (embedded
 * PGlite, the dev server's SQLite file, a generated payload key): nothing of the test run's own.
 */
export async function npmStartEnv(taskQueue: string): Promise<{ env: NodeJS.ProcessEnv; dataDir: string; temporalAddress: string; uiPort: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cases-e2e-'));
  const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_CLI: await ensureTemporalCli(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  delete env.PAYLOAD_KEYS;
  return { env, dataDir, temporalAddress: `127.0.0.1:${temporalPort}`, uiPort };
}
