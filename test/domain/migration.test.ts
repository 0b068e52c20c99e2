/**
 * Moving a case between template versions (domain/migration.ts): the plan's own problems, each
 * blocker, the recorded move (stage, fields, tasks, the re-armed clock), and — as a property —
 * that whatever the values and maps, a case that may move lands with values its new version
 * accepts, and folding its events gives the state the migration produced.
 */
import fc from 'fast-check';
import { foldEvents } from '../../domain/case-state';
import { checkFieldValue } from '../../domain/fields';
import { checkMigration, decideMigration, migrationPlanProblems, stateSubject, type MigrationPlan } from '../../domain/migration';
import type { TemplateDefinition } from '../../domain/template';
import { actors, parseTemplate, T0, TestCase } from './helpers';

const HOUR = 3_600_000;

const v1: TemplateDefinition = parseTemplate({
  key: 'm',
  name: 'M',
  roles: ['hr'],
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'level', type: 'select', options: ['intern', 'junior', 'senior'] },
    { key: 'note', type: 'text' },
    { key: 'age', type: 'text' },
  ],
  documents: [{ key: 'contract' }, { key: 'photo' }],
  stages: [
    { key: 'intake', tasks: [{ key: 'collect', title: 'Collect' }], sla: { deadline: '10d' } },
    { key: 'review', sla: { goal: '1d', deadline: '5d' } },
    { key: 'done', terminal: true },
  ],
});
const v2: TemplateDefinition = parseTemplate({
  key: 'm',
  name: 'M',
  roles: ['hr'],
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'grade', type: 'select', options: ['junior', 'senior', 'lead'] },
    { key: 'age', type: 'number' },
    { key: 'team', type: 'text', required: false },
  ],
  documents: [{ key: 'contract' }],
  stages: [
    { key: 'intake', tasks: [{ key: 'collect', title: 'Collect' }], sla: { deadline: '2d' } },
    { key: 'legal', sla: { goal: '2h', deadline: '8h' } },
    { key: 'done', terminal: true },
  ],
});
const plan: MigrationPlan = { templateKey: 'm', fromVersion: 1, toVersion: 2, stageMap: { review: 'legal' }, fieldMap: { level: 'grade', note: null } };

function reviewCase(fields: Record<string, unknown> = { fullName: 'Ann', level: 'junior', note: 'hi' }): TestCase {
  const c = new TestCase(v1, { templateKey: 'm', fields }, 'M-1');
  expect(c.send({ type: 'completeTask', taskId: 'T-1' }).ok).toBe(true);
  expect(c.send({ type: 'advance', to: 'review' }).ok).toBe(true);
  return c;
}

describe('the plan', () => {
  test('names only stages and fields that exist on their side, and never lands two fields on one', () => {
    expect(migrationPlanProblems(plan, v1, v2)).toEqual([]);
    const bad: MigrationPlan = { ...plan, toVersion: 1, stageMap: { ghost: 'legal', review: 'nowhere' }, fieldMap: { level: 'grade', note: 'grade', x: null } };
    expect(migrationPlanProblems(bad, v1, v2).map((p) => p.path)).toEqual(['toVersion', 'stageMap.ghost', 'stageMap.review', 'fieldMap.note', 'fieldMap.x']);
  });
});

describe('blockers', () => {
  test('a case that fits moves, with its stage and fields mapped', () => {
    const c = reviewCase();
    expect(checkMigration(stateSubject(c.state), v2, plan)).toEqual({
      ok: true,
      stage: { from: 'review', to: 'legal' },
      fieldChanges: [
        { field: 'level', to: 'grade' },
        { field: 'note', to: null },
      ],
    });
  });

  test('each reason a case cannot move is reported, with where it is', () => {
    const c = new TestCase(v1, { templateKey: 'm', fields: { fullName: 'Ann', level: 'intern', age: 'forty' } }, 'M-2');
    c.state = { ...c.state, documents: { photo: { versions: 1, status: 'pending', items: [] } } };
    const noMap = { ...plan, stageMap: {}, fieldMap: {} };
    // In "review" (which v2 renamed), with its open task there too.
    const check = checkMigration(stateSubject({ ...c.state, stage: 'review', tasks: { 'T-1': { ...c.state.tasks['T-1']!, stage: 'review' } } }), v2, noMap);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.blockers.map((b) => [b.code, b.path])).toEqual([
      ['stage_unmapped', 'stage'],
      ['field_invalid', 'fields.age'],
      ['field_unmapped', 'fields.level'],
      ['task_unmapped', 'tasks.T-1'],
      ['document_slot_missing', 'documents.photo'],
    ]);
    const wrong = checkMigration(stateSubject(c.state), v2, { ...plan, fromVersion: 3 });
    expect(!wrong.ok && wrong.blockers.map((b) => b.code)).toEqual(['wrong_version']);
    expect(!checkMigration(stateSubject(c.state), v2, { ...plan, templateKey: 'other' }).ok).toBe(true);
  });

  test('a required field of the new version without a value, and an open checklist task that is gone, block', () => {
    const strict = parseTemplate({ ...v2, fields: [...v2.fields, { key: 'badge', type: 'text', required: true }], stages: [{ key: 'intake' }, ...v2.stages.slice(1)] });
    const c = new TestCase(v1, { templateKey: 'm', fields: { fullName: 'Ann' } }, 'M-3');
    const check = checkMigration(stateSubject(c.state), strict, plan);
    expect(!check.ok && check.blockers.map((b) => [b.code, b.path])).toEqual([
      ['field_required', 'fields.badge'],
      ['task_missing', 'tasks.T-1'],
    ]);
  });
});

