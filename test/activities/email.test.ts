import { MockActivityEnvironment } from '@temporalio/testing';
import { Resend } from 'resend';
import { createActivities, EmailFailure } from '../../activities';
import { classifyResendError, OVER_BUDGET } from '../../activities/email';
import { loadConfig, type Config } from '../../config/env';
import { getEmailByKey } from '../../db/emails';
import type { EmailResult } from '../../domain/effects';
import { activityFailureOf, startActivityWorker, type ActivityWorker } from '../support/activity-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { emailEffect, renderContext } from '../support/effects';
import { startFakeResend, type FakeResend } from '../support/fake-resend';

const retry = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 };

let t: TestDatabase;
let fake: FakeResend;
let config: Config;
let worker: ActivityWorker;

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeResend();
  config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    RESEND_API_KEY: fake.apiKey,
    RESEND_BASE_URL: fake.url,
    EMAIL_FROM: 'Cases <cases@example.com>',
    PUBLIC_URL: 'https://cases.example.com/',
  });
  worker = await startActivityWorker({ db: t.db, config, workflowsPath: require.resolve('../support/effect-workflows') });
});
afterAll(async () => {
  await worker?.close();
  await fake?.close();
  await t?.close();
});
beforeEach(() => fake.reset());


describe('sendEmail activity through Resend (real SDK, local fake, real worker)', () => {
  it('renders subject as text and body as escaped HTML with case.url and recipient, and records the message as sent', async () => {
    const effect = emailEffect();
    const result = await worker.execute<EmailResult>('runEmailEffect', [effect, retry]);

    expect(fake.mailbox).toHaveLength(1);
    const [message] = fake.mailbox;
    expect(message).toMatchObject({
      from: 'Cases <cases@example.com>',
      to: ['jane@example.com'],
      subject: 'Documents for Onboard <Jane> & Co',
      idempotencyKey: effect.key,
    });
    // Mustache's HTML escaping also escapes "/" (as &#x2F;), which HTML decodes back in attributes.
    expect(message?.html).toBe(
      '<p>Hello Jane, please upload your documents for Jane &quot;JD&quot; Doe: <a href="https:&#x2F;&#x2F;cases.example.com&#x2F;v1&#x2F;cases&#x2F;ONB-7">ONB-7</a></p>',
    );
    expect(result).toEqual({ emailId: expect.stringMatching(/^em_/), delivery: 'sent', providerId: message?.id });
    expect(await getEmailByKey(t.db, effect.key)).toMatchObject({ id: result.emailId, status: 'sent', providerId: message?.id, attempts: 1, caseKey: 'ONB-7', lastError: null });
  });

  it.each([
    ['answers 500 after accepting', { kind: 'accept-then-500' } as const, /500 internal_server_error/],
    ['drops the connection after accepting', { kind: 'accept-then-drop' } as const, /no response application_error/],
  ])('delivers exactly one message when Resend %s: the retry gets the first answer back', async (_what, fault, lastError) => {
    fake.failNext(fault);
    const effect = emailEffect();
    const result = await worker.execute<EmailResult>('runEmailEffect', [effect, retry]);

    // Two requests with the same Idempotency-Key reached Resend; the recipient got one message.
    expect(fake.requests.map((r) => r.idempotencyKey)).toEqual([effect.key, effect.key]);
    expect(fake.mailbox).toHaveLength(1);
    const providerId = fake.mailbox[0]?.id;
    expect(result).toMatchObject({ delivery: 'sent', providerId });
    const row = await getEmailByKey(t.db, effect.key);
    expect(row).toMatchObject({ status: 'sent', providerId, attempts: 2 });
    expect(row?.lastError).toMatch(lastError);
  });

  it('retries a 429 and then sends once', async () => {
    fake.failNext({ kind: 'refuse', status: 429, name: 'rate_limit_exceeded', message: 'Too many requests' });
    const effect = emailEffect();
    const result = await worker.execute<EmailResult>('runEmailEffect', [effect, retry]);
    expect(fake.requests.map((r) => r.answered)).toEqual([429, 200]);
    expect(fake.mailbox).toHaveLength(1);
    expect(await getEmailByKey(t.db, effect.key)).toMatchObject({ id: result.emailId, status: 'sent', attempts: 2, lastError: expect.stringMatching(/429 rate_limit_exceeded/) });
  });

  it('fails for good on a 422 without retrying, and marks the message failed', async () => {
    fake.failNext({ kind: 'refuse', status: 422, name: 'validation_error', message: 'Invalid `to` field.' });
    const effect = emailEffect();
    const failure = await activityFailureOf(worker.execute('runEmailEffect', [effect, retry]));
    expect(failure).toMatchObject({ type: EmailFailure.Rejected, nonRetryable: true });
    expect(failure.message).toMatch(/422 validation_error: Invalid `to` field/);
    expect(fake.requests).toHaveLength(1);
    expect(fake.mailbox).toHaveLength(0);
    expect(await getEmailByKey(t.db, effect.key)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/422/) });
  });

  it('does not call Resend again for a key already sent (a re-dispatched effect)', async () => {
    const effect = emailEffect();
    const first = await worker.execute<EmailResult>('runEmailEffect', [effect, retry]);
    const again = await worker.execute<EmailResult>('runEmailEffect', [{ ...effect, subject: 'changed' }, retry]);
    expect(again).toEqual(first);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up after the retry policy when Resend keeps failing, leaving the row sending with the last error', async () => {
    fake.failNext(...Array.from({ length: 3 }, () => ({ kind: 'refuse' as const, status: 503, name: 'internal_server_error' as const })));
    const effect = emailEffect();
    const failure = await activityFailureOf(worker.execute('runEmailEffect', [effect, { ...retry, maximumAttempts: 3 }]));
    expect(failure).toMatchObject({ type: EmailFailure.DeliveryFailed, nonRetryable: false });
    expect(fake.requests).toHaveLength(3);
    expect(await getEmailByKey(t.db, effect.key)).toMatchObject({ status: 'sending', attempts: 3, lastError: expect.stringMatching(/503/) });
  });
});

