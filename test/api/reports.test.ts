/**
 * GET /v1/reports/:template: the stage report, computed in SQL from the read model. Templates are
 * published through the API; the cases and their timelines are written straight into `cases` and
 * `case_events` with known timestamps, so every figure can be checked exactly.
 */
import type { Connection } from '@temporalio/client';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { sql } from 'drizzle-orm';
import { bearerAuthenticator } from '../../api/auth';
import { apiRoutes } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { errorHandler } from '../../api/errors';
import { refuseMalformedUrl } from '../../api/input-guards';
import { buildOpenApiDocument } from '../../api/openapi';
import { mountRoute } from '../../api/route';
import { reportRoutes } from '../../api/routes/reports';
import { businessDurations, percentileCont } from '../../db/reports';
import { caseEvents, cases } from '../../db/schema';
import { businessTimeBetween } from '../../domain/durations';
import type { BusinessCalendar } from '../../domain/template';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let deps: ApiDeps;
let http: () => ReturnType<typeof request>;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const H = 3_600_000;
const FROM = '2026-03-02T00:00:00.000Z'; // a Monday: ISO week 2026-W10
const TO = '2026-03-16T00:00:00.000Z'; // two weeks later
const RANGE = `from=${FROM}&to=${TO}`;

const template = {
  key: 'reports',
  name: 'Reports',
  prefix: 'REP',
  roles: ['hr'],
  permissions: { view: ['hr'] },
  fields: [],
  stages: [
    { key: 'a', name: 'Stage A', sla: { goal: '1h', deadline: '4h', escalations: [{ after: '1h', do: [] }] } },
    { key: 'b', name: 'Stage B' },
    { key: 'done', name: 'Done', terminal: true },
  ],
};
const calendarTemplate = {
  key: 'reports-cal',
  name: 'Reports with a calendar',
  prefix: 'RCAL',
  roles: ['hr'],
  permissions: { view: ['hr'] },
  fields: [],
  stages: [{ key: 's1' }, { key: 'end', terminal: true }],
  calendar: { timeZone: 'UTC', workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'], workingHours: { start: '09:00', end: '17:00' } },
};

type Step = [at: string, type: string, stage: string, data?: Record<string, unknown>];

/** Writes a case and its timeline into the read model, as the projection would have. */
async function insertCase(key: string, tpl: string, steps: Step[], opts: { access?: string[]; status?: string; dueAt?: string } = {}) {
  const actor = { kind: 'user', id: 'hana', name: 'Hana HR', roles: ['hr'] };
  const last = steps[steps.length - 1]!;
  await stack.db.insert(cases).values({
    key,
    templateKey: tpl,
    templateVersion: 1,
    title: key,
    status: (opts.status ?? 'open') as 'open',
    stage: last[2],
    owner: null,
    fields: {},
    view: {} as never,
    lastSeq: steps.length,
    createdAt: new Date(steps[0]![0]),
    updatedAt: new Date(last[0]),
    closedAt: opts.status && opts.status !== 'open' ? new Date(last[0]) : null,
    dueAt: opts.dueAt ? new Date(opts.dueAt) : null,
    access: opts.access ?? ['role:hr'],
    searchText: key,
  });
  await stack.db.insert(caseEvents).values(
    steps.map(([at, type, stage, data], i) => ({ caseKey: key, seq: i + 1, at: new Date(at), type, stage, actor: actor as never, data: data ?? {} })),
  );
}

const day = (d: string, hh: number) => `2026-03-${d}T${String(hh).padStart(2, '0')}:00:00.000Z`;
const clock = (stage: string, goalAt: string | null = 'x', deadlineAt: string | null = 'y') => ({ stage, goalAt, deadlineAt });

/** A visit of stage a lasting `hours`, entered at 08:00 on day `d` of March; then stage b. */
function visitA(d: string, hours: number, extra: Step[] = []): Step[] {
  const left = new Date(Date.parse(day(d, 8)) + hours * H).toISOString();
  return [
    [day(d, 8), 'case.created', 'a', { title: 't', templateKey: 'reports', templateVersion: 1, owner: null }],
    [day(d, 8), 'stage.entered', 'a', { stage: 'a', from: null, direction: 'start' }],
    [day(d, 8), 'sla.started', 'a', clock('a')],
    ...extra,
    [left, 'stage.exited', 'a', { stage: 'a', to: 'b', direction: 'forward' }],
    [left, 'stage.entered', 'b', { stage: 'b', from: 'a', direction: 'forward' }],
  ];
}

async function counts() {
  const result = await stack.db.execute(sql`select (select count(*) from cases)::int as cases, (select count(*) from case_events)::int as events`);
  return (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows)[0];
}

beforeAll(async () => {
  stack = await startTestStack();
  deps = { db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: stack.config, log: pino({ level: 'silent' }) };
  // The report routes in front of the stack's app (whether or not api/app.ts registers them yet).
  const app = express();
  app.set('query parser', 'extended');
  const router = express.Router();
  router.use(refuseMalformedUrl);
  const authenticate = bearerAuthenticator(stack.db);
  for (const route of reportRoutes(deps)) mountRoute(router, route, authenticate);
  app.use(router);
  app.use(stack.app);
  app.use(errorHandler(deps.log));
  http = () => request(app);

  for (const t of [template, calendarTemplate]) {
    const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(t);
    expect(res.status).toBe(201);
  }

  // Stage a: visits of 1 h, 2 h, 3 h and 10 h; the goal missed in the 2 h one, the deadline (and one escalation) in the 10 h one.
  await insertCase('REP-1', 'reports', visitA('02', 1)); // open in b, no deadline
  await insertCase(
    'REP-2',
    'reports',
    [
      ...visitA('03', 2, [[day('03', 9), 'sla.goal_missed', 'a', { stage: 'a', goalAt: day('03', 9) }]]),
      [day('04', 10), 'stage.exited', 'b', { stage: 'b', to: 'done', direction: 'forward' }],
      [day('04', 10), 'stage.entered', 'done', { stage: 'done', from: 'b', direction: 'forward' }],
      [day('05', 10), 'case.closed', 'done', {}],
    ],
    { status: 'closed' },
  );
  await insertCase('REP-3', 'reports', [...visitA('09', 3), [day('10', 12), 'case.cancelled', 'b', { reason: 'withdrawn' }]], { status: 'cancelled' });
  await insertCase(
    'REP-4',
    'reports',
    visitA('10', 10, [
      [day('10', 12), 'sla.deadline_missed', 'a', { stage: 'a', deadlineAt: day('10', 12) }],
      [day('10', 13), 'sla.escalated', 'a', { stage: 'a', level: 1, escalation: 0, deadlineAt: day('10', 12) }],
    ]),
    { dueAt: day('11', 8) }, // open in b and overdue now
  );
  // Outside the range (April): counted nowhere but in "open now".
  await insertCase('REP-5', 'reports', visitA('30', 5).map(([at, ...rest]) => [at.replace('-03-', '-04-'), ...rest] as Step));
  // In the range, but hr may not see it (its access names someone else): only admins count it.
  await insertCase('REP-6', 'reports', visitA('11', 80, [[day('11', 9), 'sla.escalated', 'a', { stage: 'a', level: 1, escalation: 0, deadlineAt: day('11', 9) }]]), {
    access: ['user:zed'],
    dueAt: day('12', 8),
  });

  // Calendar Mon–Fri 09:00–17:00 UTC: Friday 16:00 → Monday 10:00 is 2 business hours; Monday 09:00 → Tuesday 09:00 is 8.
  const calendarCase = (key: string, start: string, end: string): Step[] => [
    [start, 'case.created', 's1', { title: key, templateKey: 'reports-cal', templateVersion: 1, owner: null }],
    [start, 'stage.entered', 's1', { stage: 's1', from: null, direction: 'start' }],
    [end, 'stage.exited', 's1', { stage: 's1', to: 'end', direction: 'forward' }],
    [end, 'stage.entered', 'end', { stage: 'end', from: 's1', direction: 'forward' }],
  ];
  await insertCase('RCAL-1', 'reports-cal', calendarCase('RCAL-1', '2026-03-06T16:00:00.000Z', '2026-03-09T10:00:00.000Z'));
  await insertCase('RCAL-2', 'reports-cal', calendarCase('RCAL-2', '2026-03-09T09:00:00.000Z', '2026-03-10T09:00:00.000Z'));
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe('GET /v1/reports/:template', () => {
  test('per stage: entered, cycle time, SLA outcomes, escalations, open and overdue now, over the visible cases', async () => {
    const res = await http().get(`/v1/reports/reports?${RANGE}`).set(auth(stack.tokens.hr));
    expect(res.status).toBe(200);
    expect(res.body.template).toEqual({ key: 'reports', version: 1, name: 'Reports' });
    expect(res.body.range).toEqual({ from: FROM, to: TO });
    expect(res.body.stages.map((s: { key: string }) => s.key)).toEqual(['a', 'b', 'done']);
    const [a, b, done] = res.body.stages;

    expect(a).toEqual({
      key: 'a',
      name: 'Stage A',
      terminal: false,
      current: true,
      entered: 4,
      visitsEnded: 4,
      // 1 h, 2 h, 3 h, 10 h: percentile_cont(0.5) = 2.5 h; (0.9) = 3 h + 0.7 × 7 h = 7.9 h
      cycleTimeMs: { median: 9_000_000, p90: 28_440_000 },
      businessTimeMs: null,
      sla: {
        visits: 4,
        goal: { visits: 4, met: 3, missed: 1, metPct: 75, missedPct: 25 },
        deadline: { visits: 4, met: 3, missed: 1, metPct: 75, missedPct: 25 },
      },
      escalations: 1,
      open: 0,
      overdue: 0,
    });
    // b: REP-2 24 h (to the next stage), REP-3 25 h (to its cancellation); REP-1 and REP-4 are still in it.
    expect(b).toMatchObject({ entered: 4, visitsEnded: 2, cycleTimeMs: { median: 88_200_000, p90: 89_640_000 }, escalations: 0, open: 3, overdue: 1 });
    // No clock in b: no SLA figures.
    expect(b.sla).toEqual({ visits: 0, goal: { visits: 0, met: 0, missed: 0, metPct: null, missedPct: null }, deadline: { visits: 0, met: 0, missed: 0, metPct: null, missedPct: null } });
    // done: entered on the 4th, left by closing the case on the 5th.
    expect(done).toMatchObject({ terminal: true, entered: 1, visitsEnded: 1, cycleTimeMs: { median: 24 * H, p90: 24 * H }, open: 0 });

    expect(res.body.totals).toEqual({ visitsEnded: 7, escalations: 1, open: 3, overdue: 1, started: 4, closed: 1, cancelled: 1 });
    expect(res.body.businessTime).toBeNull();
  });

  test('cases started, closed and cancelled per ISO week of the range, empty weeks included', async () => {
    const res = await http().get(`/v1/reports/reports?${RANGE}`).set(auth(stack.tokens.hr));
    expect(res.body.weeks).toEqual([
      { week: '2026-W10', start: '2026-03-02', started: 2, closed: 1, cancelled: 0 },
      { week: '2026-W11', start: '2026-03-09', started: 2, closed: 0, cancelled: 1 },
    ]);
    const longer = await http().get(`/v1/reports/reports?from=${FROM}&to=2026-03-24T00:00:00Z`).set(auth(stack.tokens.hr));
    expect(longer.body.weeks.map((w: { week: string; started: number }) => [w.week, w.started])).toEqual([
      ['2026-W10', 2],
      ['2026-W11', 2],
      ['2026-W12', 0],
      ['2026-W13', 0],
    ]);
  });

  test('a case the caller may not see counts for nobody else; admins see every case', async () => {
    const admin = await http().get(`/v1/reports/reports?${RANGE}`).set(auth(stack.tokens.admin));
    const a = admin.body.stages[0];
    // REP-6's 80 h visit of a joins the four others: p90 = 10 h + 0.6 × 70 h = 52 h.
    expect(a).toMatchObject({ entered: 5, visitsEnded: 5, cycleTimeMs: { median: 3 * H, p90: 52 * H }, escalations: 2 });
    expect(admin.body.totals).toMatchObject({ started: 5, open: 4, overdue: 2 });

    const outsider = await http().get(`/v1/reports/reports?${RANGE}`).set(auth(stack.tokens.outsider));
    expect(outsider.status).toBe(200);
    expect(outsider.body.totals).toEqual({ visitsEnded: 0, escalations: 0, open: 0, overdue: 0, started: 0, closed: 0, cancelled: 0 });
    expect(outsider.body.stages[0]).toMatchObject({ entered: 0, visitsEnded: 0, cycleTimeMs: { median: null, p90: null } });
  });

  test('business time on the template calendar: Friday 16:00 to Monday 10:00 is 2 business hours', async () => {
    const res = await http().get(`/v1/reports/reports-cal?${RANGE}`).set(auth(stack.tokens.hr));
    expect(res.status).toBe(200);
    const [s1] = res.body.stages;
    // Wall clock: 66 h and 24 h.
    expect(s1.cycleTimeMs).toEqual({ median: 45 * H, p90: 222_480_000 }); // 24 h + 0.9 × 42 h = 61.8 h
    // Working time: 2 h and 8 h.
    expect(s1.businessTimeMs).toEqual({ median: 5 * H, p90: 26_640_000 }); // 7.4 h
    expect(res.body.stages[1]).toMatchObject({ key: 'end', visitsEnded: 0, businessTimeMs: { median: null, p90: null } });
    expect(res.body.businessTime).toEqual({ computed: true, visits: 2, limit: 50_000 });
    // A range holding only the Friday-to-Monday visit.
    const one = await http().get('/v1/reports/reports-cal?from=2026-03-09T10:00:00Z&to=2026-03-09T11:00:00Z').set(auth(stack.tokens.hr));
    expect(one.body.stages[0].businessTimeMs).toEqual({ median: 2 * H, p90: 2 * H });
  });

  test('the range defaults to the last 90 days', async () => {
    const before = Date.now();
    const res = await http().get('/v1/reports/reports').set(auth(stack.tokens.hr));
    expect(res.status).toBe(200);
    const from = Date.parse(res.body.range.from);
    const to = Date.parse(res.body.range.to);
    expect(to - from).toBe(90 * 24 * H);
    expect(to).toBeGreaterThanOrEqual(before);
    // Only `from`: up to now.
    const from10 = new Date(before - 10 * 24 * H).toISOString();
    const onlyFrom = await http().get(`/v1/reports/reports?from=${from10}`).set(auth(stack.tokens.hr));
    expect(onlyFrom.status).toBe(200);
    expect(onlyFrom.body.range.from).toBe(from10);
    expect(Date.parse(onlyFrom.body.range.to)).toBeGreaterThanOrEqual(before);
    // Only `to`: the 90 days before it.
    const onlyTo = await http().get(`/v1/reports/reports?to=${TO}`).set(auth(stack.tokens.hr));
    expect(onlyTo.body.range).toEqual({ from: '2025-12-16T00:00:00.000Z', to: TO });
    expect(onlyTo.body.totals).toMatchObject({ started: 4, closed: 1, cancelled: 1 });
  });

  test('bad input: precise 4xx problems, and nothing changes', async () => {
    const before = await counts();
    const refused = async (query: string, status: number, code: string, path?: string, tpl = 'reports') => {
      const res = await http().get(`/v1/reports/${tpl}${query}`).set(auth(stack.tokens.hr));
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(code);
      if (path) expect(res.body.errors).toEqual([expect.objectContaining({ path })]);
      return res.body as { detail: string; errors: Array<{ path: string; message: string }> };
    };
    const reversed = await refused(`?from=${TO}&to=${FROM}`, 422, 'validation_failed', 'to');
    expect(reversed.errors[0]!.message).toMatch(/after from/);
    await refused(`?from=${FROM}&to=${FROM}`, 422, 'validation_failed', 'to');
    await refused(`?from=yesterday&to=${TO}`, 422, 'validation_failed', 'from');
    await refused(`?from=2026-02-31T00:00:00Z&to=${TO}`, 422, 'validation_failed', 'from');
    await refused(`?from=${FROM}&to=2026-03-16`, 422, 'validation_failed', 'to');
    const long = await refused(`?from=2024-03-01T00:00:00Z&to=2026-03-01T00:00:00Z`, 422, 'validation_failed', 'to');
    expect(long.errors[0]!.message).toMatch(/at most 366 days/);
    await refused(`?from=${FROM}&from=${FROM}`, 422, 'validation_failed', 'from');
    await refused(`?${RANGE}&stage=a`, 422, 'validation_failed');
    await refused(`?${RANGE}`, 404, 'template_not_found', undefined, 'no-such-template');
    await refused(`?${RANGE}`, 422, 'validation_failed', 'template', 'Not%20A%20Key!');
    const anonymous = await http().get(`/v1/reports/reports?${RANGE}`);
    expect(anonymous.status).toBe(401);
    expect(await counts()).toEqual(before);
  });

  test('documented in OpenAPI: the answer schema, the query, the problems', () => {
    const doc = buildOpenApiDocument([...apiRoutes(deps), ...reportRoutes(deps)]) as unknown as {
      paths: Record<string, { get: { parameters: Array<{ name: string; in: string }>; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const op = doc.paths['/v1/reports/{template}']!.get;
    expect(op.parameters.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:template', 'query:from', 'query:to']);
    expect(op.responses['200']!.content!['application/json']!.schema.$ref).toBe('#/components/schemas/StageReport');
    expect(Object.keys(op.responses).sort()).toEqual(expect.arrayContaining(['200', '401', '404', '422']));
    expect(Object.keys(doc.components.schemas.ReportStage!.properties!)).toEqual(
      expect.arrayContaining(['entered', 'visitsEnded', 'cycleTimeMs', 'businessTimeMs', 'sla', 'escalations', 'open', 'overdue']),
    );
  });
});

describe('business time of many visits', () => {
  test('equals the domain’s businessTimeBetween, across DST changes, holidays and a 24:00 end', () => {
    const calendars: BusinessCalendar[] = [
      { timeZone: 'Europe/Paris', workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'], workingHours: { start: '09:00', end: '17:00' }, holidays: ['2026-03-30'] },
      { timeZone: 'Pacific/Auckland', workingDays: ['mon', 'wed', 'sat'], workingHours: { start: '08:30', end: '24:00' }, holidays: [] },
    ];
    let seed = 7;
    const rand = () => ((seed = (seed * 1_664_525 + 1_013_904_223) >>> 0) / 2 ** 32);
    const base = Date.parse('2026-03-01T00:00:00Z');
    const spans = Array.from({ length: 300 }, () => {
      const start = base + Math.floor(rand() * 90 * 24 * H);
      return { start, end: start + Math.floor(rand() * 12 * 24 * H) };
    });
    for (const calendar of calendars) {
      const expected = spans.map((s) => businessTimeBetween(new Date(s.start).toISOString(), new Date(s.end).toISOString(), calendar));
      expect(businessDurations(spans, calendar)).toEqual(expected);
    }
  });

  test('percentile_cont interpolates between the closest ranks, like PostgreSQL', () => {
    const hours = [1, 2, 3, 10].map((h) => h * H);
    expect(percentileCont(hours, 0.5)).toBe(9_000_000);
    expect(percentileCont(hours, 0.9)).toBe(28_440_000);
    expect(percentileCont([5], 0.9)).toBe(5);
    expect(percentileCont([], 0.5)).toBeNull();
  });
});
