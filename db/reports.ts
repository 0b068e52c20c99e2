import { sql, type SQL } from 'drizzle-orm';
import type { Actor } from '../domain/actor';
import { businessTimeBetween, workingIntervalsBetween } from '../domain/durations';
import { stageName, type BusinessCalendar, type PublishedTemplate } from '../domain/template';
import type { Database } from './connection';
import { visibleTo } from './read-model';

/**
 * Reports over the read model (`case_events`, `cases`), computed in SQL, over the cases a viewer
 * may see (`visibleTo`). A **visit** of a stage runs from a `stage.entered` to the next
 * `stage.exited`, `case.closed` or `case.cancelled` of the same case; its cycle time is the time
 * between the two. Figures over visits count the visits that **ended** in the range.
 */

/** The longest range a report covers: a year (and a day, for leap years). */
export const REPORT_MAX_RANGE_DAYS = 366;
/** The default range: the last 90 days. */
export const REPORT_DEFAULT_RANGE_DAYS = 90;
/** Business time is computed in the API, visit by visit: only up to this many visits. */
export const BUSINESS_TIME_MAX_VISITS = 50_000;

const DAY_MS = 86_400_000;

export interface Percentiles {
  /** percentile_cont(0.5), in milliseconds; null without a visit. */
  median: number | null;
  /** percentile_cont(0.9), in milliseconds; null without a visit. */
  p90: number | null;
}

export interface SlaOutcome {
  /** Visits with this target on their clock (ended in the range). */
  visits: number;
  met: number;
  missed: number;
  /** Percent of `visits`, one decimal; null without a visit. */
  metPct: number | null;
  missedPct: number | null;
}

export interface StageReport {
  key: string;
  name: string;
  terminal: boolean;
  /** Whether the template's latest version has this stage (cases of older versions may be elsewhere). */
  current: boolean;
  /** Cases that entered the stage in the range. */
  entered: number;
  /** Visits of the stage that ended in the range: the population of the time figures and SLA outcomes. */
  visitsEnded: number;
  cycleTimeMs: Percentiles;
  /** Working time on the template's calendar; null without a calendar or when not computed (see `businessTime`). */
  businessTimeMs: Percentiles | null;
  sla: { visits: number; goal: SlaOutcome; deadline: SlaOutcome };
  /** `sla.escalated` events in the range. */
  escalations: number;
  /** Open cases in the stage now. */
  open: number;
  /** Open cases in the stage whose earliest deadline has passed, now. */
  overdue: number;
}

export interface WeekReport {
  /** ISO week, e.g. `2026-W07`. */
  week: string;
  /** Monday of the week (UTC), `YYYY-MM-DD`. */
  start: string;
  started: number;
  closed: number;
  cancelled: number;
}

export interface BusinessTimeStatus {
  computed: boolean;
  visits: number;
  limit: number;
  reason?: string;
}

export interface StageReportAnswer {
  template: { key: string; version: number; name: string };
  range: { from: string; to: string };
  generatedAt: string;
  stages: StageReport[];
  totals: { visitsEnded: number; escalations: number; open: number; overdue: number; started: number; closed: number; cancelled: number };
  weeks: WeekReport[];
  /** Null when the template has no calendar. */
  businessTime: BusinessTimeStatus | null;
}

type Row = Record<string, unknown>;

/** Rows of a raw query, whichever driver ran it (postgres.js answers an array, PGlite `{ rows }`). */
function rowsOf(result: unknown): Row[] {
  return (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Math.round(Number(v)));
const pct = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((part / whole) * 1000) / 10);

/** The cases of the template the viewer may see: a condition on the unaliased `cases` table. */
function templateCases(templateKey: string, viewer: Actor): SQL {
  const visible = visibleTo(viewer);
  return visible ? sql`cases.template_key = ${templateKey} and ${visible}` : sql`cases.template_key = ${templateKey}`;
}

const VISIT_BOUNDARIES = sql`('stage.entered', 'stage.exited', 'case.closed', 'case.cancelled')`;
const VISIT_ENDS = sql`('stage.exited', 'case.closed', 'case.cancelled')`;
const SLA_TYPES = sql`('sla.started', 'sla.goal_missed', 'sla.deadline_missed', 'sla.deadline_changed')`;

/**
 * `visits (case_key, stage, start_seq, started_at, end_seq, ended_at)`: the visits that ended in
 * [from, to). An end event closes a visit when the boundary event before it is a `stage.entered`
 * (after a close and a reopen the case has no open visit until it enters a stage again).
 */
