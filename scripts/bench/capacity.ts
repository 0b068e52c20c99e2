/**
 * Capacity and resilience benchmark (`npm run bench:capacity`): the production worker and API
 * processes on their own Temporal dev server and PostgreSQL database, next to a minimal raw-SDK
 * worker (scripts/bench/baseline), measured in one run:
 *
 *   open     N cases opened through the API at a steady rate; worker RSS per open case, side by
 *            side with the baseline worker's RSS per open entity workflow; then commands on the
 *            oldest cases (long evicted from the cache, so replayed) to show they still work
 *   burst    400 simultaneous POST /v1/cases: statuses, client time-outs, Retry-After on refusals
 *   outage   the Temporal server, then PostgreSQL, "unplugged" (a TCP proxy in front of each is
 *            cut): how fast and with what each endpoint answers, and that service comes back
 *
 *   npm run bench:capacity -- --cases 10000 --rate 40          # the full run (~6 min)
 *   npm run bench:capacity -- --cases 1000 --phases open,burst  # quicker
 *
 * Options: --cases N (10000) --rate per second (40) --baseline N (2000, entity workflows) --burst N
 * (400) --cache N (WORKER_MAX_CACHED_WORKFLOWS; default: the worker's own) --malloc-arenas N (2, as
 * `npm run worker` and the image run it; '' for glibc's default) --phases open,burst,outage.
 * Output: a table on stdout and JSON in test-output/bench-capacity.json.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { openDatabase } from '../../db/connection';
import { createApiToken } from '../../db/tokens';
import { ensureTemporalCli } from '../temporal-cli';
import { startTemporalDevServer } from '../temporal-dev-server';
import { startTcpProxy } from './tcp-proxy';
import { BENCH_TEMPLATE } from './bench-template';

const { values: opt } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '40' },
    baseline: { type: 'string', default: '2000' },
    burst: { type: 'string', default: '400' },
    cache: { type: 'string' },
    /** glibc arenas of both workers (2, as in production); '' leaves glibc's default. */
    'malloc-arenas': { type: 'string', default: '2' },
    phases: { type: 'string', default: 'open,burst,outage' },
    'pg-admin-url': { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const N = Number(opt.cases);
const RATE = Number(opt.rate);
const BASELINE = Number(opt.baseline);
const BURST = Number(opt.burst);
const PHASES = new Set(opt.phases.split(','));
const ROOT = path.resolve(__dirname, '../..');
const WORK = path.join(os.tmpdir(), 'bench-capacity');
const API_PORT = 3121;
const DB_NAME = 'bench_capacity';
const MiB = 2 ** 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const rss = (pid: number | undefined) => {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
};
const pct = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!) : null;
};

const children: Array<{ name: string; child: ChildProcess }> = [];
function start(name: string, args: string[], env: Record<string, string>): { child: ChildProcess; log: string } {
  const log = path.join(WORK, `${name}.log`);
  const fd = fs.openSync(log, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  children.push({ name, child });
  return { child, log };
}
async function waitFor(log: string, pattern: RegExp, child: ChildProcess, ms = 300_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${log}: exited\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    if (pattern.test(fs.readFileSync(log, 'utf8'))) return;
    await sleep(200);
  }
  throw new Error(`${log}: no ${pattern} within ${ms} ms`);
}

let token = '';
interface Answer {
  status: number;
  ms: number;
  json?: Record<string, unknown>;
  retryAfter?: string;
  error?: string;
}
function api(method: string, url: string, body?: unknown, opts: { timeoutMs?: number; agent?: http.Agent } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: API_PORT,
        method,
        path: url,
        agent: opts.agent,
        headers: { Authorization: `Bearer ${token}`, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, ...(json ? { json } : {}), ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error('timeout')), opts.timeoutMs ?? 60_000);
    req.on('error', (err) => resolve({ status: 0, ms: performance.now() - t0, error: err.message === 'timeout' ? 'timeout' : err.message }));
    req.on('close', () => clearTimeout(timer));
    req.end(data);
  });
}

/** Runs `task(i)` for i < n, starting one every 1000/rate ms, at most `concurrency` at once. */
async function paced<T>(n: number, rate: number, concurrency: number, task: (i: number) => Promise<T>, onProgress?: (done: number) => Promise<void>): Promise<T[]> {
  const results: T[] = [];
  let inFlight = 0;
  let done = 0;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    while (performance.now() < due || inFlight >= concurrency) await sleep(Math.max(1, Math.min(20, due - performance.now())));
    inFlight++;
    pending.push(
      task(i).then(async (r) => {
        results[i] = r;
        inFlight--;
        done++;
        await onProgress?.(done);
      }),
    );
  }
  await Promise.all(pending);
  return results;
}


