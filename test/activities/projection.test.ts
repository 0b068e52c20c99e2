import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, ProjectionFailure } from '../../activities';
import { loadConfig } from '../../config/env';
import { openDatabase } from '../../db/connection';
import { eq } from 'drizzle-orm';
import { getTimeline, listCases as listCasesAs } from '../../db/read-model';
import { cases } from '../../db/schema';
import { publishTemplate } from '../../db/templates';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { admin, definition, minute, published, SimCase } from '../db/fixtures';

let t: TestDatabase;
const listCases = (db: TestDatabase['db'], filter: Parameters<typeof listCasesAs>[1]) => listCasesAs(db, filter, admin);
const template = published(definition('activity', { prefix: 'ACT' }));
/** Who may see what: view roles and a sensitive field, which the activity reads from the template the case pinned. */
const guarded = published(
  definition('guarded', {
    prefix: 'GRD',
    roles: ['hr', 'payroll'],
    permissions: { view: ['hr'] },
    fields: [
      { key: 'fullName', type: 'text' },
      { key: 'salary', type: 'number', sensitive: true, visibleTo: ['payroll'] },
      { key: 'tags', type: 'multiselect', options: ['red', 'blue'] },
    ],
  }),
);
beforeAll(async () => {
  t = await createTestDatabase();
  for (const { definition: d } of [template, guarded]) await publishTemplate(t.db, { definition: d, publishedBy: 'ada' });
});
afterAll(async () => {
  await t?.close();
});

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the activity to fail');
}

describe('projectCase activity', () => {
  it('projects a batch into the read model, idempotently', async () => {
    const { projectCase } = createActivities({ db: t.db, config: loadConfig({ NODE_ENV: 'test' }) });
    const c = new SimCase('ACT-1', template, { title: 'Activity case', fields: { fullName: 'Ann' } }, minute(0));
    c.run({ type: 'comment', text: 'first' }, minute(1));
    const env = new MockActivityEnvironment();
    expect(await env.run(projectCase, c.batch())).toEqual({ projectedThrough: c.state.lastSeq });
    expect(await env.run(projectCase, c.batch())).toEqual({ projectedThrough: c.state.lastSeq });

    const list = await listCases(t.db, { template: 'activity' });
    expect(list.items.map((i) => [i.id, i.lastSeq])).toEqual([['ACT-1', c.state.lastSeq]]);
    expect((await getTimeline(t.db, 'ACT-1')).items).toEqual(c.events);
  });

  it('fails for good on a malformed batch', async () => {
    const { projectCase } = createActivities({ db: t.db, config: loadConfig({ NODE_ENV: 'test' }) });
    const c = new SimCase('ACT-2', template, { title: 'Bad batch' }, minute(0));
    const env = new MockActivityEnvironment();
    const wrongCase = await failureOf(env.run(projectCase, { ...c.batch(), caseKey: 'ACT-3' }));
    expect(wrongCase).toBeInstanceOf(ApplicationFailure);
    expect(wrongCase).toMatchObject({ type: ProjectionFailure.InvalidBatch, nonRetryable: true });

    const garbage = await failureOf(env.run(projectCase, { caseKey: 'ACT-2', view: { id: 'ACT-2' }, events: 'nope' } as never));
    expect(garbage).toMatchObject({ type: ProjectionFailure.InvalidBatch, nonRetryable: true });

    const badTime = c.batch();
    badTime.events = badTime.events.map((e, i) => (i === 0 ? { ...e, at: 'yesterday' } : e));
    expect(await failureOf(env.run(projectCase, badTime))).toMatchObject({ type: ProjectionFailure.InvalidBatch, nonRetryable: true });
    expect((await listCases(t.db, { q: 'ACT-2' })).items).toEqual([]);
  });

  it('stores who may see the case and what q may search, from the template it pinned', async () => {
    const { projectCase } = createActivities({ db: t.db, config: loadConfig({ NODE_ENV: 'test' }) });
    const c = new SimCase(
      'GRD-1',
      guarded,
      { title: 'Guarded', fields: { fullName: 'Gina', salary: 98765, tags: ['red', 'blue'] }, owner: 'olga', participants: [{ kind: 'internal', role: 'hr', name: 'Hana', userId: 'hana' }] },
      minute(0),
    );
    await new MockActivityEnvironment().run(projectCase, c.batch());
    const [row] = await t.db.select({ access: cases.access, searchText: cases.searchText }).from(cases).where(eq(cases.key, 'GRD-1'));
    expect(row?.access).toEqual(['role:hr', 'user:hana', 'user:olga']);
    expect(row?.searchText.split('\n')).toEqual(['GRD-1', 'Guarded', 'Gina', 'red', 'blue']);
    expect(row?.searchText).not.toContain('98765');
  });

  it('fails for good when the pinned template does not exist', async () => {
    const { projectCase } = createActivities({ db: t.db, config: loadConfig({ NODE_ENV: 'test' }) });
    const c = new SimCase('GHO-1', published(definition('ghost', { prefix: 'GHO' })), { title: 'No template' }, minute(0));
    const failure = await failureOf(new MockActivityEnvironment().run(projectCase, c.batch()));
    expect(failure).toMatchObject({ type: ProjectionFailure.InvalidBatch, nonRetryable: true, message: expect.stringContaining('ghost v1') });
  });

  it('stores text with NUL characters, which PostgreSQL cannot hold, with a replacement character', async () => {
    const { projectCase } = createActivities({ db: t.db, config: loadConfig({ NODE_ENV: 'test' }) });
    const c = new SimCase('ACT-4', template, { title: 'Nul \u0000 title', fields: { fullName: 'a\u0000b' } }, minute(0));
    await new MockActivityEnvironment().run(projectCase, c.batch());
    expect((await listCases(t.db, { q: 'ACT-4' })).items[0]?.title).toBe('Nul \uFFFD title');
    expect((await getTimeline(t.db, 'ACT-4', { types: ['field.changed'] })).items[0]?.data).toMatchObject({ new: 'a\uFFFDb' });
  });

  it('fails for good when PostgreSQL refuses the data itself', async () => {
    const { projectCase } = createActivities({ db: t.db, config: loadConfig({ NODE_ENV: 'test' }) });
    const c = new SimCase('ACT-6', template, { title: 'Huge seq' }, minute(0));
    // A valid batch by its schema, but seq does not fit the integer column: no retry can help.
    const batch = c.batch();
    const huge = 3_000_000_000;
    batch.events = batch.events.map((e, i) => ({ ...e, seq: huge + i }));
    batch.view = { ...batch.view, lastSeq: huge + batch.events.length };
    const failure = await failureOf(new MockActivityEnvironment().run(projectCase, batch));
    expect(failure).toMatchObject({ type: ProjectionFailure.RejectedByDatabase, nonRetryable: true });
  });

  it('leaves connection failures retryable', async () => {
    const unreachable = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/nowhere' });
    try {
      const { projectCase } = createActivities({ db: unreachable.db, config: loadConfig({ NODE_ENV: 'test' }) });
      const c = new SimCase('ACT-5', template, { title: 'Unreachable' }, minute(0));
      const failure = await failureOf(new MockActivityEnvironment().run(projectCase, c.batch()));
      expect(failure instanceof ApplicationFailure && failure.nonRetryable).toBe(false);
    } finally {
      await unreachable.close();
    }
  });
});
