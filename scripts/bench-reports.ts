/**
 * Time of the stage report (GET /v1/reports/:template) over a read model of ~100,000 events:
 *   npx tsx scripts/bench-reports.ts [--cases 5000] [--rounds 5] [--explain] [--url postgres://…]
 * Fills a fresh database (on --url / TEST_DATABASE_URL / postgres://postgres@127.0.0.1:5432/postgres,
 * dropped afterwards; `--pglite` uses an embedded one in a temporary directory) with cases of a
 * five-stage template with SLAs and a calendar, spread over the last year (~20 events a case),
 * then times the report for an admin and for a user who sees the cases through a role: the
 * default range (90 days) and a full year. Prints the median of the rounds; `--explain` prints
 * EXPLAIN ANALYZE of the report's heaviest query.
 */
import { freshBenchDatabase } from './bench/fresh-database';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/connection';
import { REPORT_DEFAULT_RANGE_DAYS, stageReport } from '../db/reports';
import { caseEvents, cases } from '../db/schema';
import { publishTemplate } from '../db/templates';
import type { Actor } from '../domain/actor';
import { templateDefinitionSchema } from '../domain/schemas/template';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    url: { type: 'string' },
    pglite: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
  },
});
const CASES = Number(values.cases);
const ROUNDS = Number(values.rounds);
const DAY = 86_400_000;
const HOUR = 3_600_000;

const STAGES = ['intake', 'review', 'approval', 'fulfilment', 'done'] as const;

