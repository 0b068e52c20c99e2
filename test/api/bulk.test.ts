/**
 * Bulk actions (POST /v1/bulk): one action over case ids or a list filter, carried out by a
 * Temporal workflow; every case answers for itself as the requesting actor — applied, refused with
 * its reason, or not visible (the same answer as a case that does not exist).
 */
import { sql } from 'drizzle-orm';
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** hr and manager see every case; only hr acts in "work", only manager in "locked". Prefix BUL: case keys are workflow ids on the suite's shared Temporal server. */
const template = {
  key: 'bulk',
  name: 'Bulk',
  prefix: 'BUL',
  roles: ['hr', 'manager'],
  permissions: { view: ['hr', 'manager'] },
  fields: [{ key: 'fullName', type: 'text' }],
  stages: [
    { key: 'work', permissions: { act: ['hr'], comment: ['hr'] } },
    { key: 'locked', permissions: { act: ['manager'], comment: ['manager'] } },
    { key: 'done', terminal: true },
  ],
};
/** A template hr has no role in: its cases are not visible to hr. */
const hidden = { key: 'bulk-hidden', name: 'Hidden', prefix: 'BHD', roles: ['it'], permissions: { view: ['it'] }, fields: [], stages: [{ key: 'only' }, { key: 'end', terminal: true }] };

const bulk = (token: string, body: object, headers: Record<string, string> = {}) => stack.http().post('/v1/bulk').set(auth(token)).set(headers).send(body);
const progress = async (token: string, id: string) => (await stack.http().get(`/v1/bulk/${id}?limit=1000`).set(auth(token))).body;
const finished = (token: string, id: string) =>
  eventually(async () => {
    const p = await progress(token, id);
    return p.status === 'completed' ? p : undefined;
  }, 60_000, `bulk action ${id} to finish`);
const outcomes = (p: { items: Array<{ case: string; outcome: string; code: string | null }> }) => Object.fromEntries(p.items.map((i) => [i.case, [i.outcome, i.code]]));
const timeline = async (key: string) => (await stack.http().get(`/v1/cases/${key}/timeline?limit=500`).set(auth(stack.tokens.admin))).body.items as Array<{ type: string; actor: { id: string }; data: Record<string, unknown> }>;

let work: string;
let locked: string;
let invisible: string;

beforeAll(async () => {
  stack = await startTestStack();
  for (const t of [template, hidden]) expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(t)).status).toBe(201);
  const start = async (token: string, body: { template: string; title: string }) => {
    const res = await stack.http().post('/v1/cases').set(auth(token)).send(body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  work = await start(stack.tokens.hr, { template: 'bulk', title: 'Work' });
  locked = await start(stack.tokens.hr, { template: 'bulk', title: 'Locked' });
  expect((await stack.http().post(`/v1/cases/${locked}/advance`).set(auth(stack.tokens.hr)).send({ to: 'locked' })).status).toBe(200);
  invisible = await start(stack.tokens.admin, { template: 'bulk-hidden', title: 'Hidden' });
}, 60_000);
afterAll(() => stack?.close());

test('a mix of allowed, refused and invisible cases gives each its outcome, each command carrying the requesting actor', async () => {
  const res = await bulk(stack.tokens.hr, { action: 'comment', params: { text: 'Bulk hello' }, caseIds: [work, locked, invisible, 'NOPE-999', work] });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ kind: 'bulk', action: 'comment', total: 4, requestedBy: { id: 'hana' } });
  expect(res.headers.location).toBe(`/v1/bulk/${res.body.id}`);
  const done = await finished(stack.tokens.hr, res.body.id);
  expect(done.counts).toMatchObject({ applied: 1, refused: 1, not_visible: 2, pending: 0 });
  expect(outcomes(done)).toEqual({ [work]: ['applied', null], [locked]: ['refused', 'forbidden'], [invisible]: ['not_visible', null], 'NOPE-999': ['not_visible', null] });
  // Applied once, as hana; nothing on the others.
  const comments = (await eventually(async () => {
    const events = await timeline(work);
    return events.some((e) => e.type === 'comment.added') ? events : undefined;
  })).filter((e) => e.type === 'comment.added');
  expect(comments).toHaveLength(1);
  expect(comments[0]).toMatchObject({ actor: { id: 'hana' }, data: { text: 'Bulk hello' } });
  expect((await timeline(locked)).some((e) => e.type === 'comment.added')).toBe(false);
  expect((await timeline(invisible)).some((e) => e.type === 'comment.added')).toBe(false);
  // The progress is the requester's (and admins'): another user gets the same 404 as for none.
  expect((await stack.http().get(`/v1/bulk/${res.body.id}`).set(auth(stack.tokens.manager))).status).toBe(404);
  expect((await stack.http().get(`/v1/bulk/${res.body.id}`).set(auth(stack.tokens.admin))).status).toBe(200);
  // Paging and filtering the items.
  const page = (await stack.http().get(`/v1/bulk/${res.body.id}?limit=2`).set(auth(stack.tokens.hr))).body;
  expect([page.items.length, page.nextCursor]).toEqual([2, 1]);
  const refused = (await stack.http().get(`/v1/bulk/${res.body.id}?outcome=refused`).set(auth(stack.tokens.hr))).body;
  expect(refused.items.map((i: { case: string }) => i.case)).toEqual([locked]);
});

