/**
 * Migrating running cases to a new template version (POST /v1/templates/:key/migrations): a dry
 * run lists exactly the blocking cases; applying moves the rest through a Temporal workflow, each
 * case recording `template.migrated` with its SLA clock re-armed from the new stage definition; a
 * worker killed mid-way finishes the migration without applying anything twice; bad input is a
 * precise 4xx and changes nothing.
 */
import { sql } from 'drizzle-orm';
import { recordHistory } from '../support/histories';
import { eventually, startReplacementWorker, startTestStack, type TestStack } from '../support/stack';
import { testTemporalAddress } from '../support/temporal';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const HOUR = 3_600_000;

const v1 = {
  key: 'migr',
  name: 'Migration',
  prefix: 'MIG',
  roles: ['hr'],
  permissions: { view: ['hr'] },
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'level', type: 'select', options: ['intern', 'junior', 'senior'] },
    { key: 'note', type: 'text' },
  ],
  stages: [
    { key: 'intake', tasks: [{ key: 'collect', title: 'Collect the papers' }], sla: { deadline: '10d' } },
    { key: 'review' },
    { key: 'done', terminal: true },
  ],
};
/** v2: "review" renamed "legal", "level" renamed "grade" (without "intern"), "note" gone, intake's checklist gone and its deadline 2 days. */
const v2 = {
  ...v1,
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'grade', type: 'select', options: ['junior', 'senior', 'lead'] },
  ],
  stages: [{ key: 'intake', sla: { goal: '1d', deadline: '2d' } }, { key: 'legal' }, { key: 'done', terminal: true }],
};
const plan = { fromVersion: 1, toVersion: 2, stageMap: { review: 'legal' }, fieldMap: { level: 'grade', note: null } };

async function start(title: string, fields: Record<string, unknown>): Promise<string> {
  const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'migr', title, fields });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const command = async (key: string, method: 'post' | 'put', path: string, body: object = {}) => {
  const res = await stack.http()[method](`/v1/cases/${key}/${path}`).set(auth(stack.tokens.hr)).send(body);
  expect(res.status).toBe(200);
  return res.body;
};
const view = async (key: string) => (await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.hr))).body;
const migrate = (body: object, headers: Record<string, string> = {}) => stack.http().post('/v1/templates/migr/migrations').set(auth(stack.tokens.admin)).set(headers).send(body);
const progress = async (id: string) => (await stack.http().get(`/v1/migrations/${id}?limit=1000`).set(auth(stack.tokens.admin))).body;
const finished = (id: string) => eventually(async () => ((await progress(id)).status === 'completed' ? progress(id) : undefined), 60_000, `migration ${id} to finish`);

/** The cases of the test: which must block, which must move. */
const cases: Record<'openChecklist' | 'intake' | 'review' | 'intern', string> = { openChecklist: '', intake: '', review: '', intern: '' };

/** Publishes a version of the template; answers its number. */
async function publish(definition: object): Promise<number> {
  const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(definition);
  expect(res.status).toBe(201);
  return res.body.version as number;
}
/** Waits until the read model holds `n` cases of a version (a migration reads it). */
const projected = (version: number, n: number) =>
  eventually(async () => {
    const rows = await stack.db.execute(sql`select count(*)::int as n from cases where template_key = 'migr' and template_version = ${version}`);
    return (rows as unknown as Array<{ n: number }>)[0]!.n === n || undefined;
  });

beforeAll(async () => {
  stack = await startTestStack();
  await publish(v1);
  // Blocked: its intake checklist task is open and v2's intake has none.
  cases.openChecklist = await start('Open checklist', { fullName: 'Olga' });
  // Moves: checklist done; gets v2's intake clock, counted from when it entered intake.
  cases.intake = await start('Intake', { fullName: 'Ines', level: 'junior', note: 'dropped' });
  await command(cases.intake, 'post', 'tasks/T-1/complete');
  // Moves: "review" becomes "legal", "level" becomes "grade".
  cases.review = await start('Review', { fullName: 'Rita', level: 'senior' });
  await command(cases.review, 'post', 'tasks/T-1/complete');
  await command(cases.review, 'post', 'advance', { to: 'review' });
  // Blocked: "intern" is not an option of "grade".
  cases.intern = await start('Intern', { fullName: 'Ivo', level: 'intern' });
  await command(cases.intern, 'post', 'tasks/T-1/complete');
  await publish(v2);
  // The read model has every case as it stands (the dry run reads it).
  await eventually(async () => {
    const rows = await stack.db.execute(sql`select count(*)::int as n from cases where template_key = 'migr' and last_seq >= 4`);
    return (rows as unknown as Array<{ n: number }>)[0]!.n === 4 || undefined;
  });
}, 90_000);
afterAll(() => stack?.close());

