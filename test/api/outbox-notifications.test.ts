import { sql } from 'drizzle-orm';
import { claimEmail, markEmailSent } from '../../db/emails';
import { insertNotification } from '../../db/notifications';
import { listEmailsTo } from '../../db/outbox';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (role: keyof TestStack['tokens']) => ({ Authorization: `Bearer ${stack.tokens[role]}` });

beforeAll(async () => {
  stack = await startTestStack({ env: { LOG_LEVEL: 'silent' } });
  // Five e-mails a millisecond apart so "newest first" is observable.
  for (let i = 1; i <= 5; i++) {
    const { row } = await claimEmail(stack.db, {
      idempotencyKey: `k-${i}`,
      caseKey: i % 2 ? 'ONB-1' : 'ONB-2',
      from: 'cases@example.com',
      to: [`user${i}@example.com`],
      subject: `Message ${i}`,
      html: `<p>${i}</p>`,
      status: i === 5 ? 'sending' : 'outbox',
    });
    if (i === 5) await markEmailSent(stack.db, row.id, 'resend-5');
    await stack.db.execute(sql`update emails set created_at = now() - make_interval(secs => ${10 - i}) where idempotency_key = ${`k-${i}`}`);
  }
  for (let i = 1; i <= 3; i++) {
    await insertNotification(stack.db, { dedupeKey: `n-hana-${i}`, userId: 'hana', caseKey: 'ONB-1', seq: i, subject: `For Hana ${i}`, body: 'b' });
    await stack.db.execute(sql`update notifications set created_at = now() - make_interval(secs => ${10 - i}) where dedupe_key = ${`n-hana-${i}`}`);
  }
  await insertNotification(stack.db, { dedupeKey: 'n-max-1', userId: 'max', caseKey: null, seq: null, subject: 'For Max', body: 'b' });
});
afterAll(async () => {
  await stack?.close();
});

describe('GET /v1/outbox', () => {
  it('lists every e-mail newest first, with pagination', async () => {
    const first = await stack.http().get('/v1/outbox?limit=2').set(auth('admin')).expect(200);
    expect(first.body.items.map((e: { subject: string }) => e.subject)).toEqual(['Message 5', 'Message 4']);
    expect(first.body.items[0]).toMatchObject({ status: 'sent', providerId: 'resend-5', to: ['user5@example.com'], caseKey: 'ONB-1', attempts: 0, sentAt: expect.any(String) });
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await stack.http().get(`/v1/outbox?limit=2&cursor=${first.body.nextCursor}`).set(auth('admin')).expect(200);
    expect(second.body.items.map((e: { subject: string }) => e.subject)).toEqual(['Message 3', 'Message 2']);
    const last = await stack.http().get(`/v1/outbox?limit=2&cursor=${second.body.nextCursor}`).set(auth('admin')).expect(200);
    expect(last.body).toMatchObject({ items: [{ subject: 'Message 1' }], nextCursor: null });
  });

  it('filters by case and status', async () => {
    const byCase = await stack.http().get('/v1/outbox?caseKey=ONB-2').set(auth('admin')).expect(200);
    expect(byCase.body.items.map((e: { subject: string }) => e.subject)).toEqual(['Message 4', 'Message 2']);
    const sent = await stack.http().get('/v1/outbox?status=sent').set(auth('admin')).expect(200);
    expect(sent.body.items.map((e: { subject: string }) => e.subject)).toEqual(['Message 5']);
    const outboxOfOne = await stack.http().get('/v1/outbox?status=outbox&caseKey=ONB-1').set(auth('admin')).expect(200);
    expect(outboxOfOne.body.items.map((e: { subject: string }) => e.subject)).toEqual(['Message 3', 'Message 1']);
  });

  it('shows others only the e-mails addressed to them: none to a caller without an address', async () => {
    const res = await stack.http().get('/v1/outbox').set(auth('hr')).expect(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    await stack.http().get('/v1/outbox').expect(401);
    // What a caller with an address (single sign-on identities carry one) gets: their own, newest first.
    const own = await listEmailsTo(stack.db, 'USER3@example.com');
    expect(own.items.map((e) => e.subject)).toEqual(['Message 3']);
    expect((await listEmailsTo(stack.db, 'user3@example.com', { caseKey: 'ONB-2' })).items).toEqual([]);
    expect((await listEmailsTo(stack.db, 'nobody@example.com')).items).toEqual([]);
  });

  it('refuses bad filters and foreign cursors with a 422', async () => {
    const status = await stack.http().get('/v1/outbox?status=lost').set(auth('admin')).expect(422);
    expect(status.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'status' }] });
    const cursor = await stack.http().get('/v1/outbox?cursor=bm9wZQ').set(auth('admin')).expect(422);
    expect(cursor.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'cursor' }] });
    await stack.http().get('/v1/outbox?bogus=1').set(auth('admin')).expect(422);
  });
});

