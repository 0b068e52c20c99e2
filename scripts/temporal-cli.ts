/**
 * Finds or provisions the `temporal` CLI (which embeds the dev server and Web UI).
 *
 * Order: TEMPORAL_CLI → `temporal` on PATH → <project>/.tools/bin/temporal → `go install` →
 * official release archive. The Go build comes before the download because these machines reach
 * the Go module proxy but not the release site; the download stays for everyone else.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
// Later tags carry a `replace` directive in go.mod and cannot be `go install`ed.
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;
const BINARY_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

export interface EnsureTemporalCliOptions {
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Walks up to package.json so the same code works from scripts/ (tsx) and dist/scripts/ (tsc). */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '..');
    dir = parent;
  }
}

export function projectToolsBin(): string {
  return path.join(projectRoot(), '.tools', 'bin');
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

interface Attempt {
  source: string;
  reason: string;
}

export async function ensureTemporalCli(opts: EnsureTemporalCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`[temporal-cli] ${line}\n`));
  const attempts: Attempt[] = [];

  // An explicit choice that is broken must not silently fall through to another binary.
  const explicit = env.TEMPORAL_CLI?.trim();
  if (explicit) {
    const resolved = path.resolve(explicit);
    if (await isExecutableFile(resolved)) return resolved;
    throw new Error(
      `TEMPORAL_CLI is set to "${explicit}" but ${existsSync(resolved) ? 'it is not an executable file' : 'that file does not exist'}. ` +
        'Point it at a `temporal` binary or unset it to let the project provision one.',
    );
  }
  attempts.push({ source: 'TEMPORAL_CLI', reason: 'not set' });

  const onPath = await findOnPath(BINARY_NAME, env);
  if (onPath) return onPath;
  attempts.push({ source: 'PATH', reason: `no executable "${BINARY_NAME}" in PATH` });

  const binDir = projectToolsBin();
  const local = path.join(binDir, BINARY_NAME);
  if (await isExecutableFile(local)) return local;
  attempts.push({ source: 'project copy', reason: `${local} does not exist` });

  await fs.mkdir(binDir, { recursive: true });
  const release = await acquireLock(path.join(path.dirname(binDir), 'temporal-cli.lock'), log);
  try {
    // Another caller may have finished provisioning while we waited for the lock.
    if (await isExecutableFile(local)) return local;

    try {
      await goInstall(binDir, env, log);
      if (await isExecutableFile(local)) return local;
      attempts.push({ source: 'go install', reason: `finished but ${local} is missing` });
    } catch (err) {
      attempts.push({ source: 'go install', reason: errorMessage(err) });
      log(`go install failed: ${firstLine(errorMessage(err))}; trying the release download`);
    }

    try {
      await downloadRelease(binDir, log);
      if (await isExecutableFile(local)) return local;
      attempts.push({ source: 'release download', reason: `archive had no ${BINARY_NAME}` });
    } catch (err) {
      attempts.push({ source: 'release download', reason: errorMessage(err) });
    }
  } finally {
    await release();
  }

  const lines = attempts.map((a) => `  - ${a.source}: ${a.reason.replace(/\n/g, '\n      ')}`);
  throw new Error(
    `Could not find or provision the Temporal CLI v${TEMPORAL_CLI_VERSION}. Tried:\n${lines.join('\n')}\n` +
      'Set TEMPORAL_CLI to an existing binary, or install Go >= 1.25 and retry.',
  );
}

async function goInstall(binDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const go = await findOnPath(process.platform === 'win32' ? 'go.exe' : 'go', env);
  if (!go) throw new Error('`go` not found in PATH');

  log(`building temporal v${TEMPORAL_CLI_VERSION} with ${go} (the first build takes several minutes)`);
  const started = Date.now();
  const child = spawn(go, ['install', GO_PACKAGE], {
    // GOTOOLCHAIN=local: never let go fetch another toolchain from a network we may not have.
    env: { ...env, GOBIN: binDir, GOTOOLCHAIN: 'local' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const onLine = (line: string): void => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (line.startsWith('go: downloading')) log(line);
  };
  lineReader(child.stdout, onLine);
  lineReader(child.stderr, onLine);
  const ticker = setInterval(() => log(`still building… ${Math.round((Date.now() - started) / 1000)}s`), 15_000);
  ticker.unref();

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearInterval(ticker));

  if (code !== 0) {
    throw new Error(
      `go install ${GO_PACKAGE} exited with ${signal ?? `code ${code}`}` + (tail.length ? `:\n${tail.join('\n')}` : ''),
    );
  }
  log(`built in ${Math.round((Date.now() - started) / 1000)}s`);
}

function releaseArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    default:
      throw new Error(`no official release for architecture ${process.arch}`);
  }
}

async function downloadRelease(binDir: string, log: (line: string) => void): Promise<void> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const url = `https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=${platform}&arch=${releaseArch()}`;
  log(`downloading ${url}`);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'temporal-cli-'));
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5 * 60_000) });
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status} ${res.statusText}`);
    const archive = path.join(tmp, 'temporal.tar.gz');
    await fs.writeFile(archive, Buffer.from(await res.arrayBuffer()));
    await run('tar', ['-xzf', archive, '-C', tmp]);
    const extracted = path.join(tmp, BINARY_NAME);
    if (!existsSync(extracted)) throw new Error(`archive from ${url} has no ${BINARY_NAME}`);
    // Copy then rename so a concurrent reader never sees a half-written binary.
    const staging = path.join(binDir, `.${BINARY_NAME}.${process.pid}`);
    await fs.copyFile(extracted, staging);
    await fs.chmod(staging, 0o755);
    await fs.rename(staging, path.join(binDir, BINARY_NAME));
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new Error(`${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/**
 * Exclusive lock via O_EXCL create. A lock whose owner pid is gone is stale (crashed build) and
 * is taken over; a live owner is waited for, since a Go build can legitimately take many minutes.
 */
async function acquireLock(lockFile: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const deadline = Date.now() + 30 * 60_000;
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await fs.rm(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim(), 10);
    if (!Number.isFinite(owner) || !isAlive(owner)) {
      // Empty content can also mean the owner is between create and write: only steal when old.
      const stat = await fs.stat(lockFile).catch(() => undefined);
      if (Number.isFinite(owner) || !stat || Date.now() - stat.mtimeMs > 10_000) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (held by pid ${owner})`);
    if (!announced) {
      log(`another process (pid ${owner}) is provisioning the Temporal CLI; waiting for it`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lineReader(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => buf && onLine(buf));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

if (require.main === module) {
  ensureTemporalCli()
    .then((cli) => process.stdout.write(`${cli}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${errorMessage(err)}\n`);
      process.exit(1);
    });
}
