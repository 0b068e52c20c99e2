/**
 * Exports: GET /v1/cases as CSV (content negotiation; template columns; redaction; RFC 4180
 * quoting; CSV-injection escaping; only visible cases; every sort resumes batches exactly like the
 * list orders) and GET /v1/audit as NDJSON and CSV (a [from, to) range, redaction, validation),
 * a memory bound: 200,000 events streamed to a slow reader without the heap growing with them; and
 * a client that disconnects stops the export.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { sql } from 'drizzle-orm';
import express from 'express';
import type { Response } from 'supertest';
import type { ApiDeps } from '../../api/deps';
import { mountRoute } from '../../api/route';
import { auditRoutes } from '../../api/routes/audit';
import { caseExportBatches } from '../../db/exports';
import { listCases } from '../../db/read-model';
import { createApiToken } from '../../db/tokens';
import type { Actor } from '../../domain/actor';
import { CASE_SORTS } from '../../domain/case-list';
import { parseCsv } from '../support/csv';
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let auditor: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const BOM = '\uFEFF';

const template = {
  key: 'exp-hr',
  name: 'Export HR',
  prefix: 'EXP',
  roles: ['hr', 'manager'],
  permissions: { view: ['hr', 'manager'] },
  fields: [
    { key: 'fullName', label: 'Full name', type: 'text' },
    { key: 'salary', label: 'Salary', type: 'number', sensitive: true, visibleTo: ['hr'] },
    { key: 'equipment', label: 'Equipment', type: 'multiselect', options: ['laptop', 'phone', 'badge'] },
    { key: 'remote', type: 'boolean' },
    { key: 'note', label: 'Note', type: 'longtext' },
  ],
  stages: [{ key: 'intake', name: 'Intake' }, { key: 'done', name: 'Done', terminal: true }],
};
// Seen by hr only: absent from the manager's exports.
const secret = { ...template, key: 'exp-secret', name: 'Export secret', prefix: 'EXS', permissions: { view: ['hr'] } };

let jane: string;
let formula: string;
let hidden: string;

/** The raw bytes of an answer (supertest would decode and buffer text its own way). */
const raw = (res: Response) => res.body as Buffer;
function get(path: string, token: string, accept?: string) {
  const req = stack.http().get(path).set(auth(token));
  if (accept) req.set('Accept', accept);
  return req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}
/** The CSV of an answer: it starts with the UTF-8 BOM; parsed with the reference reader. */
function csvOf(res: Response): string[][] {
  const text = raw(res).toString('utf8');
  expect(text.startsWith(BOM)).toBe(true);
  return parseCsv(text.slice(1));
}
const byKey = (rows: string[][]) => new Map(rows.slice(1).map((r) => [r[0]!, r]));

async function start(tpl: string, title: string, fields: Record<string, unknown>) {
  const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.admin)).send({ template: tpl, title, fields });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

beforeAll(async () => {
  stack = await startTestStack();
  auditor = (await createApiToken(stack.db, { actorId: 'audrey', actorName: 'Audrey Auditor', roles: ['auditor'] })).token;
  for (const t of [template, secret]) expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(t)).status).toBe(201);
  jane = await start('exp-hr', 'Onboard Jane', { fullName: 'Doe, Jane "JD"', salary: 52000, equipment: ['laptop', 'phone'], remote: true, note: 'line one\nline two\r\nline three' });
  formula = await start('exp-hr', '@risk of formulas', { fullName: '=HYPERLINK("http://evil.example","click")', salary: null, equipment: [], remote: false, note: '-5' });
  hidden = await start('exp-secret', 'Secret case', { fullName: 'Nobody Else', salary: 99000 });
  await eventually(async () => (await stack.http().get('/v1/cases').set(auth(stack.tokens.admin))).body.items?.length === 3, 15_000, 'three cases listed');
}, 90_000);
afterAll(() => stack?.close());