test('a dry run lists exactly the blocking cases and why, and changes nothing', async () => {
  const res = await migrate({ ...plan, dryRun: true });
  expect(res.status).toBe(200);
  expect(res.body.counts).toEqual({ total: 4, movable: 2, blocked: 2 });
  const byId = Object.fromEntries((res.body.cases as Array<{ id: string }>).map((c) => [c.id, c]));
  expect(byId[cases.openChecklist]).toMatchObject({ canMove: false, blockers: [{ code: 'task_missing', path: 'tasks.T-1' }] });
  expect(byId[cases.intern]).toMatchObject({ canMove: false, blockers: [{ code: 'field_invalid', path: 'fields.level' }] });
  expect(byId[cases.intake]).toMatchObject({ canMove: true, stage: { from: 'intake', to: 'intake' }, fieldChanges: [{ field: 'level', to: 'grade' }, { field: 'note', to: null }] });
  expect(byId[cases.review]).toMatchObject({ canMove: true, stage: { from: 'review', to: 'legal' } });
  for (const key of Object.values(cases)) expect((await view(key)).template.version).toBe(1);
});

test('bad input is a precise 4xx and starts nothing', async () => {
  const refusals: Array<[object, number, string, string?]> = [
    [{ ...plan, toVersion: 7 }, 422, 'validation_failed', 'toVersion'],
    [{ ...plan, stageMap: { review: 'nowhere' } }, 422, 'validation_failed', 'stageMap.review'],
    [{ ...plan, stageMap: { ghost: 'legal' } }, 422, 'validation_failed', 'stageMap.ghost'],
    [{ ...plan, fieldMap: { level: 'unknown' } }, 422, 'validation_failed', 'fieldMap.level'],
    [{ ...plan, toVersion: 1 }, 422, 'validation_failed', 'toVersion'],
    [{ ...plan, perSecond: 100_000 }, 422, 'validation_failed', 'perSecond'],
  ];
  for (const [body, status, code, path] of refusals) {
    const res = await migrate(body);
    expect([res.status, res.body.code]).toEqual([status, code]);
    if (path) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  }
  // Another template's key (or one that does not exist) and a caller who is not an admin.
  expect((await stack.http().post('/v1/templates/nothing-here/migrations').set(auth(stack.tokens.admin)).send(plan)).status).toBe(404);
  const hr = await stack.http().post('/v1/templates/migr/migrations').set(auth(stack.tokens.hr)).send(plan);
  expect([hr.status, hr.body.code]).toEqual([403, 'forbidden']);
  const started = await stack.db.execute(sql`select count(*)::int as n from batches`);
  expect((started as unknown as Array<{ n: number }>)[0]!.n).toBe(0);
});

test('applying moves the movable cases, reports the others, and a retry with the same key starts nothing new', async () => {
  const res = await migrate(plan, { 'Idempotency-Key': 'migr-apply-1' });
  expect(res.status).toBe(202);
  expect(res.headers.location).toBe(`/v1/migrations/${res.body.id}`);
  expect(res.body).toMatchObject({ kind: 'migration', status: 'running', total: 4, workflowId: res.body.id });
  const again = await migrate(plan, { 'Idempotency-Key': 'migr-apply-1' });
  expect([again.status, again.body.id]).toEqual([202, res.body.id]);
  const reused = await migrate({ ...plan, fieldMap: { level: 'grade' } }, { 'Idempotency-Key': 'migr-apply-1' });
  expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);

  const done = await finished(res.body.id);
  expect(done.counts).toMatchObject({ applied: 2, refused: 2, pending: 0 });
  const outcome = Object.fromEntries((done.items as Array<{ case: string; detail: string }>).map((i) => [i.case, i]));
  expect(outcome[cases.openChecklist]).toMatchObject({ outcome: 'refused', code: 'migration_blocked' });
  expect(outcome[cases.intern]).toMatchObject({ outcome: 'refused', code: 'migration_blocked' });
  expect(outcome[cases.intern]!.detail).toMatch(/"level" does not fit field "grade"/);

  // Moved: version, stage and fields as mapped; the timeline says so; the clock is v2's intake clock.
  const review = await view(cases.review);
  expect(review).toMatchObject({ template: { version: 2 }, stage: { key: 'legal' }, fields: { fullName: 'Rita', grade: 'senior' } });
  const intake = await view(cases.intake);
  expect(intake.fields).toEqual({ fullName: 'Ines', grade: 'junior' });
  const entered = Date.parse(intake.stage.enteredAt);
  expect(Date.parse(intake.sla.deadlineAt) - entered).toBe(48 * HOUR);
  expect(Date.parse(intake.sla.goalAt) - entered).toBe(24 * HOUR);
  const timeline = async (key: string) => (await stack.http().get(`/v1/cases/${key}/timeline?limit=500`).set(auth(stack.tokens.hr))).body.items as Array<{ type: string; data: Record<string, unknown>; at: string }>;
  const migrated = await eventually(async () => (await timeline(cases.intake)).find((e) => e.type === 'template.migrated'));
  expect(migrated.data).toMatchObject({ templateKey: 'migr', from: 1, to: 2, stageMap: { review: 'legal' }, fieldChanges: [{ field: 'level', to: 'grade' }, { field: 'note', to: null }] });
  // Refused cases keep their version, untouched.
  for (const key of [cases.openChecklist, cases.intern]) {
    expect((await view(key)).template.version).toBe(1);
    expect((await timeline(key)).some((e) => e.type === 'template.migrated')).toBe(false);
  }
  // The case as it stood before the migration is the v1 case; after it, the v2 case.
  const movedAt = (await timeline(cases.review)).find((e) => e.type === 'template.migrated')!.at;
  const before = new Date(Date.parse(movedAt) - 1).toISOString();
  const then = await stack.http().get(`/v1/cases/${cases.review}?asOf=${encodeURIComponent(before)}`).set(auth(stack.tokens.hr));
  expect(then.body).toMatchObject({ historical: true, template: { version: 1 }, stage: { key: 'review' }, fields: { level: 'senior' } });
  // A migrated case goes on under v2's rules.
  await command(cases.review, 'post', 'advance', { to: 'done' });
  // For the replay test: a case that took a migration, and the migration's own workflow.
  await recordHistory(testTemporalAddress(), `case-${cases.intake}`, undefined, 'case-template-migrated');
  await recordHistory(testTemporalAddress(), res.body.id, undefined, 'batch-migration');
  const count = await stack.db.execute(sql`select count(*)::int as n from batches`);
  expect((count as unknown as Array<{ n: number }>)[0]!.n).toBe(1);
});