function visitsCte(templateKey: string, viewer: Actor, from: Date, to: Date): SQL {
  return sql`
    ends as (
      select e.case_key, e.seq, e.at
      from case_events e
      join cases on cases.key = e.case_key
      where e.type in ${VISIT_ENDS}
        and e.at >= ${from.toISOString()}::timestamptz and e.at < ${to.toISOString()}::timestamptz
        and ${templateCases(templateKey, viewer)}
    ),
    visits as (
      select ends.case_key, s.stage, s.seq as start_seq, s.at as started_at, ends.seq as end_seq, ends.at as ended_at
      from ends
      cross join lateral (
        select b.type, b.seq, b.at, b.stage
        from case_events b
        where b.case_key = ends.case_key and b.seq < ends.seq and b.type in ${VISIT_BOUNDARIES}
        order by b.seq desc
        limit 1
      ) s
      where s.type = 'stage.entered'
    )`;
}

interface VisitStats {
  stage: string;
  visits: number;
  median: number | null;
  p90: number | null;
  clocked: number;
  goalVisits: number;
  goalMissed: number;
  deadlineVisits: number;
  deadlineMissed: number;
  /** Start and end (epoch ms) of each visit, when asked for and there are at most `spansUpTo` visits in all. */
  spans: Array<{ start: number; end: number }> | null;
}

/**
 * Cycle-time percentiles and SLA outcomes of the visits that ended in the range, per stage; with
 * `spansUpTo`, also each visit's start and end when the range has at most that many visits (for
 * business time: the visits are computed once, and never more than that many are sent).
 */
async function visitStats(db: Database, templateKey: string, viewer: Actor, from: Date, to: Date, spansUpTo: number | undefined): Promise<VisitStats[]> {
  const spans =
    spansUpTo === undefined
      ? sql`null::text`
      : sql`string_agg((extract(epoch from started_at) * 1000)::bigint || ':' || (extract(epoch from ended_at) * 1000)::bigint, ',')
          filter (where (select count(*) from visits) <= ${spansUpTo})`;
  const result = await db.execute(sql`
    with ${visitsCte(templateKey, viewer, from, to)},
    clocked as (
      select v.stage, v.started_at, v.ended_at, k.*
      from visits v
      cross join lateral (
        select
          coalesce(bool_or(x.type = 'sla.started'), false) as clocked,
          coalesce(bool_or(x.type = 'sla.started' and x.data->>'goalAt' is not null), false) as has_goal,
          coalesce(bool_or((x.type = 'sla.started' and x.data->>'deadlineAt' is not null) or x.type = 'sla.deadline_changed'), false) as has_deadline,
          coalesce(bool_or(x.type = 'sla.goal_missed'), false) as goal_missed,
          coalesce(bool_or(x.type = 'sla.deadline_missed'), false) as deadline_missed
        from case_events x
        where x.case_key = v.case_key and x.seq > v.start_seq and x.seq < v.end_seq
          and x.type in ${SLA_TYPES}
      ) k
    )
    select
      stage,
      count(*)::int as visits,
      percentile_cont(0.5) within group (order by extract(epoch from ended_at - started_at) * 1000)::float8 as median,
      percentile_cont(0.9) within group (order by extract(epoch from ended_at - started_at) * 1000)::float8 as p90,
      count(*) filter (where clocked)::int as clocked,
      count(*) filter (where clocked and has_goal)::int as goal_visits,
      count(*) filter (where clocked and has_goal and goal_missed)::int as goal_missed,
      count(*) filter (where clocked and has_deadline)::int as deadline_visits,
      count(*) filter (where clocked and has_deadline and deadline_missed)::int as deadline_missed,
      ${spans} as spans
    from clocked
    group by stage`);
  return rowsOf(result).map((r) => ({
    stage: String(r.stage),
    visits: num(r.visits),
    median: numOrNull(r.median),
    p90: numOrNull(r.p90),
    clocked: num(r.clocked),
    goalVisits: num(r.goal_visits),
    goalMissed: num(r.goal_missed),
    deadlineVisits: num(r.deadline_visits),
    deadlineMissed: num(r.deadline_missed),
    spans:
      typeof r.spans === 'string'
        ? r.spans.split(',').map((pair) => {
            const [start, end] = pair.split(':');
            return { start: Number(start), end: Number(end) };
          })
        : null,
  }));
}

/** Per stage: cases that entered it and escalations, in the range. */
async function stageEvents(db: Database, templateKey: string, viewer: Actor, from: Date, to: Date) {
  const result = await db.execute(sql`
    select e.stage,
      count(distinct e.case_key) filter (where e.type = 'stage.entered')::int as entered,
      count(*) filter (where e.type = 'sla.escalated')::int as escalations
    from case_events e
    join cases on cases.key = e.case_key
    where e.type in ('stage.entered', 'sla.escalated')
      and e.at >= ${from.toISOString()}::timestamptz and e.at < ${to.toISOString()}::timestamptz
      and ${templateCases(templateKey, viewer)}
    group by e.stage`);
  return rowsOf(result).map((r) => ({ stage: String(r.stage), entered: num(r.entered), escalations: num(r.escalations) }));
}

