/**
 * The caller's own endpoints the console is built on: who am I, my task inbox across cases (only
 * cases I may see), my saved case-list views; and the list and board additions (sort, stalled,
 * open task counts, cases per stage) and what a caller may do with a case (`allowed`).
 */
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const template = {
  key: 'inbox',
  name: 'Inbox',
  prefix: 'INB',
  roles: ['hr', 'it'],
  permissions: { view: ['hr', 'it'] },
  fields: [{ key: 'name', type: 'text' }],
  stages: [
    { key: 'intake', name: 'Intake', exit: { fields: ['name'] }, permissions: { act: ['hr'] } },
    {
      key: 'setup',
      name: 'Setup',
      tasks: [
        { key: 'laptop', title: 'Prepare the laptop', assigneeRole: 'it', due: '1h' },
        { key: 'badge', title: 'Print the badge', assigneeRole: 'it' },
      ],
    },
    { key: 'done', name: 'Done', terminal: true },
  ],
};
// The same shape, seen by nobody but its owner (no view roles): its tasks are in nobody else's inbox.
const hidden = { ...template, key: 'hidden-inbox', prefix: 'HID', permissions: { view: [] } };

async function start(tpl: string, title: string, fields: Record<string, unknown> = { name: title }, token = stack.tokens.admin) {
  const res = await stack.http().post('/v1/cases').set(auth(token)).send({ template: tpl, title, fields });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

beforeAll(async () => {
  stack = await startTestStack();
  for (const t of [template, hidden]) expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(t)).status).toBe(201);
}, 60_000);
afterAll(() => stack?.close());

test('GET /v1/me tells the caller who they are', async () => {
  const res = await stack.http().get('/v1/me').set(auth(stack.tokens.hr));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ id: 'hana', name: 'Hana HR', kind: 'user', roles: ['hr'] });
  expect((await stack.http().get('/v1/me')).status).toBe(401);
});

test('the task inbox holds the tasks of my roles and mine, overdue first, only of cases I may see', async () => {
  const a = await start('inbox', 'Alpha');
  const b = await start('inbox', 'Beta');
  const h = await start('hidden-inbox', 'Hidden');
  for (const key of [a, b, h]) expect((await stack.http().post(`/v1/cases/${key}/advance`).set(auth(stack.tokens.admin)).send({ to: 'setup' })).status).toBe(200);
  // Beta's laptop task is past due; Alpha's badge goes to Ivan himself.
  expect((await stack.http().post(`/v1/cases/${a}/tasks/T-2/reassign`).set(auth(stack.tokens.admin)).send({ assignee: 'ivan' })).status).toBe(200);
  expect((await stack.http().post(`/v1/cases/${b}/tasks`).set(auth(stack.tokens.admin)).send({ title: 'Late one', assigneeRole: 'it', dueAt: new Date(Date.now() - 3_600_000).toISOString() })).status).toBe(200);

  const inbox = await eventually(async () => {
    const res = await stack.http().get('/v1/tasks').set(auth(stack.tokens.it));
    return res.body.items?.length === 5 ? res.body : undefined;
  });
  const rows = inbox.items.map((t: { caseKey: string; title: string; overdue: boolean }) => `${t.caseKey} ${t.title}${t.overdue ? ' (overdue)' : ''}`);
  expect(rows[0]).toBe(`${b} Late one (overdue)`);
  // Then by due date (the laptops, due in an hour), the tasks without one last.
  expect(rows.slice(1, 3).sort()).toEqual([`${a} Prepare the laptop`, `${b} Prepare the laptop`]);
  expect(rows.slice(3).sort()).toEqual([`${a} Print the badge`, `${b} Print the badge`]);
  expect(inbox.items[0]).toMatchObject({ caseTitle: 'Beta', template: { key: 'inbox', version: 1 }, stage: 'setup', status: 'open', assignee: null, assigneeRole: 'it' });
  expect(rows.some((r: string) => r.startsWith(h))).toBe(false);

  const assigned = (await stack.http().get('/v1/tasks?scope=assigned').set(auth(stack.tokens.it))).body.items;
  expect(assigned.map((t: { caseKey: string; taskId: string }) => `${t.caseKey}/${t.taskId}`)).toEqual([`${a}/T-2`]);
  const forRole = (await stack.http().get('/v1/tasks?scope=role&overdue=true').set(auth(stack.tokens.it))).body.items;
  expect(forRole.map((t: { title: string }) => t.title)).toEqual(['Late one']);
  // HR has no tasks of its own here; paging walks the whole inbox once.
  expect((await stack.http().get('/v1/tasks').set(auth(stack.tokens.hr))).body.items).toEqual([]);
  const first = await stack.http().get('/v1/tasks?limit=2').set(auth(stack.tokens.it));
  const second = await stack.http().get(`/v1/tasks?limit=2&cursor=${first.body.nextCursor}`).set(auth(stack.tokens.it));
  expect([...first.body.items, ...second.body.items].map((t: { title: string }) => t.title)).toEqual(inbox.items.slice(0, 4).map((t: { title: string }) => t.title));
  expect((await stack.http().get('/v1/tasks?cursor=bm9wZQ').set(auth(stack.tokens.it))).status).toBe(422);
  expect((await stack.http().get('/v1/tasks?scope=everyone').set(auth(stack.tokens.it))).status).toBe(422);

  // Completing one takes it out of the inbox.
  expect((await stack.http().post(`/v1/cases/${b}/tasks/T-3/complete`).set(auth(stack.tokens.it)).send({})).status).toBe(200);
  await eventually(async () => (await stack.http().get('/v1/tasks').set(auth(stack.tokens.it))).body.items.length === 4);
  const done = (await stack.http().get('/v1/tasks?status=completed').set(auth(stack.tokens.it))).body.items;
  expect(done.map((t: { title: string }) => t.title)).toEqual(['Late one']);
});

