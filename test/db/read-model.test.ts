import { eq } from 'drizzle-orm';
import { caseExists, getBoard, getTimeline, InvalidCursorError, listCases as listCasesAs, type CaseSummary } from '../../db/read-model';
import { caseEvents, cases, participants, tasks } from '../../db/schema';
import { searchText } from '../../domain/redaction';
import { caseAccessList } from '../../domain/visibility';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { admin, definition, minute, project, published, shuffled, SimCase } from './fixtures';

let t: TestDatabase;
/** Lists as an admin, who sees every case (what other readers see is test/db/visibility.test.ts's). */
const listCases = (db: TestDatabase['db'], filter: Parameters<typeof listCasesAs>[1]) => listCasesAs(db, filter, admin);
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

const rowsOf = async (caseKey: string) => ({
  case: (await t.db.select().from(cases).where(eq(cases.key, caseKey)))[0],
  events: await t.db.select().from(caseEvents).where(eq(caseEvents.caseKey, caseKey)).orderBy(caseEvents.seq),
  tasks: await t.db.select().from(tasks).where(eq(tasks.caseKey, caseKey)).orderBy(tasks.taskId),
  participants: await t.db.select().from(participants).where(eq(participants.caseKey, caseKey)).orderBy(participants.participantId),
});

describe('projectCase', () => {
  const template = published(definition('proj', { prefix: 'PRJ' }));

  function busyCase(key: string) {
    const c = new SimCase(
      key,
      template,
      {
        title: 'Jane Doe',
        fields: { fullName: 'Jane Doe' },
        owner: 'hr-1',
        participants: [
          { kind: 'internal', role: 'hr', name: 'Hana', userId: 'hana' },
          { kind: 'external', role: 'candidate', name: 'Jane', email: 'jane@example.com' },
        ],
      },
      minute(0),
    );
    const first = c.events.length;
    c.run({ type: 'createTask', title: 'Call Jane', assignee: 'hana', dueAt: '2026-02-01T09:00:00Z' }, minute(1));
    c.run({ type: 'advance', to: 'review' }, minute(2));
    c.run({ type: 'completeTask', taskId: 'T-1' }, minute(3));
    c.run({ type: 'removeParticipant', participantId: 'P-2' }, minute(4));
    return { c, first };
  }

  it('contiguous writes (a command answer the API writes) never leave a gap in the timeline', async () => {
    const c = new SimCase('PRJ-9', template, { title: 'Gap', fields: { fullName: 'Gap' } }, minute(0));
    const opening = [...c.events];
    const second = c.run({ type: 'comment', text: 'second' }, minute(1));
    const third = c.run({ type: 'comment', text: 'third' }, minute(2));
    // Not projected yet: only the opening may be written (a later answer would start with a gap).
    expect(await project(t.db, { ...c.batch(third) }, { contiguous: true })).toEqual({ projectedThrough: 0, skipped: true, inserted: [] });
    expect((await rowsOf('PRJ-9')).case).toBeUndefined();
    expect(await project(t.db, { ...c.batch(opening) }, { contiguous: true })).toEqual({ projectedThrough: opening.at(-1)!.seq, inserted: opening });
    // The third answer arrives before the second: refused, and the case row keeps the older view.
    expect((await project(t.db, c.batch(third), { contiguous: true })).skipped).toBe(true);
    expect((await rowsOf('PRJ-9')).events.map((e) => e.seq)).toEqual(opening.map((e) => e.seq));
    expect(await project(t.db, c.batch(second), { contiguous: true })).toEqual({ projectedThrough: second.at(-1)!.seq, inserted: second });
    expect(await project(t.db, c.batch(third), { contiguous: true })).toEqual({ projectedThrough: third.at(-1)!.seq, inserted: third });
    const rows = await rowsOf('PRJ-9');
    expect(rows.events.map((e) => e.seq)).toEqual(c.events.map((e) => e.seq));
    expect(rows.case?.lastSeq).toBe(c.state.lastSeq);
    // Repeated: written again as a no-op, nothing doubled, nothing reported as newly stored (metrics count that).
    const repeated = await project(t.db, c.batch(second), { contiguous: true });
    expect(repeated.skipped).toBeUndefined();
    expect(repeated.inserted).toEqual([]);
    expect((await rowsOf('PRJ-9')).events).toHaveLength(c.events.length);
    // A task is written with its command; a later comment leaves the task rows alone, and right.
    await project(t.db, c.batch(c.run({ type: 'createTask', title: 'Call', assignee: 'hana' }, minute(3))), { contiguous: true });
    await project(t.db, c.batch(c.run({ type: 'comment', text: 'fourth' }, minute(4))), { contiguous: true });
    await project(t.db, c.batch(c.run({ type: 'addParticipant', participant: { kind: 'internal', role: 'hr', name: 'Hana', userId: 'hana' } }, minute(5))), { contiguous: true });
    await project(t.db, c.batch(c.run({ type: 'completeTask', taskId: 'T-1' }, minute(6))), { contiguous: true });
    await project(t.db, c.batch(c.run({ type: 'comment', text: 'fifth' }, minute(7))), { contiguous: true });
    const after = await rowsOf('PRJ-9');
    expect(after.tasks.map((x) => [x.taskId, x.status])).toEqual([['T-1', 'completed']]);
    expect(after.participants.map((x) => x.name)).toEqual(['Hana']);
    expect(after.case?.lastSeq).toBe(c.state.lastSeq);
    // The last comment took the one-statement path: every column as the general path writes it.
    const view = c.view();
    expect(after.case).toMatchObject({
      title: 'Gap',
      status: 'open',
      stage: view.stage.key,
      owner: view.owner,
      fields: view.fields,
      access: caseAccessList(view, template.definition),
      searchText: searchText(view, template.definition),
      updatedAt: new Date(view.updatedAt),
      createdAt: new Date(view.createdAt),
    });
    expect(after.case?.view).toEqual(JSON.parse(JSON.stringify(view)));
    expect(after.events.at(-1)).toMatchObject({ type: 'comment.added', at: new Date(minute(7)), data: { text: 'fifth' } });
  });

  it("a case's opening, written by the one-statement path, is stored as the general path stores it", async () => {
    const start = { title: 'Opening', fields: { fullName: 'Olga' }, owner: 'hr-1' };
    const fast = new SimCase('PRJ-10', template, start, minute(0));
    const general = new SimCase('PRJ-11', template, start, minute(0));
    expect(await project(t.db, fast.batch(), { contiguous: true })).toEqual({ projectedThrough: fast.state.lastSeq, inserted: fast.events });
    expect((await project(t.db, general.batch())).inserted).toEqual(general.events);
    // Once there, an opening is not written again (a late or repeated writer changes nothing).
    expect((await project(t.db, fast.batch(), { contiguous: true })).skipped).toBeUndefined();
    expect((await project(t.db, general.batch())).inserted).toEqual([]);
    const [a, b] = [await rowsOf('PRJ-10'), await rowsOf('PRJ-11')];
    const { key: _a, view: viewA, access: accessA, searchText: textA, ...restA } = a.case!;
    const { key: _b, view: viewB, access: accessB, searchText: textB, ...restB } = b.case!;
    expect(restA).toEqual(restB);
    expect({ ...viewA, id: 'X' }).toEqual({ ...viewB, id: 'X' });
    expect(accessA).toEqual(accessB);
    expect(textA.replace('PRJ-10', 'PRJ-11')).toEqual(textB);
    expect(a.events.map(({ caseKey: _k, ...e }) => e)).toEqual(b.events.map(({ caseKey: _k, ...e }) => e));
  });

  it('writes the case, its events, tasks and participants', async () => {
    const { c } = busyCase('PRJ-1');
    const result = await project(t.db, c.batch());
    expect(result).toEqual({ projectedThrough: c.state.lastSeq, inserted: c.events });

    const rows = await rowsOf('PRJ-1');
    expect(rows.case).toMatchObject({
      key: 'PRJ-1',
      templateKey: 'proj',
      templateVersion: 1,
      title: 'Jane Doe',
      status: 'open',
      stage: 'review',
      owner: 'hr-1',
      fields: { fullName: 'Jane Doe' },
      lastSeq: c.state.lastSeq,
      closedAt: null,
    });
    expect(rows.case?.view).toEqual(c.view());
    expect(rows.case?.createdAt.toISOString()).toBe(minute(0));
    expect(rows.case?.updatedAt.toISOString()).toBe(minute(4));
    expect(rows.events.map((e) => e.seq)).toEqual(c.events.map((e) => e.seq));
    expect(rows.tasks).toEqual([
      expect.objectContaining({ taskId: 'T-1', title: 'Call Jane', assignee: 'hana', status: 'completed', stage: 'intake', completedBy: 'ada' }),
    ]);
    expect(rows.tasks[0]?.dueAt?.toISOString()).toBe('2026-02-01T09:00:00.000Z');
    // P-2 was removed: only P-1 remains.
    expect(rows.participants).toEqual([
      expect.objectContaining({ participantId: 'P-1', kind: 'internal', role: 'hr', name: 'Hana', userId: 'hana', email: null }),
    ]);

    const timeline = await getTimeline(t.db, 'PRJ-1');
    expect(timeline.items).toEqual(c.events);
  });

  it('is idempotent: the same batch twice changes nothing', async () => {
    const { c } = busyCase('PRJ-2');
    await project(t.db, c.batch());
    const before = await rowsOf('PRJ-2');
    await project(t.db, c.batch());
    expect(await rowsOf('PRJ-2')).toEqual(before);
  });

  it('never lets an older batch overwrite newer state, but still stores its events', async () => {
    const { c, first } = busyCase('PRJ-3');
    const early = new SimCase('PRJ-3', template, { title: 'Jane Doe', fields: { fullName: 'Jane Doe' }, owner: 'hr-1', participants: [
      { kind: 'internal', role: 'hr', name: 'Hana', userId: 'hana' },
      { kind: 'external', role: 'candidate', name: 'Jane', email: 'jane@example.com' },
    ] }, minute(0));
    expect(early.events).toEqual(c.events.slice(0, first));

    // The newest view arrives with only the later events; the opening batch comes afterwards.
    await project(t.db, c.batch(c.events.slice(first)));
    await project(t.db, early.batch());

    const rows = await rowsOf('PRJ-3');
    expect(rows.case?.lastSeq).toBe(c.state.lastSeq);
    expect(rows.case?.stage).toBe('review');
    expect(rows.case?.view).toEqual(c.view());
    expect(rows.participants.map((p) => p.participantId)).toEqual(['P-1']);
    expect(rows.tasks.map((x) => x.status)).toEqual(['completed']);
    expect(rows.events.map((e) => e.seq)).toEqual(c.events.map((e) => e.seq));
  });

  it('converges whatever order single-event batches arrive in', async () => {
    const { c } = busyCase('PRJ-4');
    // Every event as its own batch, each with a view as of that event, delivered shuffled.
    const batches = c.events.map((e, i) => ({
      caseKey: 'PRJ-4',
      view: i === c.events.length - 1 ? c.view() : { ...c.view(), lastSeq: e.seq },
      events: [e],
    }));
    for (const batch of shuffled(batches, 7)) await project(t.db, batch);
    // Duplicates after the fact change nothing.
    await project(t.db, batches[2]!);

    const rows = await rowsOf('PRJ-4');
    expect(rows.case?.lastSeq).toBe(c.state.lastSeq);
    expect(rows.case?.view).toEqual(c.view());
    expect(rows.events.map((e) => e.seq)).toEqual(c.events.map((e) => e.seq));
    expect(rows.participants.map((p) => p.participantId)).toEqual(['P-1']);
    expect(rows.tasks.map((x) => x.status)).toEqual(['completed']);
  });

  it('handles concurrent deliveries of different batches of one case', async () => {
    const { c } = busyCase('PRJ-5');
    const batches = c.events.map((e, i) => ({ caseKey: 'PRJ-5', view: i === c.events.length - 1 ? c.view() : { ...c.view(), lastSeq: e.seq }, events: [e] }));
    await Promise.all([...batches, ...batches].map((b) => project(t.db, b)));
    const rows = await rowsOf('PRJ-5');
    expect(rows.case?.view).toEqual(c.view());
    expect(rows.events).toHaveLength(c.events.length);
  });

  it('records closing and reopening', async () => {
    const c = new SimCase('PRJ-6', template, { title: 'Closer' }, minute(0));
    c.run({ type: 'close', reason: 'done' }, minute(10));
    await project(t.db, c.batch());
    expect((await rowsOf('PRJ-6')).case).toMatchObject({ status: 'closed' });
    expect((await rowsOf('PRJ-6')).case?.closedAt?.toISOString()).toBe(minute(10));
    const reopened = c.run({ type: 'reopen', reason: 'oops' }, minute(11));
    await project(t.db, c.batch(reopened));
    expect((await rowsOf('PRJ-6')).case).toMatchObject({ status: 'open', closedAt: null });
  });

  it('knows which cases exist', async () => {
    expect(await caseExists(t.db, 'PRJ-1')).toBe(true);
    expect(await caseExists(t.db, 'PRJ-999')).toBe(false);
  });
});

