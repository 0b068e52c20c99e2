import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

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
