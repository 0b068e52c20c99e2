/**
 * `npm run bench`: the case service side by side with a minimal raw-SDK workflow, in one run.
 *
 * It starts its own Temporal dev server, a fresh PostgreSQL database, the service's production
 * processes exactly as `npm run worker` and `npm run api` start them, and the baseline worker
 * (scripts/bench/baseline: an "entity" workflow with an update, a signal and a query). The same
 * operations go through the API (HTTP) and straight to the baseline with the Temporal client, in
 * alternating blocks, and every figure is printed with the API/raw ratio and its goal: absolute
 * times on a shared machine are noisy, the ratios are what count. The figures are those of the
 * reference benchmark (../shared/bench/side-by-side.mjs), computed the same way.
 *
 *   npm run bench                          # full run (~3 min on 2 cores)
 *   npm run bench -- --quick               # scaled down (~1.5 min)
 *   npm run bench -- --phases starts,commands --json test-output/mine.json
 *
 * Phases: starts, commands (sync and async), reads, freshness (read-model lag), long (one case
 * through many commands and its continues-as-new). Ports: --temporal-port (7401; HTTP and metrics
 * on +1000, +1001), --api-port (3201). PostgreSQL: --pg-admin-url (TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/postgres). The Temporal CLI: TEMPORAL_CLI, else PATH, else
 * .tools/bin/temporal (provisioned if missing). Logs of every process in $TMPDIR/bench-side-by-side.
 * Exits 1 if a phase failed; goals missed are marked in the table, not in the exit code.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import postgres from 'postgres';
import { createApiToken } from '../../db/tokens';
import { caseWorkflowId } from '../../workflows/messages';
import { ensureTemporalCli } from '../temporal-cli';
import { checkTemporalReachable } from '../temporal-dev-server';
import { freshBenchDatabase } from './fresh-database';
import { eventsSince, firstTaskRunMsOf, firstTaskWaitMsOf, runsOf, taskTimesSince } from './history';
import { alternate, CpuMeter, type KindResult, type OpResult } from './measure';
import { npmScriptCommand, onInterrupt, startProcess, stopAll, waitForLog, type BenchProcess } from './processes';
import { ratio, round, sleep, summarize, type Summary } from './stats';
import { BENCH_TEMPLATE } from './bench-template';

const ALL_PHASES = ['starts', 'commands', 'reads', 'freshness', 'long'] as const;
const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    phases: { type: 'string', default: ALL_PHASES.join(',') },
    json: { type: 'string', default: 'test-output/bench.json' },
    'temporal-port': { type: 'string', default: '7401' },
    'api-port': { type: 'string', default: '3201' },
    'pg-admin-url': { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'max-minutes': { type: 'string', default: '45' },
    // The server's continue-as-new suggestion, in history events (default 4,096): lower, the long
    // phase meets many new runs and measures the command in flight at each of them.
    'can-every': { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const PHASES = new Set(opt.phases.split(',').map((s) => s.trim()).filter(Boolean));
for (const p of PHASES) if (!(ALL_PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase ${p}; phases: ${ALL_PHASES.join(',')}`);

/**
 * Sizes of the full run and of --quick; the long phase's windows are a fifteenth of it (100 of
 * 1,500). 800 commands in --quick: enough history (~5,000 events) for the server to suggest a
 * continue-as-new, so the quick run measures the stall at a new run too.
 */
const N = opt.quick
  ? { starts: 64, startBlock: 16, conc: 8, commands: 100, async: 60, block: 10, reads: 100, fresh: 30, long: 800 }
  : { starts: 200, startBlock: 50, conc: 8, commands: 300, async: 300, block: 25, reads: 300, fresh: 100, long: 1500 };
const LONG_WINDOW = Math.round(N.long / 15);

const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(os.tmpdir(), 'bench-side-by-side');
const TEMPORAL_PORT = Number(opt['temporal-port']);
const TEMPORAL_ADDRESS = `127.0.0.1:${TEMPORAL_PORT}`;
const API_PORT = Number(opt['api-port']);
const BASELINE_QUEUE = 'bench-baseline';
const TAG = Date.now().toString(36);
const T0 = Date.now();
const say = (line: string) => console.log(`[${String(Math.round((Date.now() - T0) / 1000)).padStart(4)}s] ${line}`);
const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);

const report: {
  meta: Record<string, unknown>;
  phases: Record<string, Record<string, unknown>>;
  table?: Row[];
  failures: string[];
  aborted?: string;
} = {
  meta: { startedAt: new Date().toISOString(), command: process.argv.slice(2).join(' '), quick: opt.quick, sizes: { ...N, longWindow: LONG_WINDOW }, node: process.version, cpus: os.cpus().length, loadavgBefore: os.loadavg().map((x) => round(x, 2)) },
  phases: {},
  failures: [],
};