/** Open and overdue cases per stage, now. */
async function openNow(db: Database, templateKey: string, viewer: Actor) {
  const result = await db.execute(sql`
    select cases.stage, count(*)::int as open, count(*) filter (where cases.due_at <= now())::int as overdue
    from cases
    where cases.status = 'open' and ${templateCases(templateKey, viewer)}
    group by cases.stage`);
  return rowsOf(result).map((r) => ({ stage: String(r.stage), open: num(r.open), overdue: num(r.overdue) }));
}

/** Cases started, closed and cancelled per ISO week (UTC, Monday first) of the range; weeks without any are listed with zeros. */
async function weekly(db: Database, templateKey: string, viewer: Actor, from: Date, to: Date): Promise<WeekReport[]> {
  const result = await db.execute(sql`
    with weeks as (
      select generate_series(
        date_trunc('week', ${from.toISOString()}::timestamptz at time zone 'UTC'),
        ${to.toISOString()}::timestamptz at time zone 'UTC' - interval '1 millisecond',
        interval '1 week') as week
    ),
    counts as (
      select date_trunc('week', e.at at time zone 'UTC') as week,
        count(*) filter (where e.type = 'case.created')::int as started,
        count(*) filter (where e.type = 'case.closed')::int as closed,
        count(*) filter (where e.type = 'case.cancelled')::int as cancelled
      from case_events e
      join cases on cases.key = e.case_key
      where e.type in ('case.created', 'case.closed', 'case.cancelled')
        and e.at >= ${from.toISOString()}::timestamptz and e.at < ${to.toISOString()}::timestamptz
        and ${templateCases(templateKey, viewer)}
      group by 1
    )
    select to_char(weeks.week, 'IYYY-"W"IW') as iso_week, to_char(weeks.week, 'YYYY-MM-DD') as start,
      coalesce(counts.started, 0) as started, coalesce(counts.closed, 0) as closed, coalesce(counts.cancelled, 0) as cancelled
    from weeks left join counts using (week)
    order by weeks.week`);
  return rowsOf(result).map((r) => ({ week: String(r.iso_week), start: String(r.start), started: num(r.started), closed: num(r.closed), cancelled: num(r.cancelled) }));
}

/** percentile_cont over `values` (sorted ascending): linear interpolation between the closest ranks. */
export function percentileCont(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower]!;
  const b = sorted[upper]!;
  return Math.round(a + (b - a) * (position - lower));
}

/** Working intervals as prefix sums: where each starts and ends, and the working time before it. */
function workingIntervals(calendar: BusinessCalendar, fromMs: number, toMs: number): { starts: number[]; ends: number[]; before: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  const before: number[] = [];
  let total = 0;
  for (const { start, end } of workingIntervalsBetween(fromMs, toMs, calendar)) {
    starts.push(start);
    ends.push(end);
    before.push(total);
    total += end - start;
  }
  return { starts, ends, before };
}

/**
 * Working time of each span on the calendar, as the domain's `businessTimeBetween` measures it.
 * That function walks day by day through luxon (~0.1 ms a day); here the calendar's working
 * intervals over the spans' days are listed once (domain/durations.ts: the same rule), and each
 * span is measured with two binary searches.
 */
export function businessDurations(spans: ReadonlyArray<{ start: number; end: number }>, calendar: BusinessCalendar): number[] {
  if (spans.length === 0) return [];
  const direct = () => spans.map((s) => businessTimeBetween(new Date(s.start).toISOString(), new Date(s.end).toISOString(), calendar));
  let first = Infinity;
  let last = -Infinity;
  for (const s of spans) {
    first = Math.min(first, s.start);
    last = Math.max(last, s.end);
  }
  // A day before and after: a calendar day in the zone may start before the first UTC instant.
  if (last - first > 366 * 20 * DAY_MS) return direct();
  const { starts, ends, before } = workingIntervals(calendar, first - DAY_MS, last + DAY_MS);
  /** Working time from the first interval's start up to `t`. */
  const upTo = (t: number): number => {
    // The last interval starting at or before t.
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return 0;
    return before[found]! + Math.min(t, ends[found]!) - starts[found]!;
  };
  return spans.map((s) => (s.end <= s.start ? 0 : upTo(s.end) - upTo(s.start)));
}

/**
 * The stage report of a template (its latest version's stages, in order; stages only older
 * versions have come after) over [from, to), for what `viewer` may see. One read-only snapshot.
 */
