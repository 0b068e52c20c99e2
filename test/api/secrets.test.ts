/**
 * Secrets that stay secret: a stack whose API and activities log into memory, with a magic link
 * sent by e-mail through the fake Resend and through the development outbox, API tokens in their
 * place and in wrong places, a JWT, and failed inserts. No token may appear in a log line, in a
 * stored e-mail that went through Resend, in a workflow's failure or on the timeline. Also here:
 * security headers (and Swagger UI under its CSP in a browser), /metrics protection, token
 * expiry and last use, where `npm start` and `npm run api` listen.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { sendEmailActivity } from '../../activities/email';
import { runApi } from '../../api/run';
import { loadConfig } from '../../config/env';
import { createTemporalLogger, redactSecrets, safeError } from '../../config/logger';
import { getEmailByKey } from '../../db/emails';
import { emails } from '../../db/schema';
import { defaultTokenExpiry, TOKEN_CACHE_MS } from '../../db/tokens';
import type { EmailEffect } from '../../domain/effects';
import { startFakeResend, type FakeResend } from '../support/fake-resend';
import { captureLogs } from '../support/logs';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';
import { testTemporalAddress } from '../support/temporal';
import { payloadCodecOf } from '../../temporal/data-converter';

const METRICS_TOKEN = 'metrics-scraper-secret-0123456789';
const LIVE_PORTAL_TOKEN = /cpt_[A-Za-z0-9_-]{20,}/;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let stack: TestStack;
let fake: FakeResend;
const logs = captureLogs('info');
/** Every secret that went through the stack; none may be in a log line. */
const secrets = new Set<string>();
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  fake = await startFakeResend();
  stack = await startTestStack({
    log: logs.log,
    env: {
      RESEND_API_KEY: fake.apiKey,
      RESEND_BASE_URL: fake.url,
      PUBLIC_URL: 'https://cases.example.com',
      METRICS_TOKEN,
      API_TOKEN_TTL_DAYS: '30',
    },
  });
  for (const token of Object.values(stack.tokens)) secrets.add(token);
  secrets.add(fake.apiKey);
  secrets.add(METRICS_TOKEN);
  const published = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate({ key: 'secret-onboarding', prefix: 'SEC' }));
  expect(published.status).toBe(201);
});
afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

async function startCase(title: string, template = 'secret-onboarding'): Promise<{ id: string; participantId: string }> {
  const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.admin)).send({
    template,
    title,
    fields: { fullName: 'Jane Doe' },
    participants: [{ kind: 'external', role: 'candidate', name: 'Jane Doe', email: 'jane@example.com' }],
  });
  expect(res.status).toBe(201);
  const participant = (res.body.participants as Array<{ participantId: string; kind: string }>).find((p) => p.kind === 'external');
  return { id: res.body.id as string, participantId: participant!.participantId };
}

