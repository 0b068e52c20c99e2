/**
 * Rate limits: per-actor budgets on /v1 (a general one; stricter ones for starts, uploads and
 * publishes), RateLimit headers, 429 with Retry-After, failed authentication per client address,
 * and counts shared by two app instances over one database (the PostgreSQL store; PGlite too).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import express from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { PostgresRateLimitStore, createRateLimits, leaseSize, rateClassOf } from '../../api/rate-limit';
import { loadConfig } from '../../config/env';
import { openDatabase } from '../../db/connection';
import { createPortalLink } from '../../db/portal-links';
import { createApiToken } from '../../db/tokens';
import { hitCounter } from '../../db/rate-limits';
import { rateLimitCounters } from '../../db/schema';
import { eq } from 'drizzle-orm';
import { captureLogs } from '../support/logs';
import { fileForm } from '../support/multipart';
import { eventually, startTestStack, type TestStack } from '../support/stack';

const LIMITS = { RATE_LIMIT: '8', RATE_LIMIT_STARTS: '2', RATE_LIMIT_UPLOADS: '1', RATE_LIMIT_PUBLISHES: '2', AUTH_FAILURE_LIMIT: '5', RATE_LIMIT_WINDOW_S: '60' };
let stack: TestStack;
const logs = captureLogs('warn');
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const template = {
  key: 'limits',
  name: 'Limits',
  prefix: 'LIM',
  roles: ['hr', 'manager', 'it', 'candidate'],
  fields: [{ key: 'fullName', label: 'Full name', type: 'text' }],
  documents: [{ key: 'idCard', label: 'ID card', external: true }],
  stages: [{ key: 'open', name: 'Open' }, { key: 'done', name: 'Done', terminal: true }],
};

beforeAll(async () => {
  stack = await startTestStack({ env: LIMITS, log: logs.log });
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(template)).status).toBe(201);
});
afterAll(() => stack?.close());

/** `"name"; r=…; t=…` → { name, remaining, reset }. */
function rateLimitHeader(value: string | undefined) {
  const m = /^"([^"]+)"; r=(\d+); t=(\d+)$/.exec(value ?? '');
  if (!m) throw new Error(`not a draft-8 RateLimit header: ${value}`);
  return { name: m[1], remaining: Number(m[2]), reset: Number(m[3]) };
}

test('routes are classified by method and path', () => {
  expect(rateClassOf('POST', '/v1/cases')).toBe('starts');
  expect(rateClassOf('get', '/v1/cases')).toBe('api');
  expect(rateClassOf('post', '/v1/cases/:id/documents/:slot')).toBe('uploads');
  expect(rateClassOf('get', '/v1/cases/:id/documents/:slot')).toBe('api');
  expect(rateClassOf('post', '/v1/cases/:id/generate-document')).toBe('uploads');
  expect(rateClassOf('post', '/v1/templates')).toBe('publishes');
  expect(rateClassOf('post', '/v1/cases/:id/comments')).toBe('api');
});

test('answers carry RateLimit and RateLimit-Policy headers of the budget they count against', async () => {
  const res = await stack.http().get('/v1/templates').set(auth(stack.tokens.manager));
  expect(res.status).toBe(200);
  expect(res.headers['ratelimit-policy']).toMatch(/^"api"; q=8; w=60; pk=:[A-Za-z0-9+/=]+:$/);
  const header = rateLimitHeader(res.headers.ratelimit);
  expect(header).toMatchObject({ name: 'api', remaining: 7 });
  expect(header.reset).toBeGreaterThan(0);
  expect(header.reset).toBeLessThanOrEqual(60);
});