describe('/v1/notifications', () => {
  it("lists the caller's own notifications only, newest first, with pagination", async () => {
    const page = await stack.http().get('/v1/notifications?limit=2').set(auth('hr')).expect(200);
    expect(page.body.items.map((n: { subject: string }) => n.subject)).toEqual(['For Hana 3', 'For Hana 2']);
    expect(page.body.items[0]).toEqual({ id: expect.any(String), caseKey: 'ONB-1', seq: 3, subject: 'For Hana 3', body: 'b', createdAt: expect.any(String), readAt: null });
    const rest = await stack.http().get(`/v1/notifications?cursor=${page.body.nextCursor}`).set(auth('hr')).expect(200);
    expect(rest.body).toMatchObject({ items: [{ subject: 'For Hana 1' }], nextCursor: null });

    const max = await stack.http().get('/v1/notifications').set(auth('manager')).expect(200);
    expect(max.body.items.map((n: { subject: string }) => n.subject)).toEqual(['For Max']);
    const none = await stack.http().get('/v1/notifications').set(auth('it')).expect(200);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it('marks one read (idempotently) and filters unread ones', async () => {
    const all = await stack.http().get('/v1/notifications').set(auth('hr')).expect(200);
    const target = all.body.items[1] as { id: string };
    const read = await stack.http().post(`/v1/notifications/${target.id}/read`).set(auth('hr')).expect(200);
    expect(read.body).toMatchObject({ id: target.id, readAt: expect.any(String) });
    const again = await stack.http().post(`/v1/notifications/${target.id}/read`).set(auth('hr')).expect(200);
    expect(again.body.readAt).toBe(read.body.readAt);

    const unread = await stack.http().get('/v1/notifications?unread=true').set(auth('hr')).expect(200);
    expect(unread.body.items.map((n: { subject: string }) => n.subject)).toEqual(['For Hana 3', 'For Hana 1']);
    const everything = await stack.http().get('/v1/notifications?unread=false').set(auth('hr')).expect(200);
    expect(everything.body.items).toHaveLength(3);
    await stack.http().get('/v1/notifications?unread=yes').set(auth('hr')).expect(422);
  });

  it("answers 404 for someone else's notification and leaves it unread", async () => {
    const max = await stack.http().get('/v1/notifications').set(auth('manager')).expect(200);
    const id = (max.body.items[0] as { id: string }).id;
    const res = await stack.http().post(`/v1/notifications/${id}/read`).set(auth('hr')).expect(404);
    expect(res.body).toMatchObject({ code: 'notification_not_found' });
    await stack.http().post('/v1/notifications/ntf_unknown/read').set(auth('hr')).expect(404);
    const after = await stack.http().get('/v1/notifications?unread=true').set(auth('manager')).expect(200);
    expect(after.body.items.map((n: { id: string }) => n.id)).toEqual([id]);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await stack.http().get('/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/outbox', '/v1/notifications', '/v1/notifications/{notificationId}/read']));
    expect(doc.body.components.schemas).toHaveProperty('Email');
    expect(doc.body.components.schemas).toHaveProperty('Notification');
  });
});