// ---------------------------------------------------------------------------------------------
// the API over HTTP (keep-alive, as a real client would)

interface CaseView {
  id?: string;
  stage?: { key?: string };
  lastSeq?: number;
  comments?: number;
}
interface Answer {
  status: number;
  ms: number;
  json?: unknown;
  bytes: number;
  error?: string;
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let token = '';

function api(method: string, url: string, opts: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: API_PORT,
        method,
        path: url,
        agent,
        headers: { Authorization: `Bearer ${token}`, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          let json: unknown;
          try {
            json = JSON.parse(buf.toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, json, bytes: buf.length });
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ status: 0, ms: performance.now() - t0, bytes: 0, error: err.message }));
    req.end(data);
  });
}

const problem = (r: Answer) => r.error ?? `${r.status} ${String((r.json as { code?: string } | undefined)?.code ?? '')}`.trim();


interface StartResult extends OpResult {
  workflowId?: string;
  id?: string;
}

async function apiStart(title: string): Promise<StartResult> {
  const r = await api('POST', '/v1/cases', { body: { template: BENCH_TEMPLATE.key, title } });
  const id = (r.json as CaseView | undefined)?.id;
  return r.status === 201 && id ? { ok: true, ms: r.ms, id, workflowId: caseWorkflowId(id) } : { ok: false, ms: r.ms, error: problem(r) };
}

/** The command types of the cycle, in the order the table reports them. */
const CYCLE_TYPES = ['comment', 'setFields', 'advance'] as const;

/**
 * The reference's fixed cycle of commands: comment, set a field, move forward, comment, set
 * another field, move back (with the reason a move back needs), the move chosen from the stage
 * the last answer showed so a refused move never derails the cycle.
 */
function makeCycler() {
  let stage = 'open';
  let i = 0;
  return {
    next(): { type: string; method: string; suffix: string; body: unknown } {
      const n = i++;
      const step = n % 6;
      if (step === 0 || step === 3) return { type: 'comment', method: 'POST', suffix: 'comments', body: { text: `comment ${n} @max please look` } };
      if (step === 1 || step === 4) return { type: 'setFields', method: 'PATCH', suffix: 'fields', body: step === 1 ? { note: `note ${n}` } : { counter: n } };
      const to = stage === 'open' ? 'working' : 'open';
      return { type: 'advance', method: 'POST', suffix: 'advance', body: to === 'working' ? { to } : { to, reason: 'bench: back again' } };
    },
    observe(view: CaseView | undefined) {
      if (view?.stage?.key) stage = view.stage.key;
    },
  };
}
type Cycler = ReturnType<typeof makeCycler>;

interface CommandResult extends OpResult {
  type?: string;
  lastSeq?: number;
}

async function apiCommand(id: string, cycler: Cycler): Promise<CommandResult> {
  const c = cycler.next();
  const r = await api(c.method, `/v1/cases/${id}/${c.suffix}`, { body: c.body });
  if (r.status !== 200) return { ok: false, ms: r.ms, type: c.type, error: problem(r) };
  const result = r.json as { case?: CaseView; events?: Array<{ seq: number }> };
  cycler.observe(result.case);
  return { ok: true, ms: r.ms, type: c.type, lastSeq: result.events?.at(-1)?.seq ?? result.case?.lastSeq };
}

async function apiAsyncComment(id: string, i: number): Promise<OpResult> {
  const r = await api('POST', `/v1/cases/${id}/comments`, { body: { text: `async comment ${i}` }, headers: { Prefer: 'respond-async' } });
  return r.status === 202 ? { ok: true, ms: r.ms } : { ok: false, ms: r.ms, error: problem(r) };
}

async function apiGetCase(id: string): Promise<OpResult & { bytes: number }> {
  const r = await api('GET', `/v1/cases/${id}`);
  return { ok: r.status === 200, ms: r.ms, bytes: r.bytes, ...(r.status === 200 ? {} : { error: problem(r) }) };
}

/** Polls the timeline until event `seq` is listed: the read model has caught up with the command. */
async function waitVisible(id: string, seq: number, since: number, deadlineMs = 30_000): Promise<{ ok: boolean; lagMs: number }> {
  for (let polls = 1; ; polls++) {
    const r = await api('GET', `/v1/cases/${id}/timeline?after=${seq - 1}&limit=1`);
    if (r.status === 200 && ((r.json as { items?: unknown[] }).items?.length ?? 0) > 0) return { ok: true, lagMs: performance.now() - since };
    if (performance.now() - since > deadlineMs) return { ok: false, lagMs: performance.now() - since };
    // Poll at once at first (the lag is usually a few ms), then back off a little.
    if (polls > 20) await sleep(2);
  }
}