describe('magic links', () => {
  test('sent through Resend: the recipient gets the link, the stored message and the outbox listing do not', async () => {
    const { id } = await startCase('Onboard Jane');
    const message = await eventually(async () => fake.mailbox.find((m) => m.subject.includes('Onboard Jane')));
    const token = LIVE_PORTAL_TOKEN.exec(message.html ?? '')?.[0];
    expect(token).toBeDefined();
    secrets.add(token!);
    expect((await stack.http().get(`/portal/${token}`)).status).toBe(200);

    const row = await eventually(async () => {
      const [r] = await stack.db.select().from(emails).where(sql`${emails.caseKey} = ${id}`);
      return r?.status === 'sent' ? r : undefined;
    });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.html).toContain('cpt_[redacted]');

    const listed = await stack.http().get(`/v1/outbox?caseKey=${id}`).set(auth(stack.tokens.admin));
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ status: 'sent', linksRedacted: true });
    expect(JSON.stringify(listed.body)).not.toMatch(LIVE_PORTAL_TOKEN);
  });

  test('the development outbox (no RESEND_API_KEY) keeps the link and its listing says so; the log does not', async () => {
    const { id, participantId } = await startCase('Outbox Jane');
    const effect: EmailEffect = {
      kind: 'email',
      key: `${id}:outbox-test`,
      caseKey: id,
      ref: { rule: 'outbox-test', name: 'outbox test', trigger: 1 },
      depth: 0,
      to: { email: 'jane@example.com', name: 'Jane Doe', participantId, external: true },
      subject: 'Your link {{portal.link}}',
      body: '<a href="{{portal.link}}">open</a>',
      context: { case: { key: id, title: 'Outbox Jane', status: 'open', owner: null, template: 'secret-onboarding' }, fields: {}, stage: { key: 'documentation', name: 'Documentation' }, event: { type: 'stage.entered', seq: 1, at: new Date().toISOString(), data: {} } },
    };
    const send = sendEmailActivity({ db: stack.db, config: { ...stack.config, RESEND_API_KEY: undefined }, log: logs.log });
    expect(await send(effect)).toMatchObject({ delivery: 'outbox' });
    const row = await getEmailByKey(stack.db, effect.key);
    const token = LIVE_PORTAL_TOKEN.exec(row?.html ?? '')?.[0];
    expect(token).toBeDefined();
    secrets.add(token!);
    const listed = await stack.http().get(`/v1/outbox?caseKey=${id}&status=outbox`).set(auth(stack.tokens.admin));
    expect(listed.body.items[0]).toMatchObject({ status: 'outbox', linksRedacted: false });
    expect(listed.body.items[0].html).toContain(token);
    expect(logs.containing('development outbox').length).toBeGreaterThan(0);
  });

  test('links minted through the API are shown once to their caller, never logged', async () => {
    const { id, participantId } = await startCase('Minted Jane');
    const res = await stack.http().post(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.admin)).send({ participantId });
    expect(res.status).toBe(201);
    secrets.add(res.body.token as string);
    expect((await stack.http().get(`/portal/${res.body.token}?done=saved`)).status).toBe(200);
  });
});

describe('credentials in the wrong place are 401', () => {
  test.each([
    ['an API token in ?access_token=', (t: string) => ({ path: `/v1/templates?access_token=${t}`, headers: {} })],
    ['an API token in ?token= next to a valid header', (t: string) => ({ path: `/v1/templates?token=${t}`, headers: auth(t) })],
    ['a key in ?api_key=', () => ({ path: '/v1/templates?api_key=abc123def456', headers: {} })],
    ['an API token as the value of another parameter', (t: string) => ({ path: `/v1/cases?q=${t}`, headers: auth(t) })],
    ['an API token in a cookie', (t: string) => ({ path: '/v1/templates', headers: { Cookie: `theme=dark; session=${t}` } })],
    ['a token cookie', () => ({ path: '/v1/templates', headers: { Cookie: 'access_token=opaque-value-123' } })],
  ])('%s', async (_what, make) => {
    const { path, headers } = make(stack.tokens.hr);
    const res = await stack.http().get(path).set(headers);
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/Authorization header only/);
    // The problem's `instance` echoes the URL without the credential.
    expect(JSON.stringify(res.body)).not.toContain(stack.tokens.hr);
  });

  test('credential headers other than Authorization authenticate nothing, and are not logged', async () => {
    expect((await stack.http().get('/v1/templates').set('X-Api-Key', stack.tokens.hr)).status).toBe(401);
    expect((await stack.http().get('/v1/templates').set('X-Auth-Token', stack.tokens.hr).set('Proxy-Authorization', 'Basic c2VjcmV0OnNlY3JldA==')).status).toBe(401);
    // A harmless cookie does not stand in the way of a valid header.
    expect((await stack.http().get('/v1/templates').set(auth(stack.tokens.hr)).set('Cookie', 'theme=dark')).status).toBe(200);
    secrets.add('c2VjcmV0OnNlY3JldA==');
  });

  test('a JWT without single sign-on configured is 401', async () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const jwt = `${part({ alg: 'RS256', kid: 'k' })}.${part({ sub: 'mallory', exp: 4102444800 })}.${'s'.repeat(86)}`;
    secrets.add(jwt);
    expect((await stack.http().get('/v1/templates').set(auth(jwt))).status).toBe(401);
    expect((await stack.http().get(`/v1/templates?id_token=${jwt}`)).status).toBe(401);
  });
});

