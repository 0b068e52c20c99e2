/**
 * Document upload and download throughput against a running API (`npm start` in another terminal):
 *   npx tsx scripts/bench-documents.ts --size-mb 25 --rounds 5
 * Uploads a file of the given size (default: 25 MiB, the default DOCUMENT_MAX_BYTES) as new
 * versions of one slot, then downloads each version and checks its sha256. Uses BENCH_API
 * (default http://localhost:$PORT) and BENCH_TOKEN (default: the dev token `npm start` saved).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/env';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '25' },
    rounds: { type: 'string', default: '5' },
  },
});
const config = loadConfig();
const api = process.env.BENCH_API ?? `http://localhost:${config.PORT}`;
const token = process.env.BENCH_TOKEN ?? fs.readFileSync(path.join(config.dataDir, 'dev-token'), 'utf8').trim();
const size = Math.round(Number(values['size-mb']) * 1024 * 1024);
const rounds = Number(values.rounds);
const auth = { Authorization: `Bearer ${token}` };

async function json(method: string, url: string, body?: unknown) {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: { ...auth, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await res.json()) as Record<string, unknown>;
  if (res.status >= 400) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

async function residentMb(): Promise<number | undefined> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes '));
  return line ? Number(line.split(' ')[1]) / 1024 / 1024 : undefined;
}

function report(name: string, ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const mb = size / 1024 / 1024;
  const rates = sorted.map((t) => mb / (t / 1000));
  console.log(
    `${name.padEnd(9)} n=${ms.length}  median ${median.toFixed(0).padStart(5)} ms = ${(mb / (median / 1000)).toFixed(1).padStart(6)} MiB/s` +
      `  (best ${Math.max(...rates).toFixed(1)}, worst ${Math.min(...rates).toFixed(1)} MiB/s)`,
  );
}

async function main() {
  await json('POST', '/v1/templates', {
    key: 'bench-documents',
    name: 'Document benchmark',
    prefix: 'BDOC',
    stages: [{ key: 'open' }, { key: 'done', terminal: true }],
    documents: [{ key: 'file' }],
  });
  const created = await json('POST', '/v1/cases', { template: 'bench-documents', title: 'Document benchmark' });
  const caseKey = created.id as string;
  const bytes = randomBytes(size);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  console.log(`${api}: case ${caseKey}, ${(size / 1024 / 1024).toFixed(1)} MiB file, ${rounds} rounds; server RSS ${(await residentMb())?.toFixed(0) ?? '?'} MiB`);

  const uploads: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), `bench-${i}.bin`);
    const start = performance.now();
    const res = await fetch(`${api}/v1/cases/${caseKey}/documents/file`, { method: 'POST', headers: auth, body: form });
    const body = (await res.json()) as { events?: Array<{ data: { sha256: string; version: number } }> };
    uploads.push(performance.now() - start);
    if (res.status !== 200 || body.events?.[0]?.data.sha256 !== sha256) throw new Error(`upload ${i}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
  report('upload', uploads);

  const downloads: number[] = [];
  for (let v = 1; v <= rounds; v++) {
    const start = performance.now();
    const res = await fetch(`${api}/v1/cases/${caseKey}/documents/file/versions/${v}`, { headers: auth });
    const got = Buffer.from(await res.arrayBuffer());
    downloads.push(performance.now() - start);
    if (res.status !== 200 || createHash('sha256').update(got).digest('hex') !== sha256) throw new Error(`download ${v}: ${res.status}, ${got.length} bytes`);
  }
  report('download', downloads);

  const start = performance.now();
  const cached = await fetch(`${api}/v1/cases/${caseKey}/documents/file`, { headers: { ...auth, 'If-None-Match': `"${sha256}"` } });
  console.log(`304       ${cached.status} in ${(performance.now() - start).toFixed(1)} ms (If-None-Match: no bytes read)`);
  console.log(`server RSS after: ${(await residentMb())?.toFixed(0) ?? '?'} MiB`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