// ---------------------------------------------------------------------------------------------
// the raw baseline, straight through the Temporal client

let client: Client;
type Handle = WorkflowHandle;

async function rawStart(workflowId: string): Promise<StartResult & { handle?: Handle }> {
  const t0 = performance.now();
  try {
    const handle = await client.workflow.start('entityWorkflow', { taskQueue: BASELINE_QUEUE, workflowId, args: [{}] });
    // Readable once its first workflow task has run, as the API's 201 waits for the case's first view.
    for (;;) {
      try {
        await handle.query('state');
        break;
      } catch (err) {
        if (performance.now() - t0 > 30_000) throw err;
        await sleep(5);
      }
    }
    return { ok: true, ms: performance.now() - t0, workflowId, handle };
  } catch (err) {
    return { ok: false, ms: performance.now() - t0, error: errorText(err) };
  }
}

async function timedRaw(fn: () => Promise<unknown>): Promise<OpResult & { bytes: number }> {
  const t0 = performance.now();
  try {
    const result = await fn();
    return { ok: true, ms: performance.now() - t0, bytes: result === undefined ? 0 : JSON.stringify(result).length };
  } catch (err) {
    return { ok: false, ms: performance.now() - t0, bytes: 0, error: errorText(err) };
  }
}
const rawUpdate = (h: Handle, i: number) => timedRaw(() => h.executeUpdate('append', { args: [{ type: 'comment', data: { text: `comment ${i} @max please look` } }] }));
const rawSignal = (h: Handle, i: number) => timedRaw(() => h.signal('append', { type: 'comment', data: { text: `async ${i}` } }));
const rawQuery = (h: Handle) => timedRaw(() => h.query('state'));

/** A case or an entity a phase works on: it must open, or the phase cannot run. */
async function openCase(title: string): Promise<string> {
  const r = await apiStart(title);
  if (!r.id) throw new Error(`opening a case (${title}): ${r.error}`);
  return r.id;
}
async function openEntity(workflowId: string): Promise<Handle> {
  const r = await rawStart(workflowId);
  if (!r.handle) throw new Error(`starting ${workflowId}: ${r.error}`);
  return r.handle;
}

// ---------------------------------------------------------------------------------------------
// setup and teardown

const procs: Record<string, BenchProcess> = {};
let meter: CpuMeter;
let connection: Connection | undefined;
let pgAdmin: postgres.Sql | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