test('saved views are per user, validated like the list, and bounded', async () => {
  const put = (name: string, query: Record<string, string>, token = stack.tokens.hr) => stack.http().put(`/v1/views/${encodeURIComponent(name)}`).set(auth(token)).send({ query });
  const created = await put('Overdue onboardings', { template: 'inbox', overdue: 'true', sort: 'dueAt' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name: 'Overdue onboardings', query: { template: 'inbox', overdue: 'true', sort: 'dueAt' } });
  expect((await put('Overdue onboardings', { template: 'inbox', overdue: 'true' })).status).toBe(200);
  const mine = await stack.http().get('/v1/views').set(auth(stack.tokens.hr));
  expect(mine.body.items).toEqual([expect.objectContaining({ name: 'Overdue onboardings', query: { template: 'inbox', overdue: 'true' } })]);
  // Another user sees none of them and cannot delete them.
  expect((await stack.http().get('/v1/views').set(auth(stack.tokens.it))).body.items).toEqual([]);
  expect((await stack.http().delete('/v1/views/Overdue%20onboardings').set(auth(stack.tokens.it))).status).toBe(404);

  // Anything GET /v1/cases would refuse is refused here, nothing saved.
  const bads: Array<Record<string, string>> = [{ status: 'lost' }, { sort: 'salary' }, { cursor: 'abc' }, { limit: '10' }, { nope: 'x' }];
  for (const bad of bads) {
    const res = await put('bad', bad);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  }
  expect((await put('x'.repeat(101), { status: 'open' })).status).toBe(422);
  expect((await stack.http().get('/v1/views').set(auth(stack.tokens.hr))).body.items).toHaveLength(1);

  // At most 50 per user; replacing one is fine at the limit.
  for (let i = 1; i < 50; i++) expect((await put(`view ${i}`, { status: 'open' })).status).toBe(201);
  const over = await put('one too many', { status: 'open' });
  expect(over.status).toBe(422);
  expect(over.body.code).toBe('limit_exceeded');
  expect((await put('view 1', { status: 'closed' })).status).toBe(200);
  expect((await stack.http().delete('/v1/views/view%201').set(auth(stack.tokens.hr))).status).toBe(204);
  expect((await stack.http().delete('/v1/views/view%201').set(auth(stack.tokens.hr))).status).toBe(404);
});