describe('failed inserts are reported without their values', () => {
  test('an e-mail the database refuses: the activity fails for good, sanitized, and the timeline says why without the link', async () => {
    await stack.db.execute(sql.raw(`alter table emails add constraint test_refuse_subjects check (subject not like 'Refused%')`));
    try {
      const refusing = onboardingTemplate({ key: 'secret-refused', prefix: 'SRF' }) as { automations: Array<{ do: Array<{ email?: { subject: string } }> }> };
      refusing.automations[0]!.do[0]!.email!.subject = 'Refused {{case.title}}';
      expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(refusing)).status).toBe(201);
      const { id } = await startCase('Refused Jane', 'secret-refused');
      const failed = await eventually(async () => {
        const res = await stack.http().get(`/v1/cases/${id}/timeline?type=automation.failed`).set(auth(stack.tokens.admin));
        return res.body.items?.[0];
      }, 30_000);
      expect(failed.data.reason).toMatch(/check constraint "test_refuse_subjects"/);
      expect(failed.data.reason).not.toMatch(/params|<a href|jane@example\.com/);
      expect(JSON.stringify(failed)).not.toMatch(LIVE_PORTAL_TOKEN);
      // Nor in the workflow's history (the activity failure Temporal recorded): there its message is
      // encrypted ("Encoded failure" in clear), and decrypted it still holds no token.
      const history = await stack.client.workflow.getHandle(`case-${id}`).fetchHistory();
      const recorded = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
      expect(recorded).toContain('Encoded failure');
      expect(recorded).not.toMatch(/test_refuse_subjects|check constraint/);
      const encoded = (history.events ?? []).flatMap((e) => e.activityTaskFailedEventAttributes?.failure?.encodedAttributes ?? []);
      expect(encoded.length).toBeGreaterThan(0);
      const decoded = (await payloadCodecOf(stack.config).decode(encoded)).map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
      expect(decoded).toContain('test_refuse_subjects');
      expect(decoded).not.toMatch(LIVE_PORTAL_TOKEN);
    } finally {
      await stack.db.execute(sql.raw('alter table emails drop constraint test_refuse_subjects'));
    }
  });

  test('an API insert the database refuses is a 500 whose log has no parameters', async () => {
    await stack.db.execute(sql.raw(`alter table api_tokens add constraint test_refuse_descriptions check (description is null or description not like 'boom%')`));
    try {
      const res = await stack.http().post('/v1/tokens').set(auth(stack.tokens.admin)).send({ actorId: 'x', actorName: 'X', description: 'boom-parameter-value-42' });
      expect(res.status).toBe(500);
      expect(JSON.stringify(res.body)).not.toContain('boom-parameter-value-42');
      const logged = logs.containing('unhandled error');
      expect(logged.at(-1)).toContain('test_refuse_descriptions');
      expect(logs.containing('boom-parameter-value-42')).toEqual([]);
    } finally {
      await stack.db.execute(sql.raw('alter table api_tokens drop constraint test_refuse_descriptions'));
    }
  });

  test('safeError keeps the SQLSTATE and constraint, drops values', () => {
    const driver = Object.assign(new Error('new row for relation "emails" violates check constraint "c"'), { code: '23514', constraint_name: 'c', detail: 'Failing row contains (cpt_abcdefghijklmnopqrstuvwxyz0123456789)' });
    const query = Object.assign(new Error('Failed query: insert into "emails" values ($1)\nparams: cpt_abcdefghijklmnopqrstuvwxyz0123456789'), { query: 'insert into "emails" values ($1)', params: ['cpt_abcdefghijklmnopqrstuvwxyz0123456789'], cause: driver });
    const safe = safeError(query);
    expect(safe).toMatchObject({ name: 'DatabaseQueryError', code: '23514', constraint: 'c' });
    expect(JSON.stringify({ ...safe, message: safe.message, stack: safe.stack })).not.toContain('abcdefghijklmnop');
  });
});