/** Fails unless nothing listens on `port`: another run (or anything else) there would mix into the figures. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () => reject(new Error(`port ${port} is in use (another benchmark run?); choose others with --temporal-port / --api-port`)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

async function setup() {
  for (const port of [TEMPORAL_PORT, TEMPORAL_PORT + 1000, TEMPORAL_PORT + 1001, API_PORT]) await assertPortFree(port);
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(path.join(WORK, 'data'), { recursive: true });
  const cli = await ensureTemporalCli({ log: (l) => say(`[temporal-cli] ${l}`) });
  report.meta.temporalCli = cli;

  const db = await freshBenchDatabase({ prefix: 'bench-sbs', url: opt['pg-admin-url'] });
  dropDatabase = db.drop;
  const databaseUrl = db.url!;
  const dbName = new URL(databaseUrl).pathname.slice(1);
  token = (await createApiToken(db.handle.db, { actorId: 'bench', actorName: 'Bench', roles: ['admin'] })).token;
  await db.handle.close();
  pgAdmin = postgres(opt['pg-admin-url'], { max: 1, onnotice: () => undefined });
  const admin = pgAdmin;
  say(`database ${dbName} created`);

  const logDir = WORK;
  procs.temporal = startProcess(
    'temporal',
    cli,
    // A file rather than memory, as a server keeps its state; its own ports, clear of `npm start`'s and the reference's.
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(TEMPORAL_PORT), '--http-port', String(TEMPORAL_PORT + 1000), '--metrics-port', String(TEMPORAL_PORT + 1001), '--db-filename', path.join(WORK, 'temporal.sqlite'), '--sqlite-pragma', 'journal_mode=WAL', '--log-level', 'warn', ...(opt['can-every'] ? ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${Number(opt['can-every'])}`] : [])],
    { cwd: WORK, env: process.env, logDir },
  );
  const reachable = checkTemporalReachable(TEMPORAL_ADDRESS, 120_000).then(() => true);
  reachable.catch(() => undefined); // if the server exits first, its later time-out is no crash
  while (!(await Promise.race([reachable, sleep(500).then(() => false)]))) {
    if (procs.temporal.exited) throw new Error(`the Temporal dev server exited: ${fs.readFileSync(procs.temporal.logFile, 'utf8').slice(-2000)}`);
  }
  connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  client = new Client({ connection });
  say(`Temporal dev server on ${TEMPORAL_ADDRESS} (pid ${procs.temporal.pid})`);

  // Cases are measured as production runs them: payloads encrypted (a key for this run), unless the caller set one.
  const payloadKeys = process.env.PAYLOAD_KEYS || `bench:${randomBytes(32).toString('base64')}`;
  const env = { ...process.env, PAYLOAD_KEYS: payloadKeys, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: 'default', PORT: String(API_PORT), HOST: '127.0.0.1', DATA_DIR: path.join(WORK, 'data') };
  const worker = npmScriptCommand(ROOT, 'worker');
  const apiCmd = npmScriptCommand(ROOT, 'api');
  // --profile: each of the service's processes writes V8 CPU profiles (every thread) to $TMPDIR/bench-side-by-side/prof/<name>.
  const profiled = (name: string, args: string[]) => (opt.profile ? [`--cpu-prof`, `--cpu-prof-dir=${path.join(WORK, 'prof', name)}`, ...args] : args);
  procs.worker = startProcess('worker', worker.command, profiled('worker', worker.args), { cwd: ROOT, env: { ...env, ...worker.env }, logDir });
  procs.api = startProcess('api', apiCmd.command, profiled('api', apiCmd.args), { cwd: ROOT, env: { ...env, ...apiCmd.env }, logDir });
  // The baseline gets the worker's malloc settings too, so memory allocator differences stay out of the ratios.
  procs.baseline = startProcess('baseline', process.execPath, ['--import', 'tsx', 'scripts/bench/baseline/worker.ts', '--address', TEMPORAL_ADDRESS, '--task-queue', BASELINE_QUEUE], { cwd: ROOT, env: { ...process.env, ...worker.env }, logDir });
  await Promise.all([
    waitForLog(procs.worker, /"msg":"worker started"/, 300_000),
    waitForLog(procs.baseline, /baseline worker ready/, 300_000),
    waitForLog(procs.api, /"msg":"API listening"/, 300_000),
  ]);
  const ready = await api('GET', '/readyz');
  if (ready.status !== 200) throw new Error(`/readyz answered ${problem(ready)}: ${JSON.stringify(ready.json)}`);
  report.meta.processes = Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, { pid: p.pid, log: p.logFile }]));
  say(`worker (pid ${procs.worker.pid}), API (pid ${procs.api.pid}, port ${API_PORT}) and baseline worker (pid ${procs.baseline.pid}) ready`);

  meter = new CpuMeter(
    () => Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, p.pid])),
    async () => (await admin<Array<{ pid: number }>>`select pid from pg_stat_activity where datname = ${dbName}`).map((r) => r.pid),
  );

  const published = await api('POST', '/v1/templates', { body: BENCH_TEMPLATE });
  if (published.status !== 201 && published.status !== 200) throw new Error(`publishing the bench template: ${problem(published)} ${JSON.stringify(published.json)}`);

  // Warm-up, not measured: JIT, connection pools, workflow bundles and caches on both sides.
  let failed = 0;
  for (let i = 0; i < 4; i++) failed += Number(!(await apiStart(`warm-up ${i}`)).ok) + Number(!(await rawStart(`entity-${TAG}-warm-${i}`)).ok);
  const c = await openCase('warm-up commands');
  const b = await openEntity(`entity-${TAG}-warm-cmd`);
  const cycler = makeCycler();
  for (let i = 0; i < 12; i++) {
    failed += Number(!(await apiCommand(c, cycler)).ok) + Number(!(await rawUpdate(b, i)).ok);
    failed += Number(!(await apiGetCase(c)).ok) + Number(!(await rawQuery(b)).ok);
  }
  report.meta.warmUpFailures = failed;
  say(`warm-up done (${failed} failures)`);
}

let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    await connection?.close().catch(() => undefined);
    await stopAll();
    await dropDatabase?.().catch((err: unknown) => report.failures.push(`dropping the database: ${errorText(err)}`));
    await pgAdmin?.end({ timeout: 5 }).catch(() => undefined);
    agent.destroy();
  })());

// ---------------------------------------------------------------------------------------------
// phases

/** A failed operation is a finding too: listed with the run's failures, not only left out of the latencies. */
function noteErrors<R extends OpResult>(phase: string, res: Record<string, KindResult<R>>) {
  for (const [kind, r] of Object.entries(res)) {
    if (r.summary.errors) report.failures.push(`${phase}: ${r.summary.errors} of ${r.summary.n} ${kind} operations failed: ${r.summary.errorSamples.join('; ')}`);
  }
}