test('starts have their own, stricter budget per actor; past it 429 with Retry-After', async () => {
  const start = (token: string, title: string) => stack.http().post('/v1/cases').set(auth(token)).send({ template: 'limits', title });
  const first = await start(stack.tokens.hr, 'one');
  expect(first.status).toBe(201);
  expect(rateLimitHeader(first.headers.ratelimit)).toMatchObject({ name: 'starts', remaining: 1 });
  expect((await start(stack.tokens.hr, 'two')).status).toBe(201);
  const refused = await start(stack.tokens.hr, 'three');
  expect(refused.status).toBe(429);
  expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(refused.body).toMatchObject({ code: 'too_many_requests', budget: 'starts' });
  const retryAfter = Number(refused.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(rateLimitHeader(refused.headers.ratelimit)).toMatchObject({ name: 'starts', remaining: 0 });
  // Nothing was started by the refused request (the list comes from the read model: wait for both).
  const titles = await eventually(async () => {
    const list = await stack.http().get('/v1/cases?template=limits').set(auth(stack.tokens.admin));
    return list.body.items?.length >= 2 ? list.body.items.map((c: { title: string }) => c.title).sort() : undefined;
  });
  expect(titles).toEqual(['one', 'two']);

  // The same actor's other requests use the general budget; another actor has budgets of its own.
  expect((await stack.http().get('/v1/templates').set(auth(stack.tokens.hr))).status).toBe(200);
  expect((await start(stack.tokens.manager, 'by max')).status).toBe(201);
});

test('the general budget: the ninth request in the window is 429, other actors unaffected', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 9; i++) statuses.push((await stack.http().get('/v1/templates').set(auth(stack.tokens.it))).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
  expect((await stack.http().get('/v1/templates').set(auth(stack.tokens.outsider))).status).toBe(200);
});

test('publishes and uploads (API and portal, per link) have budgets of their own', async () => {
  // The admin published once in beforeAll: one publish is left.
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send({ ...template, name: 'Limits v2' })).status).toBe(201);
  const refused = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send({ ...template, name: 'Limits v3' });
  expect(refused.status).toBe(429);
  expect(refused.body.budget).toBe('publishes');

  const started = await stack.http().post('/v1/cases').set(auth(stack.tokens.admin)).send({
    template: 'limits',
    title: 'uploads',
    participants: [{ kind: 'external', role: 'candidate', name: 'Jane', email: 'jane@example.com' }],
  });
  expect(started.status).toBe(201);
  const id = started.body.id as string;
  const upload = (name: string) => {
    const form = fileForm(name, 'application/pdf', '%PDF-1.4 test');
    return stack.http().post(`/v1/cases/${id}/documents/idCard`).set(auth(stack.tokens.admin)).set('Content-Type', form.contentType).send(form.body);
  };
  expect((await upload('a.pdf')).status).toBe(200);
  const second = await upload('b.pdf');
  expect(second.status).toBe(429);
  expect(second.body.budget).toBe('uploads');

  const participantId = (started.body.participants as Array<{ participantId: string; kind: string }>).find((p) => p.kind === 'external')!.participantId;
  const { token } = await createPortalLink(stack.db, { caseKey: id, participantId, createdBy: 'test', ttlMs: 3_600_000 });
  const portalUpload = (name: string) => {
    const form = fileForm(name, 'application/pdf', '%PDF-1.4 portal');
    return stack.http().post(`/portal/${token}/documents/idCard`).set('Content-Type', form.contentType).send(form.body);
  };
  expect((await portalUpload('p1.pdf')).status).toBe(303);
  const refusedPage = await portalUpload('p2.pdf');
  expect(refusedPage.status).toBe(429);
  expect(refusedPage.headers['content-type']).toMatch(/^text\/html/);
  expect(refusedPage.headers['retry-after']).toBeDefined();
  // Viewing the portal is not an upload.
  expect((await stack.http().get(`/portal/${token}`)).status).toBe(200);
});