describe('the move', () => {
  test('records template.migrated, takes the new version, and re-arms the clock from when the case entered the stage', () => {
    const c = reviewCase();
    c.wait(3 * HOUR);
    const enteredAt = c.state.stageEnteredAt;
    const now = c.peek();
    const decision = decideMigration(c.state, v2, plan, actors.admin, now);
    if (!decision.ok) throw new Error(decision.rejection.detail);
    const { state, events } = decision.applied;
    expect(events.map((e) => e.type)).toEqual(['template.migrated', 'sla.started']);
    expect(state).toMatchObject({ templateVersion: 2, stage: 'legal', stageEnteredAt: enteredAt, fields: { fullName: 'Ann', grade: 'junior' } });
    expect(state.fields).not.toHaveProperty('note');
    expect(state.fields).not.toHaveProperty('level');
    expect(Object.values(state.tasks).map((t) => t.stage)).toEqual(['intake']);
    // v2's legal clock: goal 2 h and deadline 8 h after the case entered the stage — the goal is already missed.
    expect(state.clock).toMatchObject({ stage: 'legal', goalAt: new Date(Date.parse(enteredAt) + 2 * HOUR).toISOString(), deadlineAt: new Date(Date.parse(enteredAt) + 8 * HOUR).toISOString() });
    // The events are the whole truth: folding every event of the case gives the same state.
    expect(foldEvents('M-1', [...c.events, ...events])).toEqual(state);
  });

  test('a paused clock stays paused; a stage without an SLA in the new version has no clock', () => {
    const c = reviewCase();
    expect(c.send({ type: 'pauseClock', reason: 'waiting' }).ok).toBe(true);
    const paused = decideMigration(c.state, v2, plan, actors.admin, c.peek());
    expect(paused.ok && paused.applied.events.map((e) => e.type)).toEqual(['template.migrated', 'sla.started', 'sla.paused']);
    expect(paused.ok && paused.applied.state.clock?.pausedAt).toBeTruthy();
    const noSla = parseTemplate({ ...v2, stages: [v2.stages[0], { key: 'legal' }, v2.stages[2]] });
    const moved = decideMigration(reviewCase().state, noSla, plan, actors.admin, new Date(T0 + HOUR).toISOString());
    expect(moved.ok && moved.applied.state.clock).toBeNull();
  });

  test('only admins and the system migrate; a blocked case is refused with every reason', () => {
    const c = reviewCase();
    const hr = decideMigration(c.state, v2, plan, actors.hr, c.peek());
    expect(!hr.ok && hr.rejection.code).toBe('forbidden');
    expect(decideMigration(c.state, v2, plan, actors.system, c.peek()).ok).toBe(true);
    const blocked = decideMigration(reviewCase({ fullName: 'Ann', level: 'intern' }).state, v2, plan, actors.admin, c.peek());
    expect(!blocked.ok && [blocked.rejection.code, blocked.rejection.errors]).toEqual(['migration_blocked', [{ path: 'fields.level', message: expect.stringContaining('must be one of') }]]);
  });
});

test('property: a case that may move lands with values its new version accepts, and its events fold to its state', () => {
  const levels = ['intern', 'junior', 'senior', null];
  fc.assert(
    fc.property(
      fc.constantFrom(...levels),
      fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      fc.option(fc.constantFrom('41', 'forty', ''), { nil: null }),
      fc.constantFrom<MigrationPlan['fieldMap']>({ level: 'grade', note: null }, { level: 'grade' }, { level: null, note: null }, { note: 'team', level: 'grade' }, {}),
      fc.boolean(),
      (level, note, age, fieldMap, advanced) => {
        const fields = Object.fromEntries(Object.entries({ fullName: 'Ann', level, note, age }).filter(([, v]) => v !== null && v !== ''));
        const c = new TestCase(v1, { templateKey: 'm', fields }, 'M-9');
        if (advanced) {
          c.send({ type: 'completeTask', taskId: 'T-1' });
          c.send({ type: 'advance', to: 'review' });
        }
        const decision = decideMigration(c.state, v2, { ...plan, fieldMap }, actors.admin, c.peek());
        if (!decision.ok) return;
        const { state, events } = decision.applied;
        for (const [key, value] of Object.entries(state.fields)) {
          const field = v2.fields.find((f) => f.key === key);
          expect(field).toBeDefined();
          expect(checkFieldValue(field!, value).ok).toBe(true);
        }
        expect(foldEvents('M-9', [...c.events, ...events])).toEqual(state);
      },
    ),
    { numRuns: 200 },
  );
});