async function phaseStarts() {
  say(`starts: ${N.starts} through the API and ${N.starts} raw at concurrency ${N.conc}, alternating blocks of ${N.startBlock}`);
  let k = 0;
  const res = await alternate<StartResult>(
    meter,
    [
      { name: 'api', n: N.starts, run: (i) => apiStart(`Bench case ${i}`) },
      { name: 'raw', n: N.starts, run: () => rawStart(`entity-${TAG}-s-${k++}`) },
    ],
    // A longer settle: each start leaves its projection (and the baseline nothing) to finish.
    { block: N.startBlock, concurrency: N.conc, settleMs: 500 },
  );
  noteErrors('starts', res);
  // The first workflow task of a sample of each, from the server's histories.
  const firstTask = async (records: StartResult[], measure = firstTaskRunMsOf, every = 25) => {
    const ids = records.filter((r) => r.ok && r.workflowId).map((r) => r.workflowId!);
    const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / every)) === 0);
    const ms: Array<number | null> = [];
    for (const id of sample) ms.push(await measure(client, id).catch(() => null));
    return summarize(ms);
  };
  report.phases.starts = {
    concurrency: N.conc,
    api: res.api!.summary,
    raw: res.raw!.summary,
    firstTaskRunMs: { api: await firstTask(res.api!.records), raw: await firstTask(res.raw!.records) },
    // Every start's: a rare long wait is what this shows.
    firstTaskWaitMs: { api: await firstTask(res.api!.records, firstTaskWaitMsOf, Infinity), raw: await firstTask(res.raw!.records, firstTaskWaitMsOf, Infinity) },
  };
}

async function phaseCommands() {
  say(`commands: ${N.commands} sequential updates on one case through the API and on one entity raw, then ${N.async} async (202 vs signal)`);
  const c = await openCase('commands');
  const b = await openEntity(`entity-${TAG}-cmd`);
  await sleep(1000); // the start's own projection is not the commands'
  const from = Date.now();
  const cycler = makeCycler();
  const res = await alternate<CommandResult>(
    meter,
    [
      { name: 'api', n: N.commands, run: () => apiCommand(c, cycler) },
      { name: 'raw', n: N.commands, run: (i) => rawUpdate(b, i) },
    ],
    { block: N.block },
  );
  noteErrors('commands', res);
  await sleep(1000);
  // Every event either workflow recorded since the first command, over the number of commands.
  const eventsPerCommand = async (workflowId: string) => {
    const runs = await runsOf(client, workflowId);
    const byType = Object.entries(eventsSince(runs, from));
    const tasks = taskTimesSince(runs, from);
    return {
      total: round(byType.reduce((n, [, k]) => n + k, 0) / N.commands, 2),
      byType: Object.fromEntries(byType.map(([t, k]) => [t, round(k / N.commands, 2)])),
      // Where a command's time goes: waiting for a worker, and the worker's own time on it.
      taskScheduleToStart: summarize(tasks.scheduleToStart),
      taskStartToComplete: summarize(tasks.startToComplete),
    };
  };
  const byType = Object.fromEntries(CYCLE_TYPES.map((t) => [t, summarize(res.api!.records.filter((r) => r.ok && r.type === t).map((r) => r.ms))]));

  const ca = await openCase('commands (async)');
  const ba = await openEntity(`entity-${TAG}-async`);
  const asy = await alternate<OpResult>(
    meter,
    [
      { name: 'api', n: N.async, run: (i) => apiAsyncComment(ca, i) },
      { name: 'raw', n: N.async, run: (i) => rawSignal(ba, i) },
    ],
    { block: N.block },
  );
  noteErrors('async commands', asy);
  // A 202 only says the signal was sent: check every comment landed.
  await sleep(3000);
  const view = (await api('GET', `/v1/cases/${ca}`)).json as CaseView | undefined;
  if (view?.comments !== N.async) report.failures.push(`commands: ${N.async} async comments answered 202, the case shows ${view?.comments}`);

  report.phases.commands = {
    caseKey: c,
    api: { ...res.api!.summary, byType },
    raw: res.raw!.summary,
    eventsPerCommand: { api: await eventsPerCommand(caseWorkflowId(c)), raw: await eventsPerCommand(b.workflowId) },
    async: { caseKey: ca, api: asy.api!.summary, raw: asy.raw!.summary, commentsOnCase: view?.comments ?? null },
  };
}