test('a filter selects the cases the caller may see; an Idempotency-Key makes a retry start nothing new', async () => {
  const body = { action: 'assign', params: { owner: 'max' }, filter: { template: 'bulk', stage: 'work' } };
  const res = await bulk(stack.tokens.hr, body, { 'Idempotency-Key': 'bulk-assign-1' });
  expect(res.status).toBe(202);
  expect(res.body.total).toBe(1);
  const again = await bulk(stack.tokens.hr, body, { 'Idempotency-Key': 'bulk-assign-1' });
  expect([again.status, again.body.id]).toEqual([202, res.body.id]);
  const other = await bulk(stack.tokens.hr, { ...body, params: { owner: 'ivan' } }, { 'Idempotency-Key': 'bulk-assign-1' });
  expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
  const done = await finished(stack.tokens.hr, res.body.id);
  expect(outcomes(done)).toEqual({ [work]: ['applied', null] });
  expect((await stack.http().get(`/v1/cases/${work}`).set(auth(stack.tokens.hr))).body.owner).toBe('max');
  const owners = (await timeline(work)).filter((e) => e.type === 'owner.assigned');
  expect(owners).toHaveLength(1);
});

test('bad input is a precise 4xx and starts nothing', async () => {
  const before = await stack.db.execute(sql`select count(*)::int as n from batches`);
  const tooMany = Array.from({ length: 5_001 }, (_, i) => `BUL-${i + 1}`);
  const refusals: Array<[string, object, number, string]> = [
    ['over the maximum', { action: 'comment', params: { text: 'x' }, caseIds: tooMany }, 422, 'validation_failed'],
    ['neither ids nor filter', { action: 'comment', params: { text: 'x' } }, 422, 'validation_failed'],
    ['both ids and filter', { action: 'comment', params: { text: 'x' }, caseIds: [work], filter: {} }, 422, 'validation_failed'],
    ['an unknown action', { action: 'explode', params: {}, caseIds: [work] }, 422, 'validation_failed'],
    ['a malformed case key', { action: 'close', caseIds: ['not a key'] }, 422, 'validation_failed'],
    ['a filter matching nothing', { action: 'close', filter: { template: 'bulk', stage: 'nowhere' } }, 422, 'validation_failed'],
    ['a migration to a version that does not exist', { action: 'migrate', params: { template: 'bulk', fromVersion: 1, toVersion: 9 }, caseIds: [work] }, 422, 'validation_failed'],
    ['a migration of a template that does not exist', { action: 'migrate', params: { template: 'nope', fromVersion: 1, toVersion: 2 }, caseIds: [work] }, 404, 'template_not_found'],
  ];
  for (const [what, body, status, code] of refusals) {
    const res = await bulk(stack.tokens.hr, body);
    expect([what, res.status, res.body.code]).toEqual([what, status, code]);
  }
  // Read-only callers change nothing, in bulk or not.
  const auditor = (await stack.http().post('/v1/tokens').set(auth(stack.tokens.admin)).send({ actorId: 'audrey', actorName: 'Audrey', roles: ['auditor'] })).body.token as string;
  expect((await bulk(auditor, { action: 'close', caseIds: [work] })).status).toBe(403);
  const after = await stack.db.execute(sql`select count(*)::int as n from batches`);
  expect(after).toEqual(before);
});

test('a bulk migrate is refused per case for a caller who is not an admin', async () => {
  const v2 = { ...template, stages: [...template.stages, { key: 'extra' }] };
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(v2)).status).toBe(201);
  const res = await bulk(stack.tokens.hr, { action: 'migrate', params: { template: 'bulk', fromVersion: 1, toVersion: 2 }, caseIds: [work] });
  expect(res.status).toBe(202);
  expect(outcomes(await finished(stack.tokens.hr, res.body.id))).toEqual({ [work]: ['refused', 'forbidden'] });
  const admin = await bulk(stack.tokens.admin, { action: 'migrate', params: { template: 'bulk', fromVersion: 1, toVersion: 2 }, caseIds: [work, locked] });
  expect(outcomes(await finished(stack.tokens.admin, admin.body.id))).toEqual({ [work]: ['applied', null], [locked]: ['applied', null] });
  expect((await stack.http().get(`/v1/cases/${work}`).set(auth(stack.tokens.hr))).body.template.version).toBe(2);
});