const definition = templateDefinitionSchema.parse({
  key: 'bench-reports',
  name: 'Report benchmark',
  prefix: 'BREP',
  roles: ['hr'],
  permissions: { view: ['hr'] },
  fields: [{ key: 'note', type: 'text' }],
  stages: [
    { key: 'intake', sla: { goal: '1 business day', deadline: '2 business days' } },
    { key: 'review', sla: { goal: '2 business days', deadline: '4 business days', escalations: [{ after: '1 business day', do: [] }] } },
    { key: 'approval', sla: { goal: '1d', deadline: '3d' } },
    { key: 'fulfilment' },
    { key: 'done', terminal: true },
  ],
  calendar: { timeZone: 'Europe/Paris', workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'], workingHours: { start: '09:00', end: '17:00' }, holidays: ['2026-01-01', '2026-05-01'] },
});

/** A small deterministic generator: the same data on every run. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

type EventRow = typeof caseEvents.$inferInsert;
type CaseRow = typeof cases.$inferInsert;

/** One case's timeline: through the stages (sometimes back one), SLA clocks and misses, comments; closed, cancelled or still open. */
function generateCase(n: number, rand: () => number, now: number): { row: CaseRow; events: EventRow[] } {
  const key = `BREP-${n}`;
  const actor = { kind: 'user' as const, id: `u${n % 50}`, name: 'Bench', roles: ['hr'] };
  const events: EventRow[] = [];
  let at = now - Math.floor(rand() * 365 * DAY);
  let stage: string = STAGES[0];
  const push = (type: string, data: Record<string, unknown>, eventStage = stage) => events.push({ caseKey: key, seq: events.length + 1, at: new Date(at), type, stage: eventStage, actor, data });
  push('case.created', { title: `Case ${n}`, templateKey: 'bench-reports', templateVersion: 1, owner: actor.id });
  let index = 0;
  let status: 'open' | 'closed' | 'cancelled' = 'open';
  const enter = (to: string, from: string | null, direction: string) => {
    stage = to;
    push('stage.entered', { stage: to, from, direction });
    if (to !== 'fulfilment' && to !== 'done') push('sla.started', { stage: to, goalAt: new Date(at + DAY).toISOString(), deadlineAt: new Date(at + 2 * DAY).toISOString() });
  };
  enter(STAGES[0], null, 'start');
  const targetEvents = 14 + Math.floor(rand() * 13);
  while (events.length < targetEvents && at < now) {
    const stay = Math.floor(rand() * 4 * DAY) + Math.floor(rand() * 8 * HOUR);
    for (let k = Math.floor(rand() * 3); k > 0; k--) {
      at += Math.floor(stay / 4);
      push(rand() < 0.5 ? 'comment.added' : 'field.changed', rand() < 0.5 ? { commentId: `C-${k}`, text: 'ok', mentions: [] } : { field: 'note', old: null, new: `v${k}` });
    }
    if (stay > DAY && STAGES[index] !== 'fulfilment' && STAGES[index] !== 'done') push('sla.goal_missed', { stage, goalAt: new Date(at).toISOString() });
    if (stay > 2 * DAY && STAGES[index] !== 'fulfilment' && STAGES[index] !== 'done') push('sla.deadline_missed', { stage, deadlineAt: new Date(at).toISOString() });
    if (stay > 3 * DAY && stage === 'review') push('sla.escalated', { stage, level: 1, escalation: 0, deadlineAt: new Date(at).toISOString() });
    at += stay - 3 * Math.floor(stay / 4) + 1;
    if (at >= now) break;
    if (STAGES[index] === 'done') {
      push('case.closed', {});
      status = 'closed';
      break;
    }
    if (rand() < 0.03) {
      push('case.cancelled', { reason: 'withdrawn' });
      status = 'cancelled';
      break;
    }
    const back = index > 0 && rand() < 0.1;
    const next = back ? index - 1 : index + 1;
    const to = STAGES[next]!;
    push('stage.exited', { stage, to, direction: back ? 'back' : 'forward' });
    index = next;
    enter(to, STAGES[back ? index + 1 : index - 1]!, back ? 'back' : 'forward');
  }
  const first = events[0]!.at as Date;
  const last = events[events.length - 1]!.at as Date;
  const row: CaseRow = {
    key,
    templateKey: 'bench-reports',
    templateVersion: 1,
    title: `Case ${n}`,
    status,
    stage,
    owner: actor.id,
    fields: {},
    view: {} as CaseRow['view'],
    lastSeq: events.length,
    createdAt: first,
    updatedAt: last,
    closedAt: status === 'open' ? null : last,
    dueAt: status === 'open' && stage !== 'fulfilment' && stage !== 'done' ? new Date(last.getTime() + 2 * DAY) : null,
    access: [`user:${actor.id}`, 'role:hr'],
    searchText: key,
  };
  return { row, events };
}

async function fill(db: Database): Promise<number> {
  await publishTemplate(db, { definition, publishedBy: 'bench' });
  const rand = random(42);
  const now = Date.now();
  let total = 0;
  for (let start = 1; start <= CASES; start += 250) {
    const batch = Array.from({ length: Math.min(250, CASES - start + 1) }, (_, i) => generateCase(start + i, rand, now));
    await db.insert(cases).values(batch.map((b) => b.row));
    const events = batch.flatMap((b) => b.events);
    for (let i = 0; i < events.length; i += 1000) await db.insert(caseEvents).values(events.slice(i, i + 1000));
    total += events.length;
  }
  await db.execute(sql`analyze`);
  return total;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const { handle, drop } = await freshBenchDatabase({ prefix: 'bench-reports', pglite: values.pglite, ...(values.url ? { url: values.url } : {}) });
  try {
    const db = handle.db;
    const filling = Date.now();
    const events = await fill(db);
    console.log(`${handle.driver}: ${CASES} cases, ${events} events (filled in ${((Date.now() - filling) / 1000).toFixed(1)} s)`);
    const template = { key: 'bench-reports', version: 1, prefix: 'BREP', definition, publishedAt: new Date().toISOString() };
    const admin: Actor = { kind: 'user', id: 'ada', name: 'Ada', roles: ['admin'] };
    const hr: Actor = { kind: 'user', id: 'hana', name: 'Hana', roles: ['hr'] };
    const now = Date.now();
    const ranges = {
      [`last ${REPORT_DEFAULT_RANGE_DAYS} days`]: { from: new Date(now - REPORT_DEFAULT_RANGE_DAYS * DAY), to: new Date(now) },
      'last 365 days': { from: new Date(now - 365 * DAY), to: new Date(now) },
    };
    for (const [label, range] of Object.entries(ranges)) {
      for (const [who, viewer] of [['admin', admin], ['hr role', hr]] as const) {
        const report = await stageReport(db, template, viewer, range); // warm-up
        const ms: number[] = [];
        for (let i = 0; i < ROUNDS; i++) ms.push(await time(() => stageReport(db, template, viewer, range)));
        console.log(
          `${label.padEnd(13)} ${who.padEnd(7)} median ${median(ms).toFixed(0).padStart(5)} ms of ${ROUNDS} (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)})` +
            `  visits ${report.totals.visitsEnded}, business time ${report.businessTime?.computed ? 'computed' : 'not computed'}`,
        );
      }
    }
    if (values.explain) {
      const range = ranges['last 365 days']!;
      const result = await db.execute(sql`explain (analyze, buffers off)
        with ends as (
          select e.case_key, e.seq, e.at from case_events e join cases on cases.key = e.case_key
          where e.type in ('stage.exited', 'case.closed', 'case.cancelled')
            and e.at >= ${range.from.toISOString()}::timestamptz and e.at < ${range.to.toISOString()}::timestamptz
            and cases.template_key = 'bench-reports' and cases.access && array['user:hana', 'role:hr']::text[]),
        visits as (
          select ends.case_key, s.stage, s.seq as start_seq, s.at as started_at, ends.seq as end_seq, ends.at as ended_at
          from ends cross join lateral (
            select b.type, b.seq, b.at, b.stage from case_events b
            where b.case_key = ends.case_key and b.seq < ends.seq and b.type in ('stage.entered', 'stage.exited', 'case.closed', 'case.cancelled')
            order by b.seq desc limit 1) s
          where s.type = 'stage.entered')
        select v.stage, count(*), percentile_cont(0.5) within group (order by extract(epoch from ended_at - started_at)),
          count(*) filter (where k.clocked)
        from visits v cross join lateral (
          select bool_or(x.type = 'sla.started') as clocked from case_events x
          where x.case_key = v.case_key and x.seq > v.start_seq and x.seq < v.end_seq
            and x.type in ('sla.started', 'sla.goal_missed', 'sla.deadline_missed', 'sla.deadline_changed')) k
        group by v.stage`);
      const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
      console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
  } finally {
    await handle.close();
    await drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