test('the case list as CSV: a download with the list columns and the template fields, a sensitive value redacted outside visibleTo', async () => {
  const res = await get('/v1/cases?template=exp-hr', stack.tokens.manager, 'text/csv');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="cases-exp-hr-\d{4}-\d{2}-\d{2}\.csv"$/);
  const rows = csvOf(res);
  expect(rows[0]).toEqual(['key', 'title', 'template', 'template version', 'status', 'stage', 'owner', 'created', 'updated', 'closed', 'due', 'overdue', 'open tasks', 'Full name', 'Salary', 'Equipment', 'remote', 'Note']);
  expect(rows).toHaveLength(3);
  const janeRow = byKey(rows).get(jane)!;
  expect(janeRow.slice(0, 6)).toEqual([jane, 'Onboard Jane', 'exp-hr', '1', 'open', 'intake']);
  expect(janeRow[7]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(janeRow.slice(9, 13)).toEqual(['', '', 'false', '0']);
  expect(janeRow.slice(13)).toEqual(['Doe, Jane "JD"', '[redacted]', 'laptop; phone', 'true', 'line one\nline two\r\nline three']);
  // An empty sensitive value stays empty: that it is empty is no secret.
  expect(byKey(rows).get(formula)![14]).toBe('');

  // hr is in visibleTo: the value itself. And the rows of the CSV are the list's, in its order.
  const hr = csvOf(await get('/v1/cases?template=exp-hr', stack.tokens.hr, 'text/csv'));
  expect(byKey(hr).get(jane)!.slice(13, 15)).toEqual(['Doe, Jane "JD"', '52000']);
  const list = await stack.http().get('/v1/cases?template=exp-hr').set(auth(stack.tokens.hr));
  expect(hr.slice(1).map((r) => r[0])).toEqual(list.body.items.map((c: { id: string }) => c.id));
});