describe('failed authentication, per client address', () => {
  // TRUST_PROXY=loopback: supertest's requests come from 127.0.0.1, so X-Forwarded-For names the client.
  const from = (address: string) => ({ 'X-Forwarded-For': address });

  test('past AUTH_FAILURE_LIMIT an address gets 429 with Retry-After, even for a valid token; others do not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await stack.http().get('/v1/templates').set(from('203.0.113.7')).set(auth(`cot_wrong${i}`))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const blocked = await stack.http().get('/v1/templates').set(from('203.0.113.7')).set(auth(stack.tokens.hr));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(blocked.body.code).toBe('too_many_requests');
    expect((await stack.http().get('/v1/templates').set(from('198.51.100.4')).set(auth(stack.tokens.hr))).status).toBe(200);
    // No credentials at all is not a failed authentication.
    expect((await stack.http().get('/v1/templates').set(from('198.51.100.4'))).status).toBe(401);
  });

  test('300 wrong tokens in a burst: only the budget is looked up, the rest is 429 at once', async () => {
    const started = Date.now();
    const statuses: number[] = [];
    const burst = Array.from({ length: 300 }, (_, i) => i);
    for (let i = 0; i < burst.length; i += 25) {
      const batch = burst.slice(i, i + 25).map((n) => stack.http().get('/v1/templates').set(from('203.0.113.99')).set(auth(`cot_guess${n}`)));
      for (const res of await Promise.all(batch)) statuses.push(res.status);
    }
    const count = (status: number) => statuses.filter((s) => s === status).length;
    expect(count(401)).toBe(5);
    expect(count(429)).toBe(295);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

test('the budgets of expensive endpoints are shared by two app instances over one database; the general one counts per process', async () => {
  const second = request(createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: stack.config, log: logs.log }));
  const { token } = await createApiToken(stack.db, { actorId: 'shared', actorName: 'Shared Budget', roles: ['admin'] });
  const template = { key: 'shared-budget', name: 'Shared', stages: [{ key: 'a' }, { key: 'b', terminal: true }] };
  // Publishes: a budget of 2 across both instances; the third is refused, on either.
  const publishes: number[] = [];
  for (let i = 0; i < 3; i++) publishes.push((await (i % 2 ? second : stack.http()).post('/v1/templates').set(auth(token)).send(template)).status);
  expect(publishes).toEqual([201, 200, 429]);
  // The general budget (8) counts per process: each instance lets 8 through.
  for (const app of [stack.http, () => second]) {
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await app().get('/v1/templates').set(auth(token))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
  }

  // Failed authentication too: failures on one instance block the address on the other.
  for (let i = 0; i < 5; i++) expect((await stack.http().get('/v1/templates').set('X-Forwarded-For', '192.0.2.50').set(auth(`cot_nope${i}`))).status).toBe(401);
  expect((await second.get('/v1/templates').set('X-Forwarded-For', '192.0.2.50').set(auth('cot_nope-more'))).status).toBe(429);
});

test('RATE_LIMIT_STORE=memory counts the expensive budgets per process too', async () => {
  const config = { ...stack.config, RATE_LIMIT_STORE: 'memory' as const };
  const [a, b] = [0, 1].map(() => request(createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config, log: logs.log })));
  const { token } = await createApiToken(stack.db, { actorId: 'memory', actorName: 'Memory', roles: ['admin'] });
  const template = { key: 'memory-budget', name: 'Memory', stages: [{ key: 'a' }, { key: 'b', terminal: true }] };
  for (let i = 0; i < 2; i++) expect((await a!.post('/v1/templates').set(auth(token)).send(template)).status).toBeLessThan(300);
  expect((await a!.post('/v1/templates').set(auth(token)).send(template)).status).toBe(429);
  expect((await b!.post('/v1/templates').set(auth(token)).send(template)).status).toBe(200);
});