async function main() {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  const report: Record<string, unknown> = { at: new Date().toISOString(), options: { cases: N, rate: RATE, baseline: BASELINE, burst: BURST, cache: opt.cache ?? 'default' } };

  const cliPath = await ensureTemporalCli({ log: (l) => say(`[temporal-cli] ${l}`) });
  const server = await startTemporalDevServer({ cliPath, headless: true, port: 7321, dbFile: path.join(WORK, 'temporal.sqlite'), logFile: path.join(WORK, 'temporal.log'), log: say });
  const admin = postgres(opt['pg-admin-url'], { max: 1, onnotice: () => undefined });
  await admin.unsafe(`drop database if exists ${DB_NAME} with (force)`);
  await admin.unsafe(`create database ${DB_NAME}`);
  const pgUrl = new URL(opt['pg-admin-url']);
  const directDb = `${pgUrl.protocol}//${pgUrl.username}@${pgUrl.host}/${DB_NAME}`;
  const pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const [temporalHost, temporalPort] = server.address.split(':');
  const temporalProxy = await startTcpProxy({ host: temporalHost!, port: Number(temporalPort) });
  const proxiedDb = `${pgUrl.protocol}//${pgUrl.username}@127.0.0.1:${pgProxy.port}/${DB_NAME}`;

  const database = await openDatabase({ url: directDb });
  await database.migrate();
  token = (await createApiToken(database.db, { actorId: 'bench', actorName: 'Bench', roles: ['admin'] })).token;
  await database.close();

  // Cases are measured as production runs them: payloads encrypted (a key for this run).
  const common = { LOG_LEVEL: 'warn', TEMPORAL_NAMESPACE: 'default', DATA_DIR: path.join(WORK, 'data'), PAYLOAD_KEYS: `bench:${randomBytes(32).toString('base64')}` };
  const arenas: Record<string, string> = opt['malloc-arenas'] ? { MALLOC_ARENA_MAX: opt['malloc-arenas'] } : {};
  // MALLOC_ARENA_MAX=2 as `npm run worker` and the image set it (README "Memory"); the baseline gets it too.
  const worker = start('worker', ['worker/main.ts'], { ...common, ...arenas, LOG_LEVEL: 'info', DATABASE_URL: directDb, TEMPORAL_ADDRESS: server.address, ...(opt.cache ? { WORKER_MAX_CACHED_WORKFLOWS: opt.cache } : {}) });
  const apiProc = start('api', ['api/main.ts'], { ...common, DATABASE_URL: proxiedDb, TEMPORAL_ADDRESS: `127.0.0.1:${temporalProxy.port}`, PORT: String(API_PORT), HOST: '127.0.0.1' });
  const baseline = start('baseline', ['scripts/bench/baseline/worker.ts', '--address', server.address, '--task-queue', 'bench-baseline'], arenas);
  await Promise.all([waitFor(worker.log, /worker started/, worker.child), waitFor(baseline.log, /baseline worker ready/, baseline.child)]);
  for (let i = 0; i < 300 && (await api('GET', '/readyz')).status !== 200; i++) await sleep(200);
  const workerInfo = /"maxCachedWorkflows":(\d+),"heapLimitMiB":(\d+)/.exec(fs.readFileSync(worker.log, 'utf8'));
  report.worker = { maxCachedWorkflows: Number(workerInfo?.[1]), heapLimitMiB: Number(workerInfo?.[2]) };
  say(`processes ready; worker cache ${workerInfo?.[1]} cases, heap limit ${workerInfo?.[2]} MiB`);
  const published = await api('POST', '/v1/templates', BENCH_TEMPLATE);
  if (published.status >= 300) throw new Error(`publish: ${published.status} ${JSON.stringify(published.json)}`);

  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const caseKeys: string[] = [];

  try {
    if (PHASES.has('open')) {
      // Warm up both workers (JIT, first contexts), then measure.
      for (let i = 0; i < 20; i++) {
        await api('POST', '/v1/cases', { template: 'perf-bench', title: `warm-up ${i}` });
        await client.workflow.start('entityWorkflow', { taskQueue: 'bench-baseline', workflowId: `entity-warm-${i}`, args: [{}] });
      }
      await sleep(3000);

      say(`baseline: ${BASELINE} entity workflows at ${RATE}/s`);
      const b0 = rss(baseline.child.pid)!;
      await paced(BASELINE, RATE, 16, async (i) => {
        const h = await client.workflow.start('entityWorkflow', { taskQueue: 'bench-baseline', workflowId: `entity-${i}`, args: [{}] });
        await h.query('state');
      });
      await sleep(3000);
      const b1 = rss(baseline.child.pid)!;
      report.baseline = { workflows: BASELINE, rssBeforeMiB: Math.round(b0 / MiB), rssAfterMiB: Math.round(b1 / MiB), rssPerWorkflowBytes: Math.round((b1 - b0) / BASELINE) };

      say(`open: ${N} cases through the API at ${RATE}/s`);
      const w0 = rss(worker.child.pid)!;
      const samples: Array<{ opened: number; workerRssMiB: number; apiRssMiB: number }> = [{ opened: 0, workerRssMiB: Math.round(w0 / MiB), apiRssMiB: Math.round(rss(apiProc.child.pid)! / MiB) }];
      const every = Math.max(100, Math.round(N / 20));
      const starts = await paced(
        N,
        RATE,
        16,
        async (i) => {
          const r = await api('POST', '/v1/cases', { template: 'perf-bench', title: `capacity ${i}` });
          if (r.status === 201) caseKeys[i] = String(r.json?.id);
          return r;
        },
        async (done) => {
          if (done % every === 0) {
            samples.push({ opened: done, workerRssMiB: Math.round(rss(worker.child.pid)! / MiB), apiRssMiB: Math.round(rss(apiProc.child.pid)! / MiB) });
            say(`  ${done} opened, worker RSS ${samples.at(-1)!.workerRssMiB} MiB`);
          }
        },
      );
      await sleep(3000);
      const w1 = rss(worker.child.pid)!;
      const cached = Math.min(N, Number(workerInfo?.[1]) || N);
      const atCache = samples.filter((s) => s.opened <= cached).at(-1)!;
      const statuses: Record<string, number> = {};
      for (const r of starts) statuses[r.status || r.error || '?'] = (statuses[r.status || r.error || '?'] ?? 0) + 1;
      // The oldest cases were evicted long ago: a command replays them from history.
      const oldest = caseKeys.filter(Boolean).slice(0, 25);
      const replayed = [];
      for (const key of oldest) replayed.push(await api('POST', `/v1/cases/${key}/comments`, { text: 'still here?' }));
      report.open = {
        cases: N,
        statuses,
        startP50Ms: pct(starts.filter((r) => r.status === 201).map((r) => r.ms), 0.5),
        startP99Ms: pct(starts.filter((r) => r.status === 201).map((r) => r.ms), 0.99),
        workerAlive: worker.child.exitCode === null,
        workerRssBeforeMiB: Math.round(w0 / MiB),
        workerRssAfterMiB: Math.round(w1 / MiB),
        workerRssPerCachedCaseBytes: Math.round(((atCache.workerRssMiB * MiB) - w0) / Math.max(1, atCache.opened)),
        workerRssPerOpenCaseBytes: Math.round((w1 - w0) / N),
        samples,
        evictedCasesCommanded: { sent: replayed.length, ok: replayed.filter((r) => r.status === 200).length, p50Ms: pct(replayed.map((r) => r.ms), 0.5) },
      };
      const perCached = (report.open as { workerRssPerCachedCaseBytes: number }).workerRssPerCachedCaseBytes;
      const perBaseline = (report.baseline as { rssPerWorkflowBytes: number }).rssPerWorkflowBytes;
      (report.open as Record<string, unknown>).perCachedCaseOverBaseline = Number((perCached / perBaseline).toFixed(2));
    }

    if (PHASES.has('burst')) {
      say(`burst: ${BURST} simultaneous POST /v1/cases (30 s client time-out)`);
      const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => api('POST', '/v1/cases', { template: 'perf-bench', title: `burst ${i}` }, { timeoutMs: 30_000, agent })));
      const statuses: Record<string, number> = {};
      for (const r of answers) statuses[r.status || r.error || '?'] = (statuses[r.status || r.error || '?'] ?? 0) + 1;
      const refused = answers.filter((r) => r.status === 429 || r.status === 503);
      report.burst = {
        requests: BURST,
        wallMs: Math.round(performance.now() - t0),
        statuses,
        codes: Object.fromEntries(Object.entries(answers.filter((r) => r.status >= 400).reduce<Record<string, number>>((acc, r) => ({ ...acc, [String(r.json?.code)]: (acc[String(r.json?.code)] ?? 0) + 1 }), {}))),
        timeouts: answers.filter((r) => r.error === 'timeout').length,
        refusedWithRetryAfter: `${refused.filter((r) => r.retryAfter).length}/${refused.length}`,
        p99Ms: pct(answers.map((r) => r.ms), 0.99),
        maxMs: Math.round(Math.max(...answers.map((r) => r.ms))),
      };
    }

    if (PHASES.has('outage')) {
      const key = caseKeys.find(Boolean) ?? String((await api('POST', '/v1/cases', { template: 'perf-bench', title: 'outage' })).json?.id);
      const probe = async () => {
        const out: Record<string, string> = {};
        const record = async (name: string, p: Promise<Answer>) => {
          const r = await p;
          out[name] = `${r.status || r.error} ${String(r.json?.code ?? '')} in ${Math.round(r.ms)} ms${r.retryAfter ? ` (Retry-After ${r.retryAfter})` : ''}`.replace(/\s+/g, ' ');
        };
        await record('GET /v1/cases/:id', api('GET', `/v1/cases/${key}`, undefined, { timeoutMs: 60_000 }));
        await record('POST comment', api('POST', `/v1/cases/${key}/comments`, { text: 'during an outage' }, { timeoutMs: 60_000 }));
        await record('POST /v1/cases', api('POST', '/v1/cases', { template: 'perf-bench', title: 'during an outage' }, { timeoutMs: 60_000 }));
        await record('GET /v1/cases', api('GET', '/v1/cases?limit=5', undefined, { timeoutMs: 60_000 }));
        const ready = await api('GET', '/readyz', undefined, { timeoutMs: 60_000 });
        out['GET /readyz'] = `${ready.status} ${JSON.stringify(ready.json?.checks ?? ready.json)} in ${Math.round(ready.ms)} ms`;
        return out;
      };
      const recovery = async () => {
        const t0 = performance.now();
        for (;;) {
          const r = await api('GET', `/v1/cases/${key}`);
          if (r.status === 200) return Math.round(performance.now() - t0);
          if (performance.now() - t0 > 60_000) return null;
          await sleep(250);
        }
      };
      say('outage: Temporal unplugged');
      await temporalProxy.cut();
      await sleep(500);
      const temporalDown = await probe();
      await temporalProxy.restore();
      const temporalBackMs = await recovery();
      say('outage: PostgreSQL unplugged');
      await pgProxy.cut();
      await sleep(500);
      const pgDown = await probe();
      await pgProxy.restore();
      const pgBackMs = await recovery();
      report.outage = { temporalDown, temporalBackMs, postgresDown: pgDown, postgresBackMs: pgBackMs };
    }
  } finally {
    await connection.close();
    for (const { child } of children.reverse()) child.kill('SIGTERM');
    await sleep(2000);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    await pgProxy.close();
    await temporalProxy.close();
    await server.stop();
    await admin.unsafe(`drop database if exists ${DB_NAME} with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
  }

  fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-output', 'bench-capacity.json'), JSON.stringify(report, null, 2));
  printReport(report);
}

function printReport(report: Record<string, unknown>) {
  const r = report as Record<string, Record<string, unknown> | undefined>;
  const rows: Array<[string, string]> = [];
  if (r.open && r.baseline) {
    rows.push(['worker cache (cases) / heap limit', `${r.worker?.maxCachedWorkflows} / ${r.worker?.heapLimitMiB} MiB`]);
    rows.push([`opened through the API`, `${r.open.cases} (${JSON.stringify(r.open.statuses)}); start p50/p99 ${r.open.startP50Ms}/${r.open.startP99Ms} ms`]);
    rows.push(['worker alive at the end', String(r.open.workerAlive)]);
    rows.push(['worker RSS before → after', `${r.open.workerRssBeforeMiB} → ${r.open.workerRssAfterMiB} MiB`]);
    rows.push(['RSS per cached case vs baseline workflow', `${r.open.workerRssPerCachedCaseBytes} B vs ${r.baseline.rssPerWorkflowBytes} B (${r.open.perCachedCaseOverBaseline}×)`]);
    rows.push(['RSS per open case (all opened)', `${r.open.workerRssPerOpenCaseBytes} B`]);
    const e = r.open.evictedCasesCommanded as { sent: number; ok: number; p50Ms: number };
    rows.push(['commands on the oldest (evicted) cases', `${e.ok}/${e.sent} ok, p50 ${e.p50Ms} ms`]);
  }
  if (r.burst) {
    rows.push([`burst of ${r.burst.requests}: statuses`, JSON.stringify(r.burst.statuses)]);
    rows.push(['burst: client time-outs / refusals with Retry-After', `${r.burst.timeouts} / ${r.burst.refusedWithRetryAfter}`]);
    rows.push(['burst: p99 / max answer', `${r.burst.p99Ms} / ${r.burst.maxMs} ms`]);
  }
  if (r.outage) {
    for (const [what, v] of Object.entries(r.outage.temporalDown as Record<string, string>)) rows.push([`Temporal down: ${what}`, v]);
    rows.push(['Temporal back: first 200 after', `${r.outage.temporalBackMs} ms`]);
    for (const [what, v] of Object.entries(r.outage.postgresDown as Record<string, string>)) rows.push([`PostgreSQL down: ${what}`, v]);
    rows.push(['PostgreSQL back: first 200 after', `${r.outage.postgresBackMs} ms`]);
  }
  const w = Math.max(...rows.map(([a]) => a.length));
  console.log(`\n${rows.map(([a, b]) => `${a.padEnd(w)} | ${b}`).join('\n')}\n`);
}

main().catch(async (err) => {
  console.error(err);
  for (const { child } of children) child.kill('SIGKILL');
  process.exit(1);
});