test('RFC 4180 quoting and CSV-injection escaping in the bytes written', async () => {
  const text = raw(await get('/v1/cases?template=exp-hr', stack.tokens.hr, 'text/csv')).toString('utf8');
  expect(text).toContain(',"Doe, Jane ""JD""",');
  expect(text).toContain('"line one\nline two\r\nline three"\r\n');
  expect(text).toContain(`${formula},'@risk of formulas,`);
  expect(text).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")",`);
  // A cell starting with '-' is escaped too; an empty multiselect is an empty cell.
  expect(text).toContain(",,false,'-5\r\n");
  const rows = csvOf(await get('/v1/cases?template=exp-hr', stack.tokens.hr, 'text/csv'));
  for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
});

test('JSON stays the default; CSV only on Accept: text/csv; limit and cursor do not apply to CSV', async () => {
  for (const accept of [undefined, 'application/json', '*/*', 'application/json, text/csv;q=0.5']) {
    const req = stack.http().get('/v1/cases?template=exp-hr').set(auth(stack.tokens.hr));
    const res = await (accept ? req.set('Accept', accept) : req);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.vary).toMatch(/Accept/);
    expect(res.body.items).toHaveLength(2);
  }
  const paged = csvOf(await get('/v1/cases?template=exp-hr&limit=1&cursor=whatever', stack.tokens.hr, 'text/csv'));
  expect(paged).toHaveLength(3);
  // Parameters are validated as for JSON: problem+json before any byte of CSV.
  const bad = await stack.http().get('/v1/cases?status=lost').set(auth(stack.tokens.hr)).set('Accept', 'text/csv');
  expect(bad.status).toBe(422);
  expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(bad.body.errors[0].path).toBe('status');
});

test('cases the caller may not see are not exported; without a template only the list columns', async () => {
  const manager = csvOf(await get('/v1/cases', stack.tokens.manager, 'text/csv'));
  expect(manager[0]).toHaveLength(13);
  expect(manager.slice(1).map((r) => r[0]).sort()).toEqual([jane, formula].sort());
  const hr = csvOf(await get('/v1/cases', stack.tokens.hr, 'text/csv'));
  expect(hr.slice(1).map((r) => r[0])).toContain(hidden);
  const outsider = await get('/v1/cases', stack.tokens.outsider, 'text/csv');
  expect(csvOf(outsider)).toEqual([manager[0]]);
  expect(outsider.headers['content-disposition']).toMatch(/filename="cases-all-/);
  // Filtering a template the caller may not see gives its columns and no rows.
  expect(csvOf(await get('/v1/cases?template=exp-secret', stack.tokens.manager, 'text/csv'))).toHaveLength(1);
});

describe('batches resume exactly where the list order goes', () => {
  const admin: Actor = { id: 'ada', name: 'Ada Admin', roles: ['admin'], kind: 'user' };
  beforeAll(async () => {
    // 40 cases with ties everywhere: equal titles (in any case), equal times, missing deadlines, keys of two prefixes and numbers across digit counts.
    await stack.db.execute(sql`
      insert into cases (key, template_key, template_version, title, status, stage, owner, fields, view, last_seq, created_at, updated_at, due_at, access)
      select case when g % 3 = 0 then 'KSA-' else 'KSB-' end || g, 'keyset', 1,
             case when g % 4 = 0 then 'Same Title' when g % 4 = 1 then 'same title' else 'Title ' || (g % 7) end,
             'open', 'intake', null, '{}'::jsonb, '{}'::jsonb, 1,
             timestamptz '2020-01-01' + (g % 5) * interval '1 minute', timestamptz '2020-02-01' + (g % 6) * interval '1 second',
             case when g % 3 = 1 then null else timestamptz '2030-01-01' + (g % 4) * interval '1 day' end, '{}'
      from generate_series(1, 40) g`);
  });

  test.each(CASE_SORTS)('sort %s', async (sort) => {
    const expected = (await listCases(stack.db, { template: 'keyset', sort, limit: 200 }, admin)).items.map((c) => c.id);
    expect(expected).toHaveLength(40);
    const got: string[] = [];
    for await (const batch of caseExportBatches(stack.db, { template: 'keyset', sort }, admin, { batchSize: 3 })) got.push(...batch.map((c) => c.id));
    expect(got).toEqual(expected);
  });
});

describe('GET /v1/audit', () => {
  const T = Date.parse('2001-03-01T00:00:00.000Z');
  const at = (ms: number) => new Date(T + ms).toISOString();
  const actor = JSON.stringify({ id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' });
  beforeAll(async () => {
    // Two cases of the template (one that only hr sees), events at known instants, a sensitive change among them.
    await stack.db.execute(sql`
      insert into cases (key, template_key, template_version, title, status, stage, owner, fields, view, last_seq, created_at, updated_at, access)
      values ('AUD-1', 'exp-hr', 1, 'Audited', 'open', 'intake', null, '{}', '{}', 4, ${at(0)}, ${at(0)}, '{role:hr,role:manager}'),
             ('AUD-2', 'exp-secret', 1, 'Audited secret', 'open', 'intake', null, '{}', '{}', 1, ${at(0)}, ${at(0)}, '{role:hr}')`);
    await stack.db.execute(sql`
      insert into case_events (case_key, seq, at, type, stage, actor, data) values
        ('AUD-1', 1, ${at(-1)}, 'case.created', 'intake', ${actor}::jsonb, '{"title":"before the range"}'),
        ('AUD-1', 2, ${at(0)}, 'field.changed', 'intake', ${actor}::jsonb, '{"field":"salary","old":null,"new":61000}'),
        ('AUD-1', 3, ${at(1000)}, 'comment.added', 'intake', ${actor}::jsonb, ${JSON.stringify({ text: '=1+1, "quoted"\nnext line' })}::jsonb),
        ('AUD-2', 1, ${at(1000)}, 'field.changed', 'intake', ${actor}::jsonb, '{"field":"fullName","old":null,"new":"Secret"}'),
        ('AUD-1', 4, ${at(2000)}, 'comment.added', 'intake', ${actor}::jsonb, '{"text":"at the end: excluded"}')`);
  });
  const range = `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(2000))}`;

  test('NDJSON (the default): the range [from, to), oldest first, visible cases only, redacted outside visibleTo', async () => {
    const res = await get(`/v1/audit?${range}`, stack.tokens.manager);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="audit-all-2001-03-01-2001-03-01.ndjson"');
    const text = raw(res).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { actorId: 'hana', actorName: 'Hana HR', actorKind: 'user', at: at(0), caseKey: 'AUD-1', seq: 2, template: 'exp-hr', templateVersion: 1, type: 'field.changed', stage: 'intake', data: { field: 'salary', old: null, new: { redacted: true } } },
      { actorId: 'hana', actorName: 'Hana HR', actorKind: 'user', at: at(1000), caseKey: 'AUD-1', seq: 3, template: 'exp-hr', templateVersion: 1, type: 'comment.added', stage: 'intake', data: { text: '=1+1, "quoted"\nnext line' } },
    ]);
    // hr sees the value and the case the manager may not; so does an auditor; a template narrows it.
    for (const token of [stack.tokens.hr, auditor]) {
      const all = raw(await get(`/v1/audit?${range}`, token)).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(all.map((l) => `${l.caseKey}/${l.seq}`)).toEqual(['AUD-1/2', 'AUD-1/3', 'AUD-2/1']);
      expect(all[0].data.new).toBe(61000);
    }
    const one = raw(await get(`/v1/audit?${range}&template=exp-secret`, stack.tokens.hr)).toString('utf8').trimEnd().split('\n');
    expect(one.map((l) => JSON.parse(l).caseKey)).toEqual(['AUD-2']);
    // Nothing in range: an empty body.
    expect(raw(await get(`/v1/audit?${range}`, stack.tokens.outsider)).length).toBe(0);
  });

  test('CSV on Accept: text/csv, the data as JSON text', async () => {
    const res = await get(`/v1/audit?${range}`, stack.tokens.manager, 'text/csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="audit-all-2001-03-01-2001-03-01.csv"');
    const rows = csvOf(res);
    expect(rows[0]).toEqual(['actor id', 'actor name', 'actor kind', 'time', 'case key', 'seq', 'template', 'template version', 'type', 'stage', 'data']);
    // data is JSON text (its keys in jsonb's order): compared parsed.
    expect(rows.slice(1).map((r) => [...r.slice(0, 10), JSON.parse(r[10]!)])).toEqual([
      ['hana', 'Hana HR', 'user', at(0), 'AUD-1', '2', 'exp-hr', '1', 'field.changed', 'intake', { field: 'salary', old: null, new: { redacted: true } }],
      ['hana', 'Hana HR', 'user', at(1000), 'AUD-1', '3', 'exp-hr', '1', 'comment.added', 'intake', { text: '=1+1, "quoted"\nnext line' }],
    ]);
  });

  test.each([
    ['a reversed range', `from=${at(2000)}&to=${at(0)}`, 'to', 'must be after from'],
    ['an empty range', `from=${at(0)}&to=${at(0)}`, 'to', 'must be after from'],
    ['a missing from', `to=${at(0)}`, 'from', undefined],
    ['a missing to', `from=${at(0)}`, 'to', undefined],
    ['a range over 366 days', `from=2001-01-01T00:00:00Z&to=2002-01-02T00:00:01Z`, 'to', 'must be at most 366 days after from'],
    ['a malformed instant', `from=2001-02-30T25:00:00Z&to=${at(0)}`, 'from', 'must be an ISO 8601 date-time, e.g. 2026-01-31T17:00:00Z'],
    ['an instant without offset', `from=2001-01-01T00:00:00&to=${at(0)}`, 'from', 'must be an ISO 8601 date-time, e.g. 2026-01-31T17:00:00Z'],
  ])('%s is a 422 problem naming the parameter', async (_what, query, path, message) => {
    const res = await stack.http().get(`/v1/audit?${query.replace(/\+/g, '%2B')}`).set(auth(stack.tokens.hr));
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].path).toBe(path);
    if (message) expect(res.body.errors[0].message).toBe(message);
  });

  test('366 days exactly is allowed; no token is 401', async () => {
    expect((await stack.http().get('/v1/audit?from=1999-01-01T00:00:00Z&to=2000-01-02T00:00:00Z').set(auth(stack.tokens.hr))).status).toBe(200);
    expect((await stack.http().get(`/v1/audit?${range}`)).status).toBe(401);
  });
});

test('a large audit export streams to a slow reader in bounded memory', async () => {
  // Enough that holding the export would pass the bound many times over, few enough for a loaded CI machine.
  const EVENTS = 80_000;
  const actor = JSON.stringify({ id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' });
  await stack.db.execute(sql`
    insert into cases (key, template_key, template_version, title, status, stage, owner, fields, view, last_seq, created_at, updated_at, access)
    values ('BIG-1', 'exp-hr', 1, 'Big', 'open', 'intake', null, '{}', '{}', ${EVENTS}, '2002-01-01T00:00:00Z', '2002-01-01T00:00:00Z', '{role:hr}')`);
  // About 1,100 bytes a line: 85 MB in all (more again as JS strings), beyond the bound if anything held it.
  await stack.db.execute(sql`
    insert into case_events (case_key, seq, at, type, stage, actor, data)
    select 'BIG-1', g, timestamptz '2002-01-01T00:00:00Z' + g * interval '10 ms', 'comment.added', 'intake', ${actor}::jsonb,
           jsonb_build_object('text', 'comment ' || g || ' ' || repeat('x', 960))
    from generate_series(1, ${EVENTS}) g`);

  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const server = stack.app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      // A full collection costs a while on the test process's heap: every 2 s is enough to see growth.
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 2_000);
    const { lines, bytes, status } = await new Promise<{ lines: number; bytes: number; status: number }>((resolve, reject) => {
      const req = http.get({ port, path: '/v1/audit?from=2002-01-01T00:00:00Z&to=2002-01-02T00:00:00Z', headers: auth(stack.tokens.hr) }, (res) => {
        let count = 0;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
          // A slow reader: a short pause after every chunk, so the server meets a full socket.
          res.pause();
          setTimeout(() => res.resume(), 2);
        });
        res.on('end', () => resolve({ lines: count, bytes: size, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    clearInterval(sampler);
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(status).toBe(200);
    expect(lines).toBe(EVENTS);
    expect(bytes).toBeGreaterThan(75 * 2 ** 20);
    const grewMb = (peak - baseline) / 2 ** 20;
    console.log(`audit export of ${EVENTS} events (${(bytes / 2 ** 20).toFixed(0)} MB) to a slow reader: heap grew at most ${grewMb.toFixed(1)} MB`);
    expect(grewMb).toBeLessThan(48);
  } finally {
    // Cut a stream still running (a timed-out test) so it cannot starve the next test files.
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}, 300_000);

test('a client that goes away stops the export: no more batches are read', async () => {
  // The 80,000 events of BIG-1 (the test above): some 80 batches. The route on a database that counts its queries.
  let selects = 0;
  const db = new Proxy(stack.db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'select') selects++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const hana: Actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' };
  const app = express();
  const router = express.Router();
  for (const route of auditRoutes({ db } as unknown as ApiDeps)) mountRoute(router, route, async () => hana);
  app.use(router);
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const received = await new Promise<number>((resolve, reject) => {
      const req = http.get({ port, path: '/v1/audit?from=2002-01-01T00:00:00Z&to=2002-01-02T00:00:00Z' }, (res) => {
        res.once('data', (chunk: Buffer) => {
          req.destroy();
          resolve(chunk.length);
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    expect(received).toBeGreaterThan(0);
    // Wait until no query has been made for a second, then count: far fewer batches than the export has.
    let seen = -1;
    await eventually(async () => {
      const stable = seen === selects;
      seen = selects;
      await new Promise((r) => setTimeout(r, 1000));
      return stable && seen === selects;
    }, 60_000, 'the export to stop reading');
    expect(selects).toBeGreaterThan(0);
    expect(selects).toBeLessThan(50);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}, 120_000);