test('lists sort by a column and page through every case once; summaries count open tasks', async () => {
  const titles = ['delta', 'Alpha two', 'charlie', 'bravo'];
  const keys = [];
  for (const title of titles) keys.push(await start('inbox', title));
  await eventually(async () => (await stack.http().get('/v1/cases?template=inbox&limit=200').set(auth(stack.tokens.admin))).body.items.length >= 6);
  const all = async (sort: string) => {
    const seen: Array<{ id: string; title: string; openTasks: number; stalled: boolean }> = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: typeof seen; nextCursor: string | null } } = await stack
        .http()
        .get(`/v1/cases?template=inbox&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(auth(stack.tokens.admin));
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return seen;
  };
  const byTitle = await all('title');
  expect(byTitle.map((c) => c.title)).toEqual(['Alpha', 'Alpha two', 'Beta', 'bravo', 'charlie', 'delta']);
  expect((await all('-title')).map((c) => c.title)).toEqual(['delta', 'charlie', 'bravo', 'Beta', 'Alpha two', 'Alpha']);
  // Keys sort by number, not as text (INB-10 after INB-9).
  const byKey = (await all('key')).map((c) => Number(c.id.split('-')[1]));
  expect(byKey).toEqual([...byKey].sort((x, y) => x - y));
  expect((await all('-createdAt')).map((c) => c.id)).toEqual((await all('createdAt')).map((c) => c.id).reverse());
  // Alpha has its badge (assigned) and laptop open; the new ones have none.
  expect(byTitle.find((c) => c.title === 'Alpha')?.openTasks).toBe(2);
  expect(byTitle.find((c) => c.title === 'delta')).toMatchObject({ openTasks: 0, stalled: false });
  expect((await stack.http().get('/v1/cases?stalled=true').set(auth(stack.tokens.admin))).body.items).toEqual([]);

  // A cursor of one order is not one of another.
  const page = await stack.http().get('/v1/cases?template=inbox&sort=title&limit=2').set(auth(stack.tokens.admin));
  expect((await stack.http().get(`/v1/cases?template=inbox&sort=-updatedAt&limit=2&cursor=${page.body.nextCursor}`).set(auth(stack.tokens.admin))).status).toBe(422);
  expect((await stack.http().get(`/v1/cases?template=inbox&limit=2&cursor=${page.body.nextCursor}`).set(auth(stack.tokens.admin))).status).toBe(422);
  expect((await stack.http().get('/v1/cases?sort=salary').set(auth(stack.tokens.admin))).status).toBe(422);
});

test('boards take a number of cases per stage', async () => {
  const board = await stack.http().get('/v1/boards/inbox?limit=1').set(auth(stack.tokens.admin));
  expect(board.status).toBe(200);
  const intake = board.body.stages.find((s: { key: string }) => s.key === 'intake');
  expect(intake.count).toBeGreaterThan(1);
  expect(intake.cases).toHaveLength(1);
  expect(intake.cases[0]).toHaveProperty('openTasks');
  expect((await stack.http().get('/v1/boards/inbox?limit=501').set(auth(stack.tokens.admin))).status).toBe(422);
});

test('a case tells each caller what they may do with it now', async () => {
  const key = await start('inbox', 'Allowed', {});
  const asHr = (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.hr))).body.allowed;
  expect(asHr).toMatchObject({ act: true, comment: true, cancel: true, reopen: false, close: { allowed: true, reasonRequired: true } });
  expect(asHr.moves).toEqual([
    { to: 'setup', name: 'Setup', direction: 'forward', reasonRequired: false, missing: { fields: ['name'], documents: [], tasks: [] } },
    { to: 'done', name: 'Done', direction: 'skip', reasonRequired: true, missing: { fields: ['name'], documents: [], tasks: [] } },
  ]);
  // IT sees the case (a view role) but may not act in intake; it may still comment.
  const asIt = (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.it))).body.allowed;
  expect(asIt).toMatchObject({ act: false, comment: true, moves: [], cancel: false });
  // What `allowed` offers is what the case accepts, and what it withholds it refuses.
  expect((await stack.http().post(`/v1/cases/${key}/advance`).set(auth(stack.tokens.it)).send({ to: 'setup' })).status).toBe(403);
  expect((await stack.http().post(`/v1/cases/${key}/advance`).set(auth(stack.tokens.hr)).send({ to: 'setup' })).status).toBe(409);
  expect((await stack.http().patch(`/v1/cases/${key}/fields`).set(auth(stack.tokens.hr)).send({ name: 'Now named' })).status).toBe(200);
  const after = (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.hr))).body.allowed;
  expect(after.moves[0]).toMatchObject({ to: 'setup', missing: { fields: [], documents: [], tasks: [] } });
  expect((await stack.http().post(`/v1/cases/${key}/advance`).set(auth(stack.tokens.hr)).send({ to: 'setup' })).status).toBe(200);
  // Cancelled: only reopening is left.
  expect((await stack.http().post(`/v1/cases/${key}/cancel`).set(auth(stack.tokens.admin)).send({ reason: 'test' })).status).toBe(200);
  const cancelled = (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.admin))).body.allowed;
  expect(cancelled).toMatchObject({ act: false, moves: [], reopen: true, cancel: false, close: { allowed: false } });
});