async function phaseReads() {
  say(`reads: ${N.reads} GET /v1/cases/:id and ${N.reads} raw queries, alternating`);
  const c = await openCase('reads');
  const cycler = makeCycler();
  for (let i = 0; i < 12; i++) await apiCommand(c, cycler);
  const viewBytes = (await apiGetCase(c)).bytes;
  // An entity whose state is about as large as the case's view, so both sides move as many bytes.
  const b = await openEntity(`entity-${TAG}-reads`);
  let appended = 0;
  while (appended < 300 && (await rawQuery(b)).bytes < viewBytes) await rawUpdate(b, appended++);
  const res = await alternate<OpResult & { bytes: number }>(
    meter,
    [
      { name: 'api', n: N.reads, run: () => apiGetCase(c) },
      { name: 'raw', n: N.reads, run: () => rawQuery(b) },
    ],
    { block: N.block },
  );
  noteErrors('reads', res);
  report.phases.reads = {
    caseKey: c,
    api: { ...res.api!.summary, bytes: summarize(res.api!.records.map((r) => r.bytes)).p50 },
    raw: { ...res.raw!.summary, bytes: summarize(res.raw!.records.map((r) => r.bytes)).p50, eventsInState: appended },
  };
}

async function phaseFreshness() {
  say(`freshness: ${N.fresh} commands, each followed until its event is on the timeline`);
  const c = await openCase('freshness');
  const cycler = makeCycler();
  const lags: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < N.fresh; i++) {
    const r = await apiCommand(c, cycler);
    if (!r.ok || r.lastSeq === undefined) {
      failures.push(r.error ?? 'no seq in the answer');
      continue;
    }
    const v = await waitVisible(c, r.lastSeq, performance.now());
    if (v.ok) lags.push(v.lagMs);
    else failures.push(`event ${r.lastSeq} not visible after ${Math.round(v.lagMs)} ms`);
  }
  if (failures.length) report.failures.push(`freshness: ${failures.length} failures, e.g. ${failures[0]}`);
  report.phases.freshness = { caseKey: c, lagMs: summarize(lags), failures: failures.slice(0, 5) };
}

async function phaseLong() {
  say(`long life: ${N.long} sequential commands on one case (windows of ${LONG_WINDOW})`);
  const c = await openCase('long life');
  const cycler = makeCycler();
  const recs: Array<CommandResult & { doneAt: number }> = [];
  for (let i = 0; i < N.long; i++) {
    recs.push({ ...(await apiCommand(c, cycler)), doneAt: Date.now() });
    if ((i + 1) % 500 === 0) say(`  ${i + 1}/${N.long}`);
  }
  const okMs = (rs: typeof recs) => rs.filter((r) => r.ok).map((r) => r.ms);
  const first = summarize(okMs(recs.slice(0, LONG_WINDOW)));
  const last = summarize(okMs(recs.slice(-LONG_WINDOW)));
  const runs = await runsOf(client, caseWorkflowId(c));
  // The command in flight when each new run started: the first one answered at or after that instant.
  const newRuns = runs.slice(1).map((run) => {
    const idx = recs.findIndex((r) => r.doneAt >= run.startedAtMs);
    return { runId: run.runId, startedAt: new Date(run.startedAtMs).toISOString(), command: idx + 1, commandMs: idx >= 0 ? round(recs[idx]!.ms, 1) : null, events: run.events.length };
  });
  const errors = recs.filter((r) => !r.ok);
  if (errors.length) report.failures.push(`long: ${errors.length} commands failed, e.g. ${errors[0]!.error}`);
  report.phases.long = {
    caseKey: c,
    commands: N.long,
    errors: errors.length,
    all: summarize(okMs(recs)),
    firstWindow: { range: `1-${LONG_WINDOW}`, ...first },
    lastWindow: { range: `${N.long - LONG_WINDOW + 1}-${N.long}`, ...last },
    p99LastOverFirst: ratio(last.p99, first.p99),
    runs: runs.length,
    eventsPerRun: runs.map((r) => r.events.length),
    newRuns,
    maxInFlightAtNewRunMs: newRuns.length ? Math.max(...newRuns.map((r) => r.commandMs ?? 0)) : null,
    slowest: recs.map((r, i) => ({ command: i + 1, ms: round(r.ms, 1), type: r.type })).sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)).slice(0, 8),
    seriesMs: recs.map((r) => (r.ok ? round(r.ms, 1) : null)),
  };
}

// ---------------------------------------------------------------------------------------------
// the table

interface Row {
  metric: string;
  api: string;
  raw: string;
  ratio: string;
  goal: string;
  verdict: string;
}