test('a migration can be cancelled: moved cases stay moved, the rest are marked cancelled', async () => {
  const keys: string[] = [];
  const version = await publish({ ...v2, stages: [...v2.stages.slice(0, 2), { key: 'hold' }, { key: 'done', terminal: true }] });
  for (let i = 0; i < 5; i++) keys.push(await start(`Cancel ${i}`, { fullName: `C${i}` }));
  await projected(version, 5);
  const res = await migrate({ fromVersion: version, toVersion: 2, perSecond: 1 });
  expect(res.status).toBe(202);
  const cancel = await stack.http().post(`/v1/migrations/${res.body.id}/cancel`).set(auth(stack.tokens.admin));
  expect(cancel.status).toBe(202);
  const done = await eventually(async () => {
    const p = await progress(res.body.id);
    return p.status === 'cancelled' ? p : undefined;
  }, 30_000);
  expect(done.counts.cancelled).toBeGreaterThan(0);
  expect(done.counts.pending).toBe(0);
  expect(done.counts.applied + done.counts.cancelled).toBe(5);
  const again = await stack.http().post(`/v1/migrations/${res.body.id}/cancel`).set(auth(stack.tokens.admin));
  expect([again.status, again.body.code]).toEqual([409, 'batch_finished']);
  // Someone else's migration is not there for them.
  expect((await stack.http().get(`/v1/migrations/${res.body.id}`).set(auth(stack.tokens.hr))).status).toBe(404);
});

// Last: it replaces the stack's worker.
test('a worker killed during a migration finishes it after a restart without applying anything twice', async () => {
  const version = await publish({ ...v2, stages: [...v2.stages.slice(0, 2), { key: 'archive' }, { key: 'done', terminal: true }] });
  const keys: string[] = [];
  for (let i = 0; i < 6; i++) keys.push(await start(`Crash ${i}`, { fullName: `P${i}` }));
  await projected(version, 6);
  const res = await migrate({ fromVersion: version, toVersion: 2, perSecond: 2 });
  expect(res.status).toBe(202);
  // Kill the worker once some, not all, cases have moved.
  await eventually(async () => ((await progress(res.body.id)).counts.applied >= 1 ? true : undefined), 30_000);
  stack.worker.shutdown();
  const replacement = await startReplacementWorker(stack);
  try {
    const done = await finished(res.body.id);
    expect(done.counts).toMatchObject({ applied: 6, refused: 0, failed: 0, pending: 0 });
    for (const key of keys) {
      // The first query of a case whose worker was killed may wait out its sticky queue: ask again.
      expect(await eventually(async () => (await view(key)).template?.version, 30_000)).toBe(2);
      // Written by the run after its worker came back: give a loaded machine time.
      const events = await eventually(async () => {
        const items = (await stack.http().get(`/v1/cases/${key}/timeline?limit=500`).set(auth(stack.tokens.hr))).body.items as Array<{ type: string }>;
        return items.some((e) => e.type === 'template.migrated') ? items : undefined;
      }, 60_000);
      expect(events.filter((e) => e.type === 'template.migrated')).toHaveLength(1);
    }
  } finally {
    await replacement.stop();
  }
}, 180_000);
