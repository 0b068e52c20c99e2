/**
 * Runs `temporal server start-dev` as a child process: used by `npm start` (persistent SQLite
 * file, Web UI) and by the test suite (in-memory, headless, random port).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { TemporalConnectionOptions } from '../temporal/connection-options';
import { registerSearchAttributes } from '../worker/search-attributes';

export interface TemporalDevServerOptions {
  cliPath: string;
  /** Persistent SQLite file (WAL journal); in-memory when omitted. */
  dbFile?: string;
  ip?: string;
  /** 0 or undefined: a free port is picked. */
  port?: number;
  /** 0 or undefined: a free port is picked (ignored when headless). */
  uiPort?: number;
  headless?: boolean;
  /** The codec server the Web UI decodes payloads with (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  namespace?: string;
  dynamicConfig?: Record<string, unknown>;
  /** Server stdout/stderr are appended here; discarded when omitted. */
  logFile?: string;
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  namespace: string;
  stop(): Promise<void>;
}

const DEFAULT_NAMESPACE = 'default';
const LOG_TAIL_BYTES = 16 * 1024;

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = opts.log ?? (() => undefined);
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const pickedPort = !opts.port;
  const pickedUiPort = !opts.headless && !opts.uiPort;

  // Picking a port and handing it to the child is racy; when we picked it, retry on a clash.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port || (await freePort(ip));
    const uiPort = opts.headless ? undefined : opts.uiPort || (await freePort(ip, [port]));
    try {
      return await startOnce({ ...opts, ip, namespace, port, uiPort, log });
    } catch (err) {
      const clash = err instanceof PortInUseError && (pickedPort || pickedUiPort);
      if (!clash || attempt >= 3) throw err;
      log('port clash with another process; retrying with other ports');
    }
  }
}

class PortInUseError extends Error {}

interface ResolvedOptions extends TemporalDevServerOptions {
  ip: string;
  namespace: string;
  port: number;
  uiPort: number | undefined;
  log: (line: string) => void;
}