describe('security headers', () => {
  test('on every response: nosniff, frame options, a CSP', async () => {
    for (const path of ['/healthz', '/v1/templates', '/v1/no-such-route', '/openapi.json', '/docs/', '/portal/cpt_unknown']) {
      const res = await stack.http().get(path);
      expect([path, res.headers['x-content-type-options']]).toEqual([path, 'nosniff']);
      expect([path, res.headers['x-frame-options']]).toEqual([path, 'DENY']);
      expect([path, res.headers['content-security-policy']]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    expect((await stack.http().get('/v1/templates')).headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect((await stack.http().get('/docs/')).headers['content-security-policy']).toContain("script-src 'self'");
  });

  test('Swagger UI works under its CSP (in a browser: no violation, the operations render)', async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with apt-get install chromium (.ci/run does)`);
    const server = await new Promise<Server>((resolve) => {
      const s = stack.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/docs/`);
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});

describe('/metrics', () => {
  test('needs METRICS_TOKEN or an admin', async () => {
    expect((await stack.http().get('/metrics')).status).toBe(401);
    expect((await stack.http().get('/metrics').set(auth('wrong-metrics-token-000000'))).status).toBe(401);
    expect((await stack.http().get('/metrics').set(auth(stack.tokens.hr))).status).toBe(403);
    const scraped = await stack.http().get('/metrics').set(auth(METRICS_TOKEN));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('http_request_duration_seconds');
    expect((await stack.http().get('/metrics').set(auth(stack.tokens.admin))).status).toBe(200);
  });

  test('with METRICS_PORT it is served there, not on the API port; npm start listens on 127.0.0.1 unless HOST says otherwise', async () => {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', METRICS_PORT: '0', TEMPORAL_TASK_QUEUE: stack.taskQueue, TEMPORAL_NAMESPACE: stack.config.TEMPORAL_NAMESPACE, LOG_LEVEL: 'silent' });
    const api = await runApi({ config, log: pino({ level: 'silent' }), db: stack.db, temporalAddress: testTemporalAddress(), defaultHost: '127.0.0.1' });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${api.url}/metrics`, { headers: auth(METRICS_TOKEN) })).status).toBe(404);
      const scraped = await fetch(`${api.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('process_cpu');
    } finally {
      await api.stop(1_000);
    }
    // `npm run api` (no defaultHost): every interface, for containers.
    const service = await runApi({ config: { ...config, METRICS_PORT: undefined }, log: pino({ level: 'silent' }), db: stack.db, temporalAddress: testTemporalAddress() });
    try {
      expect(service.url).toMatch(/^http:\/\/localhost:\d+$/);
    } finally {
      await service.stop(1_000);
    }
  });
});

describe('API tokens', () => {
  test('expire after API_TOKEN_TTL_DAYS by default and record their last use', async () => {
    const created = await stack.http().post('/v1/tokens').set(auth(stack.tokens.admin)).send({ actorId: 'tess', actorName: 'Tess Token', roles: ['hr'] });
    expect(created.status).toBe(201);
    secrets.add(created.body.token as string);
    const expiresAt = Date.parse(created.body.expiresAt as string);
    expect(Math.abs(expiresAt - (Date.now() + 30 * 24 * 3600 * 1000))).toBeLessThan(60_000);
    const explicit = await stack.http().post('/v1/tokens').set(auth(stack.tokens.admin)).send({ actorId: 'tim', actorName: 'Tim', expiresAt: '2099-01-01T00:00:00Z' });
    expect(explicit.body.expiresAt).toBe('2099-01-01T00:00:00.000Z');
    secrets.add(explicit.body.token as string);

    const listed = async () => ((await stack.http().get('/v1/tokens').set(auth(stack.tokens.admin))).body.items as Array<{ id: string; lastUsedAt: string | null }>).find((t) => t.id === created.body.id);
    expect((await listed())?.lastUsedAt).toBeNull();
    expect((await stack.http().get('/v1/templates').set(auth(created.body.token as string))).status).toBe(200);
    const used = (await listed())?.lastUsedAt;
    expect(Date.now() - Date.parse(used!)).toBeLessThan(60_000);
    // At most about once a minute: a second use within it writes nothing.
    expect((await stack.http().get('/v1/templates').set(auth(created.body.token as string))).status).toBe(200);
    expect((await listed())?.lastUsedAt).toBe(used);

    // Refused from its expiry on, although the API process keeps resolved tokens for a while.
    const shortLived = await stack.http().post('/v1/tokens').set(auth(stack.tokens.admin)).send({ actorId: 'sid', actorName: 'Sid', expiresAt: new Date(Date.now() + 2_000).toISOString() });
    secrets.add(shortLived.body.token as string);
    expect((await stack.http().get('/v1/templates').set(auth(shortLived.body.token as string))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(shortLived.body.expiresAt as string) - Date.now()) + 50));
    const expired = await stack.http().get('/v1/templates').set(auth(shortLived.body.token as string));
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('unauthorized');
    // One expired in the database (by an operator, or by time on another API process) is refused once the cache lets go.
    await stack.db.execute(sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${created.body.id as string}`);
    await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_MS + 50));
    expect((await stack.http().get('/v1/templates').set(auth(created.body.token as string))).status).toBe(401);
  }, 40_000);

  test('API_TOKEN_TTL_DAYS=0: no default expiry', () => {
    expect(defaultTokenExpiry(0)).toBeUndefined();
    expect(loadConfig({}).API_TOKEN_TTL_DAYS).toBe(90);
  });
});

// Last: every secret of the tests above is known by now.
describe('the logs', () => {
  test('hold no token, magic link or JWT — and are the request logs (not an empty capture)', () => {
    expect(logs.lines.length).toBeGreaterThan(20);
    expect(logs.containing('access_token=[redacted]').length).toBeGreaterThan(0);
    expect(logs.containing('"x-api-key":"[redacted]"').length).toBeGreaterThan(0);
    expect(logs.containing('"cookie":"[redacted]"').length).toBeGreaterThan(0);
    expect(logs.containing('/portal/<token>').length).toBeGreaterThan(0);
    expect(secrets.size).toBeGreaterThanOrEqual(10);
    for (const secret of secrets) expect(logs.containing(secret)).toEqual([]);
    for (const line of logs.lines) expect(line).not.toMatch(LIVE_PORTAL_TOKEN);
  });

  test('no e-mail that went through Resend is stored with a live link', async () => {
    const rows = await stack.db.select().from(emails);
    expect(rows.filter((r) => r.status === 'sent').length).toBeGreaterThan(0);
    for (const row of rows.filter((r) => r.status !== 'outbox')) expect(JSON.stringify(row)).not.toMatch(LIVE_PORTAL_TOKEN);
  });

  test('redaction by form: tokens, JWTs, Bearer and credential parameters anywhere in a line', () => {
    const line = redactSecrets('GET /x?access_token=abc&page=2 cot_AAAAAAAAAAAA cpt_BBBBBBBBBBBB eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig Bearer opaque.value');
    expect(line).toBe('GET /x?access_token=[redacted]&page=2 cot_[redacted] cpt_[redacted] [redacted JWT] Bearer [redacted]');
    // The SDK's own lines (worker/run.ts) go through the same redacting JSON logger.
    const sdk = captureLogs();
    createTemporalLogger(sdk.log).warn('Activity failed cot_CCCCCCCCCCCC', { error: new Error('cpt_DDDDDDDDDDDD') });
    expect(sdk.lines).toHaveLength(1);
    expect(JSON.parse(sdk.lines[0]!)).toMatchObject({ level: 40, msg: 'Activity failed cot_[redacted]', err: { message: 'cpt_[redacted]' } });
    expect(sdk.lines[0]).not.toMatch(/CCCCCCCC|DDDDDDDD/);
  });
});
