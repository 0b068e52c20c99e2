/**
 * The processes a benchmark starts: each in its own process group, logged to a file, stopped by
 * PID (group) newest first, and never left behind — on a normal exit, an exception, Ctrl-C, or the
 * harness being killed outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './stats';

export interface BenchProcess {
  name: string;
  pid: number;
  logFile: string;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
}

interface Running extends BenchProcess {
  child: ChildProcess;
  watchdog: ChildProcess;
}

const running: Running[] = [];

/**
 * Starts `command` detached, i.e. as the leader of a new process group: a Ctrl-C in the terminal
 * then reaches only the harness, which stops the children in order (the worker before the server
 * it talks to), and stopping a group also reaches whatever the child spawned itself.
 */
export function startProcess(name: string, command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }): BenchProcess {
  const logFile = path.join(opts.logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'w');
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  // If the harness is SIGKILLed no JS runs: a tiny shell outside both groups stops the child then.
  const watchdog = spawn(
    'sh',
    ['-c', 'while kill -0 "$1" 2>/dev/null && kill -0 -"$2" 2>/dev/null; do sleep 1; done; kill -TERM -"$2" 2>/dev/null; sleep 10; kill -KILL -"$2" 2>/dev/null', 'watchdog', String(process.pid), String(child.pid)],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const rec: Running = { name, pid: child.pid, logFile, exited: null, child, watchdog };
  child.on('exit', (code, signal) => (rec.exited = { code, signal }));
  running.push(rec);
  return rec;
}

export const logTail = (p: BenchProcess, lines = 15) => fs.readFileSync(p.logFile, 'utf8').split('\n').slice(-lines).join('\n');

/** Waits until the process's log matches `pattern`; fails at once if the process exits. */
export async function waitForLog(p: BenchProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.exited) throw new Error(`${p.name} exited (${JSON.stringify(p.exited)}); ${p.logFile}:\n${logTail(p)}`);
    if (pattern.test(fs.readFileSync(p.logFile, 'utf8'))) return;
    if (Date.now() > deadline) throw new Error(`${p.name} did not log ${pattern} within ${timeoutMs} ms; ${p.logFile}:\n${logTail(p)}`);
    await sleep(200);
  }
}

function signalGroup(p: Running, signal: NodeJS.Signals) {
  try {
    process.kill(-p.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to every group, newest first (each gets `graceMs` to shut down cleanly), then SIGKILL. */
export async function stopAll(graceMs = 15_000): Promise<void> {
  for (const p of [...running].reverse()) {
    if (!p.exited) {
      signalGroup(p, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (!p.exited && Date.now() < deadline) await sleep(100);
    }
    // The leader may exit before the rest of its group.
    signalGroup(p, 'SIGKILL');
    p.watchdog.kill('SIGKILL');
  }
  running.length = 0;
}

// Any exit where JS still runs (process.exit, an uncaught exception) takes the children with it.
process.on('exit', () => {
  for (const p of running) {
    signalGroup(p, 'SIGKILL');
    p.watchdog.kill('SIGKILL');
  }
});

/** On SIGINT/SIGTERM: run `cleanup` once (later signals wait for it), then exit 130. */
export function onInterrupt(cleanup: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: stopping the benchmark's processes`);
    cleanup()
      .catch((err: unknown) => console.error(err))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * The command a package.json script runs, for scripts of the form `[VAR=value ...] node <args>`:
 * the benchmark starts exactly what `npm run worker` / `npm run api` start, without npm and a
 * shell in between, so the PID it measures is the service's own and a signal reaches it once.
 */
export function npmScriptCommand(root: string, script: string): { command: string; args: string[]; env: Record<string, string> } {
  const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const line = scripts[script];
  const words = line?.trim().split(/\s+/) ?? [];
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [key, ...value] = words.shift()!.split('=');
    env[key!] = value.join('=');
  }
  if (words.shift() !== 'node' || words.some((w) => /["'$`&|;<>]/.test(w))) {
    throw new Error(`package.json script "${script}" (${line}) is not "[VAR=value ...] node <args>": teach scripts/bench/processes.ts to start it`);
  }
  return { command: process.execPath, args: words, env };
}
