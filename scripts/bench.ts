/**
 * Load benchmark against a running API (`npm start` in another terminal):
 *   npm run bench -- --cases 50 --commands 20 --concurrency 8
 * Measures case starts, synchronous commands (Updates), async commands (Signals) and how long the
 * read model lags behind a command. Uses BENCH_API (default http://localhost:3000) and BENCH_TOKEN
 * (default: the dev token `npm start` saved in DATA_DIR).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '30' },
    commands: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
  },
});
const config = loadConfig();
const api = process.env.BENCH_API ?? `http://localhost:${config.PORT}`;
const token = process.env.BENCH_TOKEN ?? fs.readFileSync(path.join(config.dataDir, 'dev-token'), 'utf8').trim();
const nCases = Number(values.cases);
const nCommands = Number(values.commands);
const concurrency = Number(values.concurrency);

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 400) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  samples.push(performance.now() - start);
  return result;
}

async function pool<T>(items: T[], worker: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await worker(item);
  }));
}

function summary(name: string, samples: number[], wallMs?: number) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  const rate = wallMs ? `${((samples.length / wallMs) * 1000).toFixed(1)}/s` : '';
  console.log(`${name.padEnd(26)} n=${String(samples.length).padEnd(5)} p50=${at(0.5).padStart(7)} ms  p95=${at(0.95).padStart(7)} ms  p99=${at(0.99).padStart(7)} ms  ${rate}`);
}

async function main() {
  await call('POST', '/v1/templates', {
    key: 'bench',
    name: 'Benchmark',
    prefix: 'BENCH',
    fields: [{ key: 'counter', type: 'number' }, { key: 'note', type: 'text' }],
    stages: [{ key: 'open' }, { key: 'working' }, { key: 'done', terminal: true }],
  }).catch((err) => {
    if (!String(err).includes('→ 200')) throw err;
  });

  const starts: number[] = [];
  const startWall = performance.now();
  const ids: string[] = [];
  await pool(Array.from({ length: nCases }, (_, i) => i), async (i) => {
    const view = await timed(starts, () => call('POST', '/v1/cases', { template: 'bench', title: `Bench case ${i}` }));
    ids.push(view.id as string);
  });
  summary('start case', starts, performance.now() - startWall);

  const updates: number[] = [];
  const signals: number[] = [];
  const lag: number[] = [];
  const commandWall = performance.now();
  await pool(ids, async (id) => {
    for (let i = 0; i < nCommands; i++) {
      if (i % 4 === 3) {
        await timed(signals, () => call('POST', `/v1/cases/${id}/comments`, { text: `async ${i}` }, { Prefer: 'respond-async' }));
      } else if (i % 2 === 0) {
        await timed(updates, () => call('PATCH', `/v1/cases/${id}/fields`, { counter: i }));
      } else {
        await timed(updates, () => call('POST', `/v1/cases/${id}/comments`, { text: `comment ${i}` }));
      }
    }
    // read-model lag: from an acknowledged command until its event is listed in the timeline
    const result = await call('POST', `/v1/cases/${id}/comments`, { text: 'lag probe' });
    const seq = (result.events as Array<{ seq: number }>)[0]!.seq;
    const acknowledged = performance.now();
    for (;;) {
      const page = await call('GET', `/v1/cases/${id}/timeline?after=${seq - 1}&limit=1`);
      if ((page.items as unknown[]).length) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    lag.push(performance.now() - acknowledged);
  });
  const wall = performance.now() - commandWall;
  summary('command (update, 200)', updates, wall);
  summary('command (signal, 202)', signals);
  summary('read-model lag', lag);
  console.log(`${nCases} cases × ${nCommands} commands, concurrency ${concurrency}, against ${api}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