describe('sendEmail with a text over its run-time budget', () => {
  const tags = Array.from({ length: 200 }, (_, i) => `option-${String(i).padStart(3, '0')}`);
  // 200 × 200 × 10 characters: far over LOGIC.renderedLength, stopped while rendering.
  const explosive = '{{#fields.tags}}{{#fields.tags}}{{.}}{{/fields.tags}}{{/fields.tags}}';

  it.each([
    ['body', { body: explosive }],
    ['subject', { subject: explosive }],
  ])('fails for good when the %s is over budget: nothing recorded or sent, no retry', async (what, texts) => {
    const effect = emailEffect({ ...texts, context: renderContext({ fields: { tags } }) });
    const failure = await activityFailureOf(worker.execute('runEmailEffect', [effect, retry]));
    expect(failure).toMatchObject({ type: OVER_BUDGET, nonRetryable: true, message: `e-mail ${what}: text exceeded its budget of 262,144 characters` });
    expect(fake.requests).toHaveLength(0);
    expect(await getEmailByKey(t.db, effect.key)).toBeNull();
  });
});

describe('sendEmail without RESEND_API_KEY (development outbox)', () => {
  it('writes the message to the outbox table only, once per key', async () => {
    const outboxConfig = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '4321' });
    const { sendEmail } = createActivities({ db: t.db, config: outboxConfig });
    const effect = emailEffect();
    const env = new MockActivityEnvironment();
    const first = await env.run(sendEmail, effect);
    const second = await env.run(sendEmail, effect);
    expect(first).toEqual({ emailId: expect.stringMatching(/^em_/), delivery: 'outbox' });
    expect(second).toEqual(first);
    expect(fake.requests).toHaveLength(0);
    const row = await getEmailByKey(t.db, effect.key);
    expect(row).toMatchObject({ status: 'outbox', attempts: 0, providerId: null, to: ['jane@example.com'] });
    expect(row?.html).toContain('href="http:&#x2F;&#x2F;localhost:4321&#x2F;v1&#x2F;cases&#x2F;ONB-7"');
  });
});

describe('classifyResendError', () => {
  const verdict = (statusCode: number | null, name: string, headers: Record<string, string> | null = null) =>
    classifyResendError({ statusCode, name: name as never, message: '' }, headers);

  it('retries what can pass later and refuses the rest', () => {
    expect(verdict(null, 'application_error').permanent).toBe(false);
    expect(verdict(500, 'internal_server_error').permanent).toBe(false);
    expect(verdict(503, 'application_error').permanent).toBe(false);
    expect(verdict(429, 'rate_limit_exceeded', { 'retry-after': '2' })).toEqual({ permanent: false, retryAfterMs: 2000 });
    expect(verdict(429, 'daily_quota_exceeded', { 'retry-after': '86400' })).toEqual({ permanent: false });
    expect(verdict(409, 'concurrent_idempotent_requests').permanent).toBe(false);
    for (const [status, name] of [
      [400, 'invalid_idempotency_key'],
      [401, 'missing_api_key'],
      [403, 'invalid_api_key'],
      [404, 'not_found'],
      [409, 'invalid_idempotent_request'],
      [422, 'validation_error'],
    ] as const) {
      expect(verdict(status, name).permanent).toBe(true);
    }
  });

  it('sees network failures of the real SDK as statusCode null', async () => {
    // Nothing listens on port 9 of localhost: the SDK reports it without throwing.
    const { error } = await new Resend('re_x', { baseUrl: 'http://127.0.0.1:9' }).emails.send({ from: 'a@example.com', to: 'b@example.com', subject: 's', html: 'h' });
    expect(error).not.toBeNull();
    expect(error?.statusCode).toBeNull();
    expect(classifyResendError(error!, null).permanent).toBe(false);
  });
});