describe('the counter table', () => {
  test('fixed windows: counts restart once the window has passed', async () => {
    expect(await hitCounter(stack.db, 'test:window', 1_000)).toMatchObject({ hits: 1 });
    const second = await hitCounter(stack.db, 'test:window', 1_000);
    expect(second.hits).toBe(2);
    expect(second.resetInMs).toBeGreaterThan(0);
    expect(second.resetInMs).toBeLessThanOrEqual(1_000);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await hitCounter(stack.db, 'test:window', 1_000)).toMatchObject({ hits: 1 });
  });

  test('concurrent hits are all counted (one atomic upsert each)', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, () => hitCounter(stack.db, 'test:concurrent', 60_000)));
    expect(results.map((r) => r.hits).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test('a large budget is counted in leases: one upsert per lease, hits spent in order, a second replica counts the first one\'s lease as used', async () => {
    expect([2, 60, 99, 100, 300, 1_200, 100_000].map(leaseSize)).toEqual([1, 1, 1, 2, 6, 10, 10]);
    const row = async (key: string) => (await stack.db.select({ hits: rateLimitCounters.hits }).from(rateLimitCounters).where(eq(rateLimitCounters.key, key)))[0]?.hits;
    const a = new PostgresRateLimitStore(stack.db, 'lease:', undefined, 10);
    const b = new PostgresRateLimitStore(stack.db, 'lease:', undefined, 10);
    a.init({ windowMs: 60_000 });
    b.init({ windowMs: 60_000 });

    const seen: number[] = [];
    for (let i = 0; i < 25; i++) seen.push((await a.increment('actor:one')).totalHits);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(await row('lease:actor:one')).toBe(30);
    // The other replica's first hit comes after everything the first has leased.
    expect((await b.increment('actor:one')).totalHits).toBe(31);
    expect((await a.increment('actor:one')).totalHits).toBe(26);
    expect(await row('lease:actor:one')).toBe(40);

    // A burst shares the lease being taken: every hit counted once, three upserts for 30.
    const burst = await Promise.all(Array.from({ length: 30 }, () => a.increment('actor:burst')));
    expect(burst.map((h) => h.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await row('lease:actor:burst')).toBe(30);

    // A hit taken back returns to the lease, not to the database.
    expect((await a.increment('actor:back')).totalHits).toBe(1);
    await a.decrement('actor:back');
    expect((await a.increment('actor:back')).totalHits).toBe(1);
    expect(await row('lease:actor:back')).toBe(10);
  });

  test('works on PGlite (npm start without DATABASE_URL)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-pglite-'));
    const handle = await openDatabase({ dataDir: dir });
    try {
      await handle.migrate();
      expect(await hitCounter(handle.db, 'actor:x', 60_000)).toMatchObject({ hits: 1 });
      const again = await hitCounter(handle.db, 'actor:x', 60_000);
      expect(again.hits).toBe(2);
      expect(again.resetInMs).toBeGreaterThan(50_000);
    } finally {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a database that cannot count lets requests through uncounted, fast (the limits must not take the API down)', async () => {
  const broken = await openDatabase({ url: 'postgres://postgres@127.0.0.1:9/none', connectTimeoutS: 1 });
  const limits = createRateLimits({ db: broken.db, config: loadConfig({ RATE_LIMIT_PUBLISHES: '1' }), log: logs.log });
  const app = express();
  app.post('/x', (_req, res, next) => {
    res.locals.actor = { id: 'someone', name: 'Someone', roles: [], kind: 'user' };
    next();
  });
  // The publishes budget counts in the (unreachable) database.
  app.post('/x', limits.forRoute('post', '/v1/templates')!, (_req, res) => void res.json({ ok: true }));
  try {
    for (let i = 0; i < 3; i++) expect((await request(app).post('/x')).status).toBe(200);
    // After the first failure the store is not asked for a while: no wait at all.
    const started = Date.now();
    expect((await request(app).post('/x')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
  } finally {
    await broken.close();
  }
});

test('every limit is configurable and validated', () => {
  expect(loadConfig({}).RATE_LIMIT).toBe(12_000);
  expect(loadConfig({ RATE_LIMIT_STARTS: '0' }).RATE_LIMIT_STARTS).toBe(0);
  expect(() => loadConfig({ RATE_LIMIT: '-1' })).toThrow(/RATE_LIMIT/);
  expect(() => loadConfig({ RATE_LIMIT_WINDOW_S: '0' })).toThrow(/RATE_LIMIT_WINDOW_S/);
  expect(() => loadConfig({ RATE_LIMIT_STORE: 'redis' })).toThrow(/RATE_LIMIT_STORE/);
});