export async function stageReport(db: Database, template: PublishedTemplate, viewer: Actor, range: { from: Date; to: Date }): Promise<StageReportAnswer> {
  const { from, to } = range;
  const calendar = template.definition.calendar;
  return db.transaction(
    async (tx) => {
      const txDb = tx as unknown as Database;
      // These queries are short; compiling them (JIT, above its default cost threshold) costs more than it saves.
      await txDb.execute(sql`set local jit = off`);
      const [stats, events, open, weeks] = [
        await visitStats(txDb, template.key, viewer, from, to, calendar ? BUSINESS_TIME_MAX_VISITS : undefined),
        await stageEvents(txDb, template.key, viewer, from, to),
        await openNow(txDb, template.key, viewer),
        await weekly(txDb, template.key, viewer, from, to),
      ];
      const visitsEnded = stats.reduce((n, s) => n + s.visits, 0);

      let businessTime: BusinessTimeStatus | null = null;
      const businessByStage = new Map<string, Percentiles>();
      if (calendar) {
        if (visitsEnded > BUSINESS_TIME_MAX_VISITS || stats.some((s) => s.spans === null)) {
          businessTime = {
            computed: false,
            visits: visitsEnded,
            limit: BUSINESS_TIME_MAX_VISITS,
            reason: `${visitsEnded} visits ended in the range, more than the ${BUSINESS_TIME_MAX_VISITS} business time is computed for: narrow the range`,
          };
        } else {
          const spans = stats.flatMap((s) => (s.spans ?? []).map((span) => ({ ...span, stage: s.stage })));
          const durations = businessDurations(spans, calendar);
          const byStage = new Map<string, number[]>();
          spans.forEach((s, i) => {
            const list = byStage.get(s.stage) ?? [];
            list.push(durations[i]!);
            byStage.set(s.stage, list);
          });
          for (const [stage, values] of byStage) {
            values.sort((x, y) => x - y);
            businessByStage.set(stage, { median: percentileCont(values, 0.5), p90: percentileCont(values, 0.9) });
          }
          businessTime = { computed: true, visits: spans.length, limit: BUSINESS_TIME_MAX_VISITS };
        }
      }

      const statsOf = new Map(stats.map((s) => [s.stage, s]));
      const eventsOf = new Map(events.map((e) => [e.stage, e]));
      const openOf = new Map(open.map((o) => [o.stage, o]));
      const stage = (key: string, name: string, terminal: boolean, current: boolean): StageReport => {
        const s = statsOf.get(key);
        const e = eventsOf.get(key);
        const o = openOf.get(key);
        const outcome = (visits: number, missed: number): SlaOutcome => ({ visits, met: visits - missed, missed, metPct: pct(visits - missed, visits), missedPct: pct(missed, visits) });
        return {
          key,
          name,
          terminal,
          current,
          entered: e?.entered ?? 0,
          visitsEnded: s?.visits ?? 0,
          cycleTimeMs: { median: s?.median ?? null, p90: s?.p90 ?? null },
          businessTimeMs: businessTime?.computed ? (businessByStage.get(key) ?? { median: null, p90: null }) : null,
          sla: { visits: s?.clocked ?? 0, goal: outcome(s?.goalVisits ?? 0, s?.goalMissed ?? 0), deadline: outcome(s?.deadlineVisits ?? 0, s?.deadlineMissed ?? 0) },
          escalations: e?.escalations ?? 0,
          open: o?.open ?? 0,
          overdue: o?.overdue ?? 0,
        };
      };
      const def = template.definition;
      const known = new Set(def.stages.map((s) => s.key));
      const stages = def.stages.map((s) => stage(s.key, stageName(s), s.terminal, true));
      const others = [...new Set([...statsOf.keys(), ...eventsOf.keys(), ...openOf.keys()])].filter((k) => !known.has(k)).sort();
      for (const key of others) stages.push(stage(key, key, false, false));

      const sum = (pick: (s: StageReport) => number) => stages.reduce((n, s) => n + pick(s), 0);
      return {
        template: { key: template.key, version: template.version, name: def.name },
        range: { from: from.toISOString(), to: to.toISOString() },
        generatedAt: new Date().toISOString(),
        stages,
        totals: {
          visitsEnded,
          escalations: sum((s) => s.escalations),
          open: sum((s) => s.open),
          overdue: sum((s) => s.overdue),
          started: weeks.reduce((n, w) => n + w.started, 0),
          closed: weeks.reduce((n, w) => n + w.closed, 0),
          cancelled: weeks.reduce((n, w) => n + w.cancelled, 0),
        },
        weeks,
        businessTime,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

