import { ScheduleNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { loadConfig, type Config } from '../../config/env';
import { cases, notifications, participants } from '../../db/schema';
import type { DigestRunResult } from '../../activities';
import { DIGEST_SCHEDULE_ID, DIGEST_WORKFLOW_TYPE, ensureDigestSchedule } from '../../worker/schedules';
import { startActivityWorker, type ActivityWorker } from '../support/activity-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startFakeResend, type FakeResend } from '../support/fake-resend';
import { eventually } from '../support/stack';

const ZONE = 'Europe/Berlin';
const hours = (h: number) => new Date(Date.now() + h * 3600_000);

let t: TestDatabase;
let fake: FakeResend;
let config: Config;
let worker: ActivityWorker;

async function insertCase(key: string, owner: string | null, dueAt: Date | null, status: 'open' | 'closed' = 'open') {
  const now = new Date();
  await t.db.insert(cases).values({
    key,
    templateKey: 'employee-onboarding',
    templateVersion: 1,
    title: `Case ${key} <b>`,
    status,
    stage: 'documentation',
    owner,
    fields: {},
    view: {} as never,
    lastSeq: 1,
    createdAt: now,
    updatedAt: now,
    dueAt,
  });
}

async function insertParticipant(caseKey: string, userId: string, kind: 'internal' | 'external', email: string | null) {
  await t.db.insert(participants).values({ caseKey, participantId: `P-${Math.floor(Math.random() * 1e9) + 1}`, kind, role: 'hr', name: userId, userId, email, addedAt: new Date() });
}

async function deleteSchedule() {
  try {
    await worker.client.schedule.getHandle(DIGEST_SCHEDULE_ID).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeResend();
  config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    RESEND_API_KEY: fake.apiKey,
    RESEND_BASE_URL: fake.url,
    PUBLIC_URL: 'https://cases.example.com',
    DIGEST_SCHEDULE: '0 8 * * *',
    DIGEST_TIMEZONE: ZONE,
    DIGEST_DUE_SOON_HOURS: '24',
  });
  worker = await startActivityWorker({ db: t.db, config, workflowsPath: require.resolve('../../workflows/digest-workflow') });
  await deleteSchedule(); // a schedule left behind by an interrupted run

  await insertCase('ONB-1', 'hana', hours(-2)); // overdue
  await insertCase('ONB-2', 'hana', hours(3)); // due soon
  await insertCase('ONB-3', 'hana', hours(72)); // due later: not in the digest
  await insertCase('ONB-4', 'hana', hours(-5), 'closed'); // closed: not in the digest
  await insertCase('ONB-5', 'max', hours(5)); // due soon, owner without a known address
  await insertCase('ONB-6', null, hours(-1)); // nobody owns it
  await insertCase('ONB-7', 'ivan', hours(-30)); // overdue; ivan's only address is from an external participation
  await insertCase('ONB-8', 'olga', null); // no deadline
  await insertParticipant('ONB-1', 'hana', 'internal', 'hana@example.com');
  await insertParticipant('ONB-5', 'max', 'internal', null);
  await insertParticipant('ONB-7', 'ivan', 'external', 'ivan@elsewhere.example');
});
afterAll(async () => {
  if (worker) await deleteSchedule();
  await worker?.close();
  await fake?.close();
  await t?.close();
});

const runsSeen = new Set<string>();

/** Triggers the schedule and waits for the run it starts (one not seen before) to finish. */
async function triggerAndWait(): Promise<DigestRunResult> {
  const handle = worker.client.schedule.getHandle(DIGEST_SCHEDULE_ID);
  await handle.trigger();
  const run = await eventually(
    async () => (await handle.describe()).info.recentActions.map((a) => a.action.workflow).find((w) => !runsSeen.has(w.firstExecutionRunId)),
    20_000,
    'the triggered digest run',
  );
  runsSeen.add(run.firstExecutionRunId);
  return worker.client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result();
}

describe('owner digest on a Temporal Schedule', () => {
  it('creates the schedule idempotently and follows a changed configuration', async () => {
    const opts = { client: worker.client, config, taskQueue: worker.taskQueue };
    expect(await ensureDigestSchedule(opts)).toBe('created');
    expect(await ensureDigestSchedule(opts)).toBe('updated');

    const handle = worker.client.schedule.getHandle(DIGEST_SCHEDULE_ID);
    const described = await handle.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: DIGEST_WORKFLOW_TYPE, taskQueue: worker.taskQueue });
    expect(described.spec.timezone).toBe(ZONE);
    expect(described.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 8, end: 8, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] })]);
    expect(described.state.paused).toBe(false);

    // The next worker start with another schedule moves the existing one.
    expect(await ensureDigestSchedule({ ...opts, config: { ...config, DIGEST_SCHEDULE: '30 6 * * 1-5', DIGEST_TIMEZONE: 'America/New_York' } })).toBe('updated');
    const moved = await handle.describe();
    expect(moved.spec.timezone).toBe('America/New_York');
    expect(moved.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 6, end: 6, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }], dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }] }),
    ]);
    expect(await ensureDigestSchedule(opts)).toBe('updated');
    expect((await handle.describe()).spec.timezone).toBe(ZONE);
  });

  it('triggered, sends each owner one digest of their overdue and due-soon cases; a second run the same day adds nothing', async () => {
    const date = DateTime.now().setZone(ZONE).toISODate();
    const result = await triggerAndWait();
    expect(result).toEqual({ date, owners: 3, notifications: 3, emails: 1, emailsRefused: 0 });

    const rows = await t.db.select().from(notifications).orderBy(notifications.userId);
    expect(rows.map((r) => [r.userId, r.dedupeKey, r.subject])).toEqual([
      ['hana', `digest:${date}:hana`, 'Your cases: 1 overdue, 1 due soon'],
      ['ivan', `digest:${date}:ivan`, 'Your cases: 1 overdue, 0 due soon'],
      ['max', `digest:${date}:max`, 'Your cases: 0 overdue, 1 due soon'],
    ]);
    const hana = rows[0]!.body;
    expect(hana).toMatch(/Overdue:\n- ONB-1 Case ONB-1 <b> \(stage documentation, due .+\) https:\/\/cases\.example\.com\/v1\/cases\/ONB-1\n/);
    expect(hana).toMatch(/Due within 24 hours:\n- ONB-2 /);
    expect(hana).not.toMatch(/ONB-3|ONB-4/);

    // Only hana has a known internal address.
    expect(fake.mailbox).toHaveLength(1);
    const mail = fake.mailbox[0]!;
    expect(mail).toMatchObject({ to: ['hana@example.com'], subject: 'Your cases: 1 overdue, 1 due soon', idempotencyKey: `digest:${date}:hana`, text: hana });
    expect(mail.html).toContain('ONB-1</a> Case ONB-1 &lt;b&gt;');
    expect(mail.html).not.toMatch(/ONB-3|ONB-4/);

    const again = await triggerAndWait();
    expect(again).toEqual(result);
    expect(fake.mailbox).toHaveLength(1);
    expect(await t.db.select().from(notifications)).toHaveLength(3);
  });

  it('a case that becomes overdue after the day’s digest waits for the next day', async () => {
    await t.db.update(cases).set({ dueAt: hours(-1) }).where(eq(cases.key, 'ONB-3'));
    await triggerAndWait();
    const [hana] = await t.db.select().from(notifications).where(eq(notifications.userId, 'hana'));
    expect(hana?.body).not.toContain('ONB-3');
    expect(fake.mailbox).toHaveLength(1);
  });
});
