/**
 * Throughput of the audit export (GET /v1/audit) over ~200,000 events, NDJSON and CSV:
 *   npx tsx scripts/bench-exports.ts [--events 200000] [--viewer admin|role] [--url postgres://…] [--pglite]
 * Fills a fresh database (on --url / TEST_DATABASE_URL / postgres://postgres@127.0.0.1:5432/postgres,
 * dropped afterwards; `--pglite` uses an embedded one in a temporary directory) with cases of one
 * template (a sensitive field, so redaction runs for a `role` viewer) and their events, serves the
 * real route (api/routes/audit.ts through route.ts's mountRoute) on a local port, and reads the
 * whole export over HTTP as fast as it comes. Prints events/s and MB/s. (The export's index on case_events (at,
 * case_key, seq) comes with the migrations.)
 */
import { freshBenchDatabase } from './bench/fresh-database';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import express from 'express';
import { sql } from 'drizzle-orm';
import type { ApiDeps } from '../api/deps';
import { errorHandler } from '../api/errors';
import { mountRoute } from '../api/route';
import { auditRoutes } from '../api/routes/audit';
import type { Database } from '../db/connection';
import { publishTemplate } from '../db/templates';
import type { Actor } from '../domain/actor';
import { templateDefinitionSchema } from '../domain/schemas/template';
import pino from 'pino';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    viewer: { type: 'string', default: 'role' },
    url: { type: 'string' },
    pglite: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const PER_CASE = 50;

const definition = templateDefinitionSchema.parse({
  key: 'bench-exports',
  name: 'Export benchmark',
  prefix: 'BEXP',
  roles: ['hr', 'manager'],
  permissions: { view: ['hr', 'manager'] },
  fields: [
    { key: 'note', type: 'text' },
    { key: 'salary', type: 'number', sensitive: true, visibleTo: ['hr'] },
  ],
  stages: [{ key: 'intake' }, { key: 'done', terminal: true }],
});

const viewer: Actor = values.viewer === 'admin' ? { id: 'ada', name: 'Ada Admin', roles: ['admin'], kind: 'user' } : { id: 'max', name: 'Max Manager', roles: ['manager'], kind: 'user' };

async function fill(db: Database): Promise<void> {
  await publishTemplate(db, { definition, publishedBy: 'bench' });
  const cases = Math.ceil(EVENTS / PER_CASE);
  await db.execute(sql`
    insert into cases (key, template_key, template_version, title, status, stage, owner, fields, view, last_seq, created_at, updated_at, access)
    select 'BEXP-' || c, 'bench-exports', 1, 'Case ' || c, 'open', 'intake', null, '{}', '{}', ${PER_CASE}, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '{role:hr,role:manager}'
    from generate_series(1, ${cases}) c`);
  // Typical events: comments and field changes (every fifth on the sensitive salary), spread over a year.
  await db.execute(sql`
    insert into case_events (case_key, seq, at, type, stage, actor, data)
    select 'BEXP-' || (1 + (g - 1) / ${PER_CASE}), 1 + (g - 1) % ${PER_CASE},
           timestamptz '2025-01-01T00:00:00Z' + (g::bigint * 157) * interval '1 ms', 
           case when g % 2 = 0 then 'comment.added' else 'field.changed' end, 'intake',
           '{"id":"hana","name":"Hana HR","roles":["hr"],"kind":"user"}'::jsonb,
           case when g % 2 = 0 then jsonb_build_object('text', 'A comment about case ' || g || ', with "quotes" and a second sentence.')
                when g % 5 = 1 then jsonb_build_object('field', 'salary', 'old', null, 'new', g)
                else jsonb_build_object('field', 'note', 'old', 'before ' || g, 'new', 'after ' || g) end
    from generate_series(1, ${EVENTS}) g`);
  await db.execute(sql`analyze`);
}

async function measure(port: number, accept: string): Promise<{ ms: number; bytes: number; lines: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ port, path: '/v1/audit?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', headers: { Accept: accept } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ ms: performance.now() - started, bytes, lines }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function main() {
  const { handle, drop, driver } = await freshBenchDatabase({ prefix: 'bench-exports', pglite: values.pglite, ...(values.url ? { url: values.url } : {}) });
  try {
    const filled = performance.now();
    await fill(handle.db);
    console.log(`${driver}: ${EVENTS} events in ${Math.ceil(EVENTS / PER_CASE)} cases written in ${((performance.now() - filled) / 1000).toFixed(1)} s`);
    const app = express();
    const router = express.Router();
    const log = pino({ level: 'warn' });
    for (const route of auditRoutes({ db: handle.db } as ApiDeps)) mountRoute(router, route, async () => viewer);
    app.use(router);
    app.use(errorHandler(log));
    const server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    for (const [format, accept] of [
      ['NDJSON', 'application/x-ndjson'],
      ['CSV', 'text/csv'],
    ] as const) {
      const { ms, bytes, lines } = await measure(port, accept);
      const events = format === 'CSV' ? lines - 1 : lines;
      console.log(
        `${format.padEnd(6)} viewer=${values.viewer}: ${events} events, ${(bytes / 2 ** 20).toFixed(1)} MB in ${(ms / 1000).toFixed(2)} s → ${Math.round(events / (ms / 1000)).toLocaleString('en')} events/s, ${(bytes / 2 ** 20 / (ms / 1000)).toFixed(1)} MB/s`,
      );
    }
    await new Promise((resolve) => server.close(resolve));
  } finally {
    await handle.close();
    await drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
