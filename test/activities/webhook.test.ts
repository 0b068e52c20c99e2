import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookFailure } from '../../activities';
import { loadConfig, type Config } from '../../config/env';
import { getWebhookDeliveryByKey } from '../../db/webhook-deliveries';
import type { WebhookResult } from '../../domain/effects';
import { activityFailureOf, startActivityWorker, type ActivityWorker } from '../support/activity-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { webhookEffect } from '../support/effects';

const SECRET = 'whsec-test-1234';
// The retry policy the case workflow uses for webhooks: 1 s, doubling, 5 attempts.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 };

/** What a receiver does with one request: answer with a status, or never answer. */
type Behaviour = number | 'hang';

interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The receiver's own check of X-Case-Signature and X-Case-Timestamp. */
  verified: boolean;
}

/** A webhook receiver that verifies signatures as a real one would. */
async function startReceiver() {
  const received: Received[] = [];
  const script: Behaviour[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ at: Date.now(), headers: req.headers, raw, verified: verify(req.headers, raw) });
      const behaviour = script.shift() ?? 200;
      if (behaviour === 'hang') return; // the connection stays open until the server closes
      if (behaviour === 302) {
        res.writeHead(302, { Location: 'http://evil.example.net/steal' }).end();
        return;
      }
      res.writeHead(behaviour, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: behaviour < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/cases`,
    port,
    received,
    script: (...b: Behaviour[]) => void script.push(...b),
    reset() {
      received.length = 0;
      script.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function verify(headers: http.IncomingHttpHeaders, raw: string): boolean {
  const timestamp = Number(headers['x-case-timestamp']);
  const signature = String(headers['x-case-signature'] ?? '');
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${raw}`).digest('hex')}`;
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

let t: TestDatabase;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let config: Config;
let worker: ActivityWorker;

beforeAll(async () => {
  t = await createTestDatabase();
  receiver = await startReceiver();
  config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_ALLOWED_HOSTS: `hooks.example.com, 127.0.0.1:${receiver.port}`,
    WEBHOOK_TIMEOUT_MS: '500',
  });
  worker = await startActivityWorker({ db: t.db, config, workflowsPath: require.resolve('../support/effect-workflows') });
});
afterAll(async () => {
  await worker?.close();
  await receiver?.close();
  await t?.close();
});
beforeEach(() => receiver.reset());


describe('callWebhook activity (real worker, local receiver)', () => {
  it('POSTs a signed JSON body the receiver can verify, and records the delivery', async () => {
    const effect = webhookEffect(receiver.url);
    const result = await worker.execute<WebhookResult>('runWebhookEffect', [effect, retry]);

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.verified).toBe(true);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-case-delivery']).toBe(effect.key);
    expect(JSON.parse(request?.raw ?? '')).toEqual({
      id: effect.key,
      type: 'case.automation.webhook',
      caseKey: 'ONB-7',
      rule: { rule: 'docs-request', name: 'Ask for documents', trigger: 3 },
      payload: { event: 'stage.entered', stage: 'documentation', n: 1 },
    });
    expect(result).toEqual({ deliveryId: expect.stringMatching(/^whd_/), status: 200 });
    expect(await getWebhookDeliveryByKey(t.db, effect.key)).toMatchObject({ id: result.deliveryId, status: 'delivered', attempts: 1, responseStatus: 200, url: receiver.url });
  });

  it('retries 503s with backoff and delivers once, under one delivery id, each attempt freshly signed', async () => {
    receiver.script(503, 503, 200);
    const effect = webhookEffect(receiver.url);
    const result = await worker.execute<WebhookResult>('runWebhookEffect', [effect, retry]);

    expect(result.status).toBe(200);
    const attempts = receiver.received;
    expect(attempts).toHaveLength(3);
    expect(attempts.every((a) => a.verified)).toBe(true);
    expect(new Set(attempts.map((a) => a.headers['x-case-delivery']))).toEqual(new Set([effect.key]));
    expect(new Set(attempts.map((a) => a.raw)).size).toBe(1); // the body is identical; only the timestamp header moves
    // Backoff 1 s then 2 s (Temporal's timers; a little slack for scheduling).
    const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[1]).toBeGreaterThanOrEqual(1800);
    expect(await getWebhookDeliveryByKey(t.db, effect.key)).toMatchObject({
      status: 'delivered',
      attempts: 3,
      responseStatus: 200,
      lastError: expect.stringMatching(/^HTTP 503/),
    });
  });

  it('does not call again for a delivery already made (a re-dispatched effect)', async () => {
    const effect = webhookEffect(receiver.url);
    const first = await worker.execute<WebhookResult>('runWebhookEffect', [effect, retry]);
    const again = await worker.execute<WebhookResult>('runWebhookEffect', [effect, retry]);
    expect(again).toEqual(first);
    expect(receiver.received).toHaveLength(1);
  });

  it('fails for good on a 400, without retrying', async () => {
    receiver.script(400);
    const effect = webhookEffect(receiver.url);
    const failure = await activityFailureOf(worker.execute('runWebhookEffect', [effect, retry]));
    expect(failure).toMatchObject({ type: WebhookFailure.Rejected, nonRetryable: true });
    expect(failure.message).toMatch(/answered HTTP 400/);
    expect(receiver.received).toHaveLength(1);
    expect(await getWebhookDeliveryByKey(t.db, effect.key)).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 400 });
  });

  it('does not follow a redirect (it could leave the allowlist) and fails for good', async () => {
    receiver.script(302);
    const effect = webhookEffect(receiver.url);
    const failure = await activityFailureOf(worker.execute('runWebhookEffect', [effect, retry]));
    expect(failure).toMatchObject({ type: WebhookFailure.Rejected, nonRetryable: true });
    expect(failure.message).toMatch(/HTTP 302 \(redirects are not followed\)/);
    expect(receiver.received).toHaveLength(1);
  });

  it('refuses a host outside the allowlist without making any request', async () => {
    // Same server, but "localhost" is not an allowed host (only 127.0.0.1 on this port is).
    const effect = webhookEffect(receiver.url.replace('127.0.0.1', 'localhost'));
    const failure = await activityFailureOf(worker.execute('runWebhookEffect', [effect, retry]));
    expect(failure).toMatchObject({ type: WebhookFailure.HostNotAllowed, nonRetryable: true });
    expect(failure.message).toMatch(/localhost:\d+ is not in WEBHOOK_ALLOWED_HOSTS/);
    expect(receiver.received).toHaveLength(0);
    expect(await getWebhookDeliveryByKey(t.db, effect.key)).toMatchObject({ status: 'failed', attempts: 0 });
  });

  it('retries an attempt that times out', async () => {
    receiver.script('hang', 200);
    const effect = webhookEffect(receiver.url);
    const result = await worker.execute<WebhookResult>('runWebhookEffect', [effect, retry]);
    expect(result.status).toBe(200);
    expect(receiver.received).toHaveLength(2);
    expect(await getWebhookDeliveryByKey(t.db, effect.key)).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastError: 'no answer within 500 ms',
    });
  });

  it('retries 429 and 408 like 5xx', async () => {
    receiver.script(429, 408, 204);
    const effect = webhookEffect(receiver.url);
    const result = await worker.execute<WebhookResult>('runWebhookEffect', [effect, { ...retry, initialInterval: '100 milliseconds' }]);
    expect(result.status).toBe(204);
    expect(receiver.received).toHaveLength(3);
  });
});