async function startOnce(opts: ResolvedOptions): Promise<TemporalDevServer> {
  const { ip, port, uiPort, namespace, log } = opts;
  const hostForClients = ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  const address = `${hostForClients.includes(':') ? `[${hostForClients}]` : hostForClients}:${port}`;

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  if (opts.dbFile) {
    // The CLI refuses a db file whose folder does not exist.
    fs.mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });
    args.push('--db-filename', path.resolve(opts.dbFile), '--sqlite-pragma', 'journal_mode=WAL');
  }
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (uiPort !== undefined && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  // "default" is always created; naming it again is redundant.
  if (namespace !== DEFAULT_NAMESPACE) args.push('--namespace', namespace);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  const output = new OutputSink(opts.logFile);
  output.write(`\n--- ${new Date().toISOString()} ${opts.cliPath} ${args.join(' ')}\n`);
  const started = Date.now();
  log(`starting Temporal dev server on ${address}${opts.dbFile ? ` (db ${opts.dbFile})` : ' (in-memory)'}`);

  // Its own process group: a Ctrl-C in the terminal reaches `npm start`, which stops the server
  // last, after requests in flight and the worker (the orphan guard below still covers a crash).
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', (d: Buffer) => output.write(d));
  child.stderr?.on('data', (d: Buffer) => output.write(d));
  let closed = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' rather than 'exit': it also waits for the output pipes to drain, so the error
    // tail we report on an early exit holds the CLI's last words.
    child.once('close', (code, signal) => {
      closed = true;
      resolve({ code, signal });
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  const guard = guardAgainstOrphan(child);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      guard.dispose();
      await terminate(child, exited);
      await output.close();
    })());

  try {
    const connection = await waitUntilReady({
      connect: { address },
      timeoutMs: opts.readyTimeoutMs ?? 120_000,
      hasExited: () => spawnError ?? (closed ? 'exited' : undefined),
      describeFailure: (why) => {
        const tail = output.tail();
        const message = `Temporal dev server ${why}. Last output:\n${tail || '(none)'}`;
        return /address already in use/i.test(tail) ? new PortInUseError(message) : new Error(message);
      },
    });
    try {
      await registerSearchAttributes(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stop();
    throw err;
  }

  log(`Temporal dev server ready on ${address} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${hostForClients === '127.0.0.1' ? 'localhost' : hostForClients}:${uiPort}`,
    namespace,
    stop,
  };
}

interface WaitOptions {
  connect: TemporalConnectionOptions;
  timeoutMs: number;
  hasExited: () => Error | string | undefined;
  describeFailure: (why: string) => Error;
}

/** Polls until the frontend answers a health check; the caller owns the returned connection. */
async function waitUntilReady(w: WaitOptions): Promise<Connection> {
  const deadline = Date.now() + w.timeoutMs;
  let lastError = 'no attempt yet';
  for (;;) {
    const exited = w.hasExited();
    if (exited) {
      throw w.describeFailure(typeof exited === 'string' ? 'exited before it was ready' : `failed to start: ${exited.message}`);
    }
    // lazy + ensureConnected rather than connect(): in SDK 1.24 a failed connect() never closes
    // the gRPC channel it opened, and this loop may fail many times while the server boots.
    const connection = Connection.lazy({ ...w.connect, connectTimeout: 2_000 });
    try {
      await connection.ensureConnected();
      const health = await connection.withDeadline(Date.now() + 5_000, () => connection.healthService.check({}));
      if (health.status === 1 /* SERVING */) return connection;
      lastError = `health status ${health.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await connection.close().catch(() => undefined);
    if (Date.now() > deadline) {
      throw w.describeFailure(`was not ready on ${w.connect.address} within ${w.timeoutMs / 1000}s (last error: ${lastError})`);
    }
    await sleep(250);
  }
}

/** Exported for callers that were handed an address (and how to connect: TLS, API key) and want to fail fast if nothing is there. */
export async function checkTemporalReachable(target: string | TemporalConnectionOptions, timeoutMs = 10_000): Promise<void> {
  const connect = typeof target === 'string' ? { address: target } : target;
  const connection = await waitUntilReady({
    connect,
    timeoutMs,
    hasExited: () => undefined,
    describeFailure: (why) => new Error(`Temporal at ${connect.address} ${why}`),
  });
  await connection.close();
}

async function terminate(
  child: ChildProcess,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
): Promise<void> {
  if (child.pid === undefined) return; // never spawned
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 10_000))),
  ]);
  clearTimeout(timer);
  if (killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Node cannot set PR_SET_PDEATHSIG, so two layers keep the server from outliving us:
 * an 'exit' hook for normal exits and process.exit(), and a tiny detached shell watchdog for a
 * parent killed by a signal (SIGKILL, an unhandled SIGTERM) where no JS runs.
 */
function guardAgainstOrphan(child: ChildProcess): { dispose(): void } {
  const onExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', onExit);

  let watchdog: ChildProcess | undefined;
  if (child.pid !== undefined && process.platform !== 'win32') {
    const script =
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
      'if kill -0 "$2" 2>/dev/null; then kill -TERM "$2"; sleep 10; kill -KILL "$2" 2>/dev/null; fi';
    watchdog = spawn('sh', ['-c', script, 'watchdog', String(process.pid), String(child.pid)], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.on('error', () => undefined);
    watchdog.unref();
  }
  return {
    dispose() {
      process.off('exit', onExit);
      if (watchdog?.exitCode === null) watchdog.kill('SIGKILL');
    },
  };
}

/** Keeps the last few KiB of server output for error messages, and optionally a log file. */
class OutputSink {
  private buf = '';
  private closed = false;
  private readonly stream: fs.WriteStream | undefined;

  constructor(logFile?: string) {
    if (logFile) {
      fs.mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
      this.stream = fs.createWriteStream(logFile, { flags: 'a' });
      this.stream.on('error', () => undefined);
    }
  }

  write(chunk: Buffer | string): void {
    if (!this.closed) this.stream?.write(chunk);
    this.buf = (this.buf + chunk.toString()).slice(-LOG_TAIL_BYTES);
  }

  tail(lines = 40): string {
    return this.buf.trimEnd().split('\n').slice(-lines).join('\n');
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => (this.stream ? this.stream.end(resolve) : resolve()));
  }
}

/** Binds port 0 to let the kernel choose, then releases it for the child to take. */
export function freePort(host = '127.0.0.1', avoid: number[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => (avoid.includes(port) ? freePort(host, avoid).then(resolve, reject) : resolve(port)));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
