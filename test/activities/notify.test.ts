import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { OVER_BUDGET } from '../../activities/email';
import { loadConfig } from '../../config/env';
import { getEmail, getEmailByKey } from '../../db/emails';
import { listNotifications } from '../../db/notifications';
import { notifications } from '../../db/schema';
import type { NotifyResult } from '../../domain/effects';
import { startActivityWorker, type ActivityWorker } from '../support/activity-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { notifyEffect, renderContext } from '../support/effects';
import { startFakeResend, type FakeResend } from '../support/fake-resend';

let t: TestDatabase;
let fake: FakeResend;
let activities: ReturnType<typeof createActivities>;

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeResend();
  const config = loadConfig({ NODE_ENV: 'test', RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.url, PUBLIC_URL: 'https://cases.example.com' });
  activities = createActivities({ db: t.db, config, log: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await fake?.close();
  await t?.close();
});
beforeEach(() => fake.reset());

const rowsFor = (key: string) => t.db.select().from(notifications).where(eq(notifications.dedupeKey, key));

describe('notifyUser activity', () => {
  it('stores one plain-text notification and sends one HTML e-mail copy, however often it runs', async () => {
    const effect = notifyEffect();
    const env = new MockActivityEnvironment();
    const first = (await env.run(activities.notifyUser, effect)) as NotifyResult;
    const second = await env.run(activities.notifyUser, effect);
    expect(second).toEqual(first);
    expect(first).toEqual({ notificationId: expect.stringMatching(/^ntf_/), emailId: expect.stringMatching(/^em_/) });

    const rows = await rowsFor(effect.key);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: first.notificationId,
      userId: 'max',
      caseKey: 'ONB-7',
      seq: 3,
      subject: 'Deadline missed: Onboard <Jane> & Co',
      // Text mode: stored as data, not escaped; the same template renders escaped in the e-mail.
      body: '<p>ONB-7 is past its deadline in Documentation: https://cases.example.com/v1/cases/ONB-7</p>',
    });

    expect(fake.mailbox).toHaveLength(1);
    expect(fake.mailbox[0]).toMatchObject({ to: ['max@example.com'], subject: 'Deadline missed: Onboard <Jane> & Co', idempotencyKey: `${effect.key}:email` });
    expect(fake.mailbox[0]?.html).toContain('ONB-7 is past its deadline in Documentation: https:&#x2F;&#x2F;cases.example.com');
    expect(await getEmail(t.db, first.emailId!)).toMatchObject({ idempotencyKey: `${effect.key}:email`, status: 'sent' });

    expect((await listNotifications(t.db, 'max')).items.map((n) => n.id)).toContain(first.notificationId);
  });

  it('sends no e-mail to a user without an address', async () => {
    const effect = notifyEffect({ to: { userId: 'ivan' } });
    const result = await new MockActivityEnvironment().run(activities.notifyUser, effect);
    expect(result).toEqual({ notificationId: expect.stringMatching(/^ntf_/) });
    expect(fake.requests).toHaveLength(0);
    expect(await getEmailByKey(t.db, `${effect.key}:email`)).toBeNull();
  });

  it('keeps the notification when Resend refuses the e-mail copy for good', async () => {
    fake.failNext({ kind: 'refuse', status: 422, name: 'validation_error', message: 'Invalid `to` field.' });
    const effect = notifyEffect();
    const result = await new MockActivityEnvironment().run(activities.notifyUser, effect);
    expect(result).toEqual({ notificationId: expect.stringMatching(/^ntf_/) });
    expect(await rowsFor(effect.key)).toHaveLength(1);
    expect(await getEmailByKey(t.db, `${effect.key}:email`)).toMatchObject({ status: 'failed' });
  });

  it('fails for good, storing nothing, when its body renders past the budget', async () => {
    const tags = Array.from({ length: 200 }, (_, i) => `option-${String(i).padStart(3, '0')}`);
    const effect = notifyEffect({ body: '{{#fields.tags}}{{#fields.tags}}{{.}}{{/fields.tags}}{{/fields.tags}}', context: renderContext({ fields: { tags } }) });
    const failure = await new MockActivityEnvironment().run(activities.notifyUser, effect).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: OVER_BUDGET, nonRetryable: true, message: 'notification body: text exceeded its budget of 262,144 characters' });
    expect(await rowsFor(effect.key)).toHaveLength(0);
    expect(fake.mailbox).toHaveLength(0);
  });

  it('keeps the notification when only its HTML e-mail copy is over budget (escaping makes it longer)', async () => {
    // 200 × 1,000 characters of text (within the budget) become 200 × 5,000 once "&" is escaped.
    const context = renderContext({ fields: { tags: Array.from({ length: 200 }, (_, i) => i), note: '&'.repeat(1_000) } });
    const effect = notifyEffect({ body: '{{#fields.tags}}{{fields.note}}{{/fields.tags}}', context });
    const result = await new MockActivityEnvironment().run(activities.notifyUser, effect);
    expect(result).toEqual({ notificationId: expect.stringMatching(/^ntf_/) });
    expect((await rowsFor(effect.key))[0]?.body).toHaveLength(200_000);
    expect(fake.mailbox).toHaveLength(0);
  });

  it('under a real worker, a transient e-mail failure is retried without a second notification or message', async () => {
    const retry = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 };
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', RESEND_API_KEY: fake.apiKey, RESEND_BASE_URL: fake.url });
    const worker: ActivityWorker = await startActivityWorker({ db: t.db, config, workflowsPath: require.resolve('../support/effect-workflows') });
    try {
      fake.failNext({ kind: 'accept-then-500' });
      const effect = notifyEffect();
      const result = await worker.execute<NotifyResult>('runNotifyEffect', [effect, retry]);
      expect(fake.requests).toHaveLength(2);
      expect(fake.mailbox).toHaveLength(1);
      expect(await rowsFor(effect.key)).toHaveLength(1);
      expect(await getEmail(t.db, result.emailId!)).toMatchObject({ status: 'sent', attempts: 2, providerId: fake.mailbox[0]?.id });
    } finally {
      await worker.close();
    }
  });
});