describe('listCases', () => {
  const a = published(definition('list-a', { prefix: 'LA' }));
  const b = published(definition('list-b', { prefix: 'LB' }));
  const all: SimCase[] = [];

  beforeAll(async () => {
    // 23 cases of template a and 7 of b; several share a creation time so the key breaks ties.
    for (let i = 1; i <= 30; i++) {
      const tpl = i % 4 === 0 && i <= 28 ? b : a;
      const prefix = tpl === a ? 'LA' : 'LB';
      const c = new SimCase(
        `${prefix}-${i}`,
        tpl,
        {
          title: i === 7 ? 'Discount 50%_off for Müller' : `Case number ${i}`,
          fields: { fullName: `Person ${i}`, ...(i === 11 ? { city: 'São Paulo' } : {}), ...(i === 12 ? { tags: ['50%_off'] } : {}) },
          ...(i % 3 === 0 ? { owner: 'olga' } : {}),
        },
        minute(Math.floor(i / 3)),
      );
      if (i % 5 === 0) c.run({ type: 'advance', to: 'review' }, minute(100 + i));
      if (i % 10 === 0) c.run({ type: 'close', reason: 'finished early' }, minute(200 + i));
      all.push(c);
    }
    // Project in a shuffled order: the read model must not depend on projection order.
    for (const c of shuffled(all)) await project(t.db, c.batch());
  });

  const ours = (items: CaseSummary[]) => items.filter((s) => s.template.key === 'list-a' || s.template.key === 'list-b');
  const expectedOrder = (cs: SimCase[]) =>
    [...cs].sort((x, y) => (x.view().createdAt === y.view().createdAt ? (x.key < y.key ? 1 : -1) : x.view().createdAt < y.view().createdAt ? 1 : -1)).map((c) => c.key);

  async function pages(filter: Parameters<typeof listCasesAs>[1]) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pagesRead = 0;
    do {
      const page = await listCases(t.db, { ...filter, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pagesRead++;
      expect(pagesRead).toBeLessThan(100);
    } while (cursor);
    return { seen, pagesRead };
  }

  it('pages newest first through every case, no duplicates and no gaps', async () => {
    const { seen, pagesRead } = await pages({ template: 'list-a', limit: 4 });
    const expected = expectedOrder(all.filter((c) => c.template === a));
    expect(seen).toEqual(expected);
    expect(pagesRead).toBe(Math.ceil(expected.length / 4));
  });

  it('returns summaries with the documented shape', async () => {
    const page = await listCases(t.db, { template: 'list-b', limit: 1 });
    const c = all.find((x) => x.key === page.items[0]?.id)!;
    const v = c.view();
    expect(page.items[0]).toEqual({
      id: c.key,
      template: { key: 'list-b', version: 1 },
      title: v.title,
      status: v.status,
      stage: v.stage.key,
      owner: v.owner,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
      closedAt: v.closedAt,
      dueAt: null,
      overdue: false,
      stalled: false,
      openTasks: 0,
      lastSeq: v.lastSeq,
    });
    expect(typeof page.nextCursor).toBe('string');
  });

  it('filters by template, stage, status and owner', async () => {
    const check = async (filter: Parameters<typeof listCasesAs>[1], predicate: (c: SimCase) => boolean) => {
      const { seen } = await pages({ ...filter, limit: 7 });
      expect(seen).toEqual(expectedOrder(all.filter(predicate)));
    };
    await check({ template: 'list-b' }, (c) => c.template === b);
    await check({ template: 'list-a', stage: 'review' }, (c) => c.template === a && c.state.stage === 'review');
    await check({ template: 'list-a', status: 'closed' }, (c) => c.template === a && c.state.status === 'closed');
    await check({ template: 'list-a', status: 'open', owner: 'olga' }, (c) => c.template === a && c.state.status === 'open' && c.state.owner === 'olga');
    expect((await listCases(t.db, { template: 'nothing' })).items).toEqual([]);
  });

  it('searches key, title and field values case-insensitively, with % and _ taken literally', async () => {
    const ids = async (q: string) => ours((await listCases(t.db, { q, limit: 200 })).items).map((i) => i.id).sort();
    expect(await ids('müller')).toEqual(['LA-7']);
    expect(await ids('50%_OFF')).toEqual(['LA-7', 'LB-12']);
    expect(await ids('%')).toEqual(['LA-7', 'LB-12']);
    expect(await ids('_')).toEqual(['LA-7', 'LB-12']);
    expect(await ids('são')).toEqual(['LA-11']);
    expect(await ids('person 2')).toEqual(['LA-2', 'LA-21', 'LA-22', 'LA-23', 'LA-25', 'LA-26', 'LA-27', 'LA-29', 'LB-20', 'LB-24', 'LB-28']);
    expect(await ids('lb-2')).toEqual(['LB-20', 'LB-24', 'LB-28']);
    expect(await ids('\\')).toEqual([]);
    expect(await ids('zzz-not-there')).toEqual([]);
  });

  it('pages through search results', async () => {
    const { seen } = await pages({ q: 'person 1', limit: 3 });
    expect(seen).toEqual(expectedOrder(all.filter((c) => /^Person 1/.test(String(c.state.fields.fullName)))));
  });

  it('clamps the page size', async () => {
    expect((await listCases(t.db, { template: 'list-a', limit: 0 })).items).toHaveLength(1);
    expect((await listCases(t.db, { template: 'list-a', limit: 10_000 })).items).toHaveLength(23);
    expect((await listCases(t.db, { template: 'list-a' })).nextCursor).toBeNull();
  });

  it('rejects a malformed cursor with InvalidCursorError', async () => {
    const bad = [
      'not a cursor!',
      '',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","LA-1"]').toString('base64url'),
      Buffer.from('["2026-01-01T00:00:00.000Z",5]').toString('base64url'),
      Buffer.from('not json').toString('base64url'),
    ];
    for (const cursor of bad) await expect(listCases(t.db, { cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('getBoard', () => {
  it('groups open cases of every version by the latest version’s stages, with counts', async () => {
    const v1 = published(definition('board', { prefix: 'BRD', stages: [{ key: 'intake' }, { key: 'legacy' }, { key: 'done', terminal: true }] }), 1);
    const v2 = published(definition('board', { prefix: 'BRD', stages: [{ key: 'intake', name: 'Intake' }, { key: 'review' }, { key: 'done', terminal: true }] }), 2);
    const make = async (n: number, tpl: typeof v1, to?: string, close = false) => {
      const c = new SimCase(`BRD-${n}`, tpl, { title: `Board ${n}` }, minute(n));
      if (to) c.run({ type: 'advance', to }, minute(100 + n));
      if (close) c.run({ type: 'close', reason: 'withdrawn' }, minute(200 + n));
      await project(t.db, c.batch());
    };
    await make(1, v1);
    await make(2, v1, 'legacy');
    await make(3, v2);
    await make(4, v2, 'review');
    await make(5, v2, 'review');
    await make(6, v2, 'review');
    await make(7, v2, undefined, true);

    const board = await getBoard(t.db, v2, admin, { limitPerStage: 2 });
    expect(board.template).toEqual({ key: 'board', version: 2, name: 'Template board' });
    expect(board.stages.map((s) => [s.key, s.name, s.terminal, s.count, s.cases.map((c) => c.id)])).toEqual([
      ['intake', 'Intake', false, 2, ['BRD-3', 'BRD-1']],
      ['review', 'review', false, 3, ['BRD-6', 'BRD-5']],
      ['done', 'done', true, 0, []],
      ['legacy', 'legacy', false, 1, ['BRD-2']],
    ]);

    const countsOnly = await getBoard(t.db, v2, admin, { limitPerStage: 0 });
    expect(countsOnly.stages.map((s) => [s.count, s.cases.length])).toEqual([[2, 0], [3, 0], [0, 0], [1, 0]]);
    const empty = await getBoard(t.db, published(definition('empty-board', { prefix: 'EBD' })), admin);
    expect(empty.stages.map((s) => s.count)).toEqual([0, 0, 0]);
  });
});

describe('getTimeline', () => {
  it('pages oldest first and filters by type', async () => {
    const c = new SimCase('TL-1', published(definition('timeline', { prefix: 'TL' })), { title: 'Timeline', fields: { fullName: 'T' } }, minute(0));
    for (let i = 0; i < 12; i++) c.run({ type: 'comment', text: `comment ${i}` }, minute(i + 1));
    c.run({ type: 'advance', to: 'review' }, minute(20));
    await project(t.db, c.batch());

    const seen: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await getTimeline(t.db, 'TL-1', { limit: 5, ...(after !== undefined ? { after } : {}) });
      seen.push(...page.items.map((e) => e.seq));
      if (page.nextCursor === null) break;
      expect(page.nextCursor).toBe(page.items[page.items.length - 1]?.seq);
      after = page.nextCursor;
    }
    expect(seen).toEqual(c.events.map((e) => e.seq));

    const comments = await getTimeline(t.db, 'TL-1', { types: ['comment.added'], limit: 10 });
    expect(comments.items).toHaveLength(10);
    expect(comments.items.every((e) => e.type === 'comment.added')).toBe(true);
    const rest = await getTimeline(t.db, 'TL-1', { types: ['comment.added'], limit: 10, after: comments.nextCursor! });
    expect(rest.items).toHaveLength(2);
    expect(rest.nextCursor).toBeNull();

    const moves = await getTimeline(t.db, 'TL-1', { types: ['stage.entered', 'stage.exited'] });
    expect(moves.items.map((e) => `${e.type}:${e.stage}`)).toEqual(['stage.entered:intake', 'stage.exited:intake', 'stage.entered:review']);
    expect((await getTimeline(t.db, 'TL-1', { types: [] })).items).toEqual([]);
    expect((await getTimeline(t.db, 'NOPE-1')).items).toEqual([]);
    expect((await getTimeline(t.db, 'TL-1', { limit: 100_000 })).items).toHaveLength(c.events.length);
  });
});