function table(): Row[] {
  const rows: Row[] = [];
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '—' : x.toFixed(d));
  const add = (metric: string, api: string, raw = '—', r: number | null = null, goal?: { op: '<=' | '>='; limit: number; value?: number | null; unit?: string }) => {
    const value = goal && goal.value !== undefined ? goal.value : r;
    const verdict = !goal ? '' : value === null || value === undefined ? 'n/a' : (goal.op === '<=' ? value <= goal.limit : value >= goal.limit) ? 'pass' : 'FAIL';
    rows.push({ metric, api, raw, ratio: r === null ? '—' : `${r.toFixed(2)}×`, goal: goal ? `${goal.op === '<=' ? '≤' : '≥'} ${goal.limit}${goal.unit ?? '×'}` : '', verdict });
  };
  type Side = { latency: Summary; perSecond: number | null; cpuMsPerOp: Record<string, number | null> };
  const both = (a: Side, b: Side, pick: (s: Side) => number | null | undefined) => [f(pick(a)), f(pick(b)), ratio(pick(a), pick(b))] as const;

  const s = report.phases.starts as { api: Side; raw: Side; firstTaskRunMs: { api: Summary; raw: Summary }; firstTaskWaitMs: { api: Summary; raw: Summary } } | undefined;
  if (s) {
    add(`starts/s (concurrency ${N.conc})`, ...both(s.api, s.raw, (x) => x.perSecond), { op: '>=', limit: 0.85 });
    add('start p50 ms', ...both(s.api, s.raw, (x) => x.latency.p50), { op: '<=', limit: 1.3 });
    add('start p99 ms', ...both(s.api, s.raw, (x) => x.latency.p99));
    add('first workflow task start→complete p50 ms', f(s.firstTaskRunMs.api.p50), f(s.firstTaskRunMs.raw.p50), ratio(s.firstTaskRunMs.api.p50, s.firstTaskRunMs.raw.p50));
    add('first workflow task scheduled→started p50 ms', f(s.firstTaskWaitMs.api.p50), f(s.firstTaskWaitMs.raw.p50), ratio(s.firstTaskWaitMs.api.p50, s.firstTaskWaitMs.raw.p50));
    add('first workflow task scheduled→started p99 ms', f(s.firstTaskWaitMs.api.p99), f(s.firstTaskWaitMs.raw.p99), ratio(s.firstTaskWaitMs.api.p99, s.firstTaskWaitMs.raw.p99));
    add('CPU ms per start (all processes)', ...both(s.api, s.raw, (x) => x.cpuMsPerOp.total));
  }
  type Events = { total: number | null; taskScheduleToStart: Summary; taskStartToComplete: Summary };
  const c = report.phases.commands as { api: Side & { byType: Record<string, Summary> }; raw: Side; eventsPerCommand: { api: Events; raw: Events }; async: { api: Side; raw: Side } } | undefined;
  if (c) {
    add('update p50 ms (sequential, one case)', ...both(c.api, c.raw, (x) => x.latency.p50), { op: '<=', limit: 1.3 });
    add('update p90 ms', ...both(c.api, c.raw, (x) => x.latency.p90));
    add('update p99 ms', ...both(c.api, c.raw, (x) => x.latency.p99), { op: '<=', limit: 1.5 });
    add('CPU ms per command (all processes)', ...both(c.api, c.raw, (x) => x.cpuMsPerOp.total), { op: '<=', limit: 1.5 });
    // A stage move upserts CaseStage; on the dev server its visibility write also slows the command after it (README).
    add('update p50 ms: comment / field / stage move', CYCLE_TYPES.map((t) => f(c.api.byType[t]?.p50)).join(' / '), f(c.raw.latency.p50));
    add('async command (202 vs signal) p50 ms', ...both(c.async.api, c.async.raw, (x) => x.latency.p50));
    add('async command (202 vs signal) p99 ms', ...both(c.async.api, c.async.raw, (x) => x.latency.p99));
    add('history events per command', f(c.eventsPerCommand.api.total, 2), f(c.eventsPerCommand.raw.total, 2), ratio(c.eventsPerCommand.api.total, c.eventsPerCommand.raw.total));
    const tasks = (pick: (e: Events) => Summary) => [f(pick(c.eventsPerCommand.api).p50), f(pick(c.eventsPerCommand.raw).p50), ratio(pick(c.eventsPerCommand.api).p50, pick(c.eventsPerCommand.raw).p50)] as const;
    add('workflow task scheduled→started p50 ms', ...tasks((e) => e.taskScheduleToStart));
    add('workflow task started→completed p50 ms', ...tasks((e) => e.taskStartToComplete));
  }
  const r = report.phases.reads as { api: Side; raw: Side } | undefined;
  if (r) {
    add('GET /v1/cases/:id vs query p50 ms', ...both(r.api, r.raw, (x) => x.latency.p50));
    add('GET /v1/cases/:id vs query p99 ms', ...both(r.api, r.raw, (x) => x.latency.p99), { op: '<=', limit: 1.3 });
  }
  const fr = report.phases.freshness as { lagMs: Summary } | undefined;
  if (fr) add('read-model lag p50 / p99 ms', `${f(fr.lagMs.p50)} / ${f(fr.lagMs.p99)}`, '—', null, { op: '<=', limit: 150, value: fr.lagMs.p99, unit: ' ms (p99)' });
  const l = report.phases.long as
    | { firstWindow: Summary & { range: string }; lastWindow: Summary & { range: string }; p99LastOverFirst: number | null; runs: number; newRuns: Array<{ command: number; commandMs: number | null }>; maxInFlightAtNewRunMs: number | null }
    | undefined;
  if (l) {
    add(`long life: p99 ms, commands ${l.firstWindow.range} → ${l.lastWindow.range}`, `${f(l.firstWindow.p99)} → ${f(l.lastWindow.p99)}`, '—', l.p99LastOverFirst, { op: '<=', limit: 1.2 });
    add('long life: runs (continue-as-new)', String(l.runs));
    add(
      'long life: command in flight at each new run, ms (max)',
      l.newRuns.length ? `${l.newRuns.map((n) => `#${n.command}: ${f(n.commandMs)}`).join(', ')} (${f(l.maxInFlightAtNewRunMs)})` : 'no new run',
      '—',
      null,
      { op: '<=', limit: 300, value: l.maxInFlightAtNewRunMs, unit: ' ms' },
    );
  }
  return rows;
}

function printTable(rows: Row[]) {
  const head: Row = { metric: 'metric', api: 'API', raw: 'raw baseline', ratio: 'API/raw', goal: 'goal', verdict: '' };
  const keys = Object.keys(head) as Array<keyof Row>;
  const width = keys.map((k) => Math.max(...[head, ...rows].map((row) => row[k].length)));
  const line = (row: Row) => `| ${keys.map((k, i) => row[k].padEnd(width[i]!)).join(' | ')} |`;
  console.log(`\n${line(head)}\n|${width.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------

/** Prints the table of what was measured, writes the JSON and exits; the one way a run ends. */
function finish(code: number): never {
  report.meta.loadavgAfter = os.loadavg().map((x) => round(x, 2));
  report.meta.totalWallS = round((Date.now() - T0) / 1000, 1);
  report.table = table();
  printTable(report.table);
  const out = path.resolve(ROOT, opt.json);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
  if (report.aborted) console.log(`ABORTED: ${report.aborted}`);
  if (report.failures.length) console.log(`FAILURES:\n${report.failures.map((x) => `- ${x}`).join('\n')}`);
  say(`wrote ${path.relative(ROOT, out)}; process logs in ${WORK}`);
  process.exit(code);
}

/** Stops the run from outside the phases (a signal, the time limit): whatever a phase is awaiting then fails and is not reported. */
async function abort(why: string, code: number) {
  say(`${why}: stopping`);
  report.aborted = why;
  await cleanup();
  finish(code);
}

async function main() {
  onInterrupt(() => abort('interrupted', 130));
  const limitMin = Number(opt['max-minutes']);
  const watchdog = setTimeout(() => void abort(`the run exceeded --max-minutes ${limitMin}`, 3), limitMin * 60_000);
  const phases: Record<(typeof ALL_PHASES)[number], () => Promise<void>> = { starts: phaseStarts, commands: phaseCommands, reads: phaseReads, freshness: phaseFreshness, long: phaseLong };
  try {
    await setup();
    for (const name of ALL_PHASES) {
      if (!PHASES.has(name) || report.aborted) continue;
      const t0 = performance.now();
      try {
        await phases[name]();
      } catch (err) {
        if (report.aborted) break;
        report.failures.push(`${name}: ${errorText(err)}`);
        say(`phase ${name} FAILED: ${errorText(err)}`);
      }
      say(`phase ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    if (!report.aborted) {
      report.failures.push(`setup: ${errorText(err)}`);
      say(`setup FAILED: ${errorText(err)}`);
    }
  }
  if (report.aborted) return; // abort() ends the run
  for (const [name, p] of Object.entries(procs)) if (p.exited) report.failures.push(`${name} (pid ${p.pid}) exited during the run: ${JSON.stringify(p.exited)}; see ${p.logFile}`);
  await cleanup();
  clearTimeout(watchdog);
  finish(report.failures.length ? 1 : 0);
}

void main();
