/**
 * Property-based tests: random templates and random command sequences from random actors,
 * folded with decide + applyDrafts, checked against the invariants of a case.
 */
import fc from 'fast-check';
import type { Actor } from '../../domain/actor';
import { applyDrafts, emptyState, foldEvents, type CaseState } from '../../domain/case-state';
import { toCaseView, type CaseView } from '../../domain/case-view';
import { caseAsOf } from '../../domain/case-history';
import { caseViewSchema } from '../../domain/schemas/case-view';
import { type CaseCommand } from '../../domain/commands';
import { caseCommandSchema } from '../../domain/schemas/commands';
import { decide, decideStart } from '../../domain/decide';
import type { CaseEvent } from '../../domain/events';
import { isEmptyValue } from '../../domain/fields';
import type { RejectionCode } from '../../domain/rejections';
import { fieldTypes, type FieldType, type StageDefinition, type TemplateDefinition, type TemplateDefinitionInput } from '../../domain/template';
import { validateTemplate } from '../../domain/template-validation';
import { actors, deepFreeze, publish, T0 } from './helpers';

const ROLES = ['hr', 'manager', 'it'] as const;
const USERS = ['alice', 'hank', 'mona', 'ivan', 'nora'];
const ACTORS: Actor[] = [actors.admin, actors.hr, actors.manager, actors.it, actors.nobody, actors.system, { id: 'hr-it', name: 'Both', roles: ['hr', 'it'], kind: 'user' }];
const OPTIONS = ['o1', 'o2', 'o3'];

const REJECTION_CODES: RejectionCode[] = [
  'invalid_command',
  'invalid_fields',
  'unknown_stage',
  'reason_required',
  'no_change',
  'forbidden',
  'transition_not_allowed',
  'case_not_open',
  'case_open',
  'already_in_stage',
  'task_not_found',
  'task_already_completed',
  'task_not_completed',
  'participant_not_found',
  'participant_exists',
];

const VALID_VALUE: Record<FieldType, unknown> = {
  text: 'hello',
  longtext: 'a long text',
  number: 1,
  date: '2026-01-01',
  boolean: true,
  select: 'o1',
  multiselect: ['o1'],
  email: 'someone@example.com',
};

/** Candidate values per type, valid and invalid; `null` is always a candidate too. */
const CANDIDATES: Record<FieldType, unknown[]> = {
  text: ['hello', 'world', '', 'x'.repeat(1001), 5],
  longtext: ['long text', 'other', 7],
  number: [0, 1, -2.5, '3'],
  date: ['2026-01-01', '2024-02-29', '2023-02-29', 'soon'],
  boolean: [true, false, 'yes'],
  select: ['o1', 'o2', 'o4'],
  multiselect: [['o1'], ['o2', 'o3'], [], ['o1', 'o1'], 'o1'],
  email: ['a@b.co', 'c@d.org', 'nope'],
};

// ---------------------------------------------------------------------------------------------
// Templates

const stageSpecArb = fc.record({
  terminal: fc.constantFrom(false, false, false, true),
  name: fc.option(fc.constantFrom('Intake', 'Review', 'Wrap up'), { nil: undefined }),
  tasks: fc.array(fc.option(fc.constantFrom(...ROLES), { nil: undefined }), { maxLength: 2 }),
  exit: fc.option(
    fc.record({
      fields: fc.uniqueArray(fc.nat({ max: 9 }), { maxLength: 2 }),
      document: fc.constantFrom(false, false, false, false, true),
      tasks: fc.constantFrom<'all' | 'some' | 'none'>('all', 'some', 'none'),
    }),
    { nil: undefined },
  ),
  act: fc.option(fc.subarray([...ROLES]), { nil: undefined }),
  comment: fc.option(fc.subarray([...ROLES], { minLength: 1 }), { nil: undefined }),
  targets: fc.option(fc.record({ next: fc.constantFrom(true, true, true, false), others: fc.uniqueArray(fc.nat({ max: 5 }), { maxLength: 2 }) }), { nil: undefined }),
});

const templateArb: fc.Arbitrary<{ input: TemplateDefinitionInput; template: TemplateDefinition }> = fc
  .record({
    fields: fc.array(fc.record({ type: fc.constantFrom(...fieldTypes), required: fc.constantFrom(false, false, true) }), {
      minLength: 1,
      maxLength: 6,
    }),
    stages: fc.array(stageSpecArb, { minLength: 2, maxLength: 5 }),
    withTransitions: fc.boolean(),
  })
  .map(({ fields, stages, withTransitions }) => {
    const n = stages.length;
    const input: TemplateDefinitionInput = {
      key: 'generated',
      name: 'Generated',
      roles: [...ROLES],
      fields: fields.map((f, i) => ({
        key: `f${i}`,
        type: f.type,
        required: f.required,
        ...(f.type === 'select' || f.type === 'multiselect' ? { options: OPTIONS } : {}),
      })),
      documents: [{ key: 'd0' }],
      stages: stages.map((s, i) => {
        const terminal = i === n - 1 || (i > 0 && s.terminal);
        // Task keys are unique across the template (see decide.test.ts for shared keys).
        const tasks = s.tasks.map((role, j) => ({ key: `s${i}t${j}`, title: `Task ${j} of stage ${i}`, ...(role ? { assigneeRole: role } : {}) }));
        const exit =
          s.exit && !terminal
            ? {
                fields: [...new Set(s.exit.fields.map((k) => `f${k % fields.length}`))],
                documents: s.exit.document ? ['d0'] : [],
                tasks: s.exit.tasks === 'all' ? ('all' as const) : s.exit.tasks === 'some' ? tasks.slice(0, 1).map((t) => t.key) : [],
              }
            : undefined;
        return {
          key: `s${i}`,
          ...(s.name ? { name: s.name } : {}),
          terminal,
          tasks,
          ...(exit ? { exit } : {}),
          ...(s.act || s.comment ? { permissions: { ...(s.act ? { act: s.act } : {}), ...(s.comment ? { comment: s.comment } : {}) } } : {}),
        };
      }),
    };
    if (withTransitions) {
      input.transitions = stages.flatMap((s, i) => {
        const wanted = s.targets ? [...(s.targets.next ? [i + 1] : []), ...s.targets.others] : [];
        const to = [...new Set(wanted.map((t) => t % n))].filter((t) => t !== i).map((t) => `s${t}`);
        return s.targets && to.length ? [{ from: `s${i}`, to }] : [];
      });
    }
    const result = validateTemplate(input);
    if (!result.ok) throw new Error(`generated an invalid template: ${JSON.stringify(result.problems)} for ${JSON.stringify(input)}`);
    return { input, template: result.template };
  });

// ---------------------------------------------------------------------------------------------
// Commands: abstract choices, resolved against the live state so that most refer to real things.

const reasonArb = fc.option(fc.constantFrom('because', 'client asked', 'rework'), { nil: undefined });

const stepArb = fc.record({
  actor: fc.nat({ max: ACTORS.length - 1 }),
  cmd: fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('advance' as const), stage: fc.nat(), step: fc.constantFrom(1, 1, 1, 2, -1, 0), unknown: fc.constantFrom(false, false, false, false, false, false, false, false, false, true), reason: reasonArb }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('setFields' as const), entries: fc.array(fc.record({ field: fc.nat(), value: fc.nat(), unknown: fc.constantFrom(false, false, false, false, false, false, false, false, true) }), { minLength: 1, maxLength: 3 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('progress' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('comment' as const), text: fc.constantFrom('hello', '@mona look', 'mail me at a@b.co @ivan', '@@x @') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('recordDecision' as const), withOptions: fc.boolean(), inOptions: fc.constantFrom(true, true, false) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('createTask' as const), assignee: fc.option(fc.nat(), { nil: undefined }), due: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reassignTask' as const), task: fc.nat(), assignee: fc.nat() }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('completeTask' as const), task: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopenTask' as const), task: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('addParticipant' as const), internal: fc.boolean(), who: fc.nat({ max: 3 }), role: fc.constantFrom('hr', 'manager', 'candidate') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeParticipant' as const), which: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('assignOwner' as const), owner: fc.option(fc.nat(), { nil: null }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), reason: reasonArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const) }) },
  ),
});

type StepValue = typeof stepArb extends fc.Arbitrary<infer V> ? V : never;

/** Picks an existing id by index, or (one time in n+1) an id that does not exist. */
function pick(ids: string[], n: number, missing: string): string {
  const i = n % (ids.length + 1);
  return ids[i] ?? missing;
}

function resolve(step: StepValue['cmd'], state: CaseState, template: TemplateDefinition): CaseCommand {
  const taskIds = Object.keys(state.tasks);
  switch (step.kind) {
    case 'advance': {
      // Mostly the next stage (step 1); sometimes a skip, a move back, or any stage at all (step 0).
      const current = template.stages.findIndex((s) => s.key === state.stage);
      const wanted = step.step === 0 ? step.stage : current + step.step;
      const to = step.unknown ? 'nowhere' : template.stages[((wanted % template.stages.length) + template.stages.length) % template.stages.length]!.key;
      return { type: 'advance', to, ...(step.reason ? { reason: step.reason } : {}) };
    }
    case 'setFields': {
      const values: Record<string, unknown> = {};
      for (const e of step.entries) {
        if (e.unknown) {
          values.ghost = 'boo';
          continue;
        }
        const field = template.fields[e.field % template.fields.length]!;
        const candidates = [...CANDIDATES[field.type], null];
        values[field.key] = candidates[e.value % candidates.length];
      }
      return { type: 'setFields', values };
    }
    case 'progress': {
      // Works towards the exit criteria of the current stage: a missing field, else a missing task.
      const stage = template.stages.find((s) => s.key === state.stage);
      const exit = stage?.exit;
      const field = exit?.fields.map((k) => template.fields.find((f) => f.key === k)!).find((f) => isEmptyValue(state.fields[f.key]));
      if (field) return { type: 'setFields', values: { [field.key]: VALID_VALUE[field.type] } };
      const open = Object.values(state.tasks).find(
        (t) => t.stage === state.stage && t.status === 'open' && (exit?.tasks === 'all' || (t.key !== undefined && exit?.tasks.includes(t.key))),
      );
      if (open) return { type: 'completeTask', taskId: open.taskId };
      return { type: 'comment', text: 'nothing left to do here' };
    }
    case 'comment':
      return { type: 'comment', text: step.text };
    case 'recordDecision':
      return step.withOptions
        ? { type: 'recordDecision', decision: step.inOptions ? 'approve' : 'maybe', justification: 'why not', options: ['approve', 'deny'] }
        : { type: 'recordDecision', decision: 'approve', justification: 'why not' };
    case 'createTask':
      return {
        type: 'createTask',
        title: 'Ad-hoc task',
        ...(step.assignee !== undefined ? { assignee: USERS[step.assignee % USERS.length] } : {}),
        ...(step.due ? { dueAt: '2026-03-01T12:00:00+01:00' } : {}),
      };
    case 'reassignTask':
      return { type: 'reassignTask', taskId: pick(taskIds, step.task, 'T-999'), assignee: USERS[step.assignee % USERS.length]! };
    case 'completeTask':
      return { type: 'completeTask', taskId: pick(taskIds, step.task, 'T-999') };
    case 'reopenTask':
      return { type: 'reopenTask', taskId: pick(taskIds, step.task, 'T-999'), reason: 'not done' };
    case 'addParticipant':
      return {
        type: 'addParticipant',
        participant: step.internal
          ? { kind: 'internal', role: step.role, name: `User ${step.who}`, userId: USERS[step.who]! }
          : { kind: 'external', role: step.role, name: `Client ${step.who}`, email: `client${step.who}@example.com` },
      };
    case 'removeParticipant':
      return { type: 'removeParticipant', participantId: pick(Object.keys(state.participants), step.which, 'P-999') };
    case 'assignOwner':
      return { type: 'assignOwner', owner: step.owner === null ? null : USERS[step.owner % USERS.length]! };
    case 'close':
      return { type: 'close', ...(step.reason ? { reason: step.reason } : {}) };
    case 'reopen':
      return { type: 'reopen', reason: 'more to do' };
    case 'cancel':
      return { type: 'cancel', reason: 'no longer needed' };
  }
}

// ---------------------------------------------------------------------------------------------
// Oracles, written independently of decide.ts

const privileged = (actor: Actor) => actor.kind === 'system' || actor.roles.includes('admin');
const allows = (roles: string[] | undefined, actor: Actor) => privileged(actor) || !roles || actor.roles.some((r) => roles.includes(r));

function exitMet(state: CaseState, stage: StageDefinition): boolean {
  const exit = stage.exit;
  if (!exit) return true;
  const tasks = Object.values(state.tasks).filter((t) => t.stage === stage.key);
  const fieldsOk = exit.fields.every((f) => Object.hasOwn(state.fields, f) && !isEmptyValue(state.fields[f]));
  const docsOk = exit.documents.every((d) => (state.documents[d]?.versions ?? 0) > 0);
  const tasksOk =
    exit.tasks === 'all'
      ? tasks.every((t) => t.status === 'completed')
      : exit.tasks.every((k) => tasks.some((t) => t.key === k && t.status === 'completed'));
  return fieldsOk && docsOk && tasksOk;
}

function transitionAllowed(template: TemplateDefinition, from: string, to: string): boolean {
  // Transitions restrict only the stages they name.
  const entry = template.transitions?.find((t) => t.from === from);
  return !entry || entry.to.includes(to);
}

function startCase(template: TemplateDefinition): { state: CaseState; events: CaseEvent[] } {
  const fields = Object.fromEntries(template.fields.filter((f) => f.required).map((f) => [f.key, VALID_VALUE[f.type]]));
  const base = emptyState('GEN-1');
  const d = decideStart(template, { title: 'Generated case', templateKey: template.key, templateVersion: 1, fields }, base);
  if (!d.ok) throw new Error(`start rejected: ${JSON.stringify(d.rejection)}`);
  return applyDrafts(base, d.events, actors.admin, new Date(T0).toISOString());
}

interface Stats {
  accepted: number;
  rejected: number;
  advances: number;
}

function run(template: TemplateDefinition, steps: StepValue[], stats?: Stats): void {
  const published = publish(template);
  let { state, events: all } = startCase(template);
  expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
  /** The view right after each accepted command, as of its instant: what an "as of" fold must give back. */
  const viewsAfter: Array<{ at: string; view: CaseView }> = [{ at: all[0]!.at, view: toCaseView(state, published, all[0]!.at) }];

  steps.forEach((step, i) => {
    const actor = ACTORS[step.actor]!;
    const command = resolve(step.cmd, state, template);
    const parsed = caseCommandSchema.safeParse(command);
    if (!parsed.success) throw new Error(`test generated an invalid command ${JSON.stringify(command)}: ${parsed.error.message}`);

    // (4) decide is pure: the state is deep-frozen (any write throws) and compared afterwards.
    deepFreeze(state);
    const snapshot = JSON.stringify(state);
    const decision = decide(state, template, command, actor);
    if (JSON.stringify(state) !== snapshot) throw new Error(`decide changed the state it was given (${command.type})`);

    const stage = template.stages.find((s) => s.key === state.stage)!;
    const ownTask = command.type === 'completeTask' && Object.hasOwn(state.tasks, command.taskId) && state.tasks[command.taskId]!.assignee === actor.id;
    const permitted = command.type === 'comment' ? allows(stage.permissions?.comment, actor) : ownTask || allows(stage.permissions?.act, actor);

    // Whether an advance meets every rule, according to the oracle.
    let advanceOk: boolean | undefined;
    if (command.type === 'advance') {
      const target = template.stages.findIndex((s) => s.key === command.to);
      const from = template.stages.findIndex((s) => s.key === state.stage);
      const direction = target === from + 1 ? 'forward' : target > from ? 'skip' : 'back';
      advanceOk =
        state.status === 'open' &&
        permitted &&
        target >= 0 &&
        target !== from &&
        transitionAllowed(template, state.stage, command.to) &&
        (direction === 'forward' || !!command.reason) &&
        (direction === 'back' || exitMet(state, stage));
    }

    if (!decision.ok) {
      if (stats) stats.rejected++;
      expect(REJECTION_CODES).toContain(decision.rejection.code);
      expect(typeof decision.rejection.detail).toBe('string');
      if (decision.rejection.code === 'transition_not_allowed') expect(decision.rejection.missing).toBeDefined();
      if (decision.rejection.code === 'forbidden') expect(permitted).toBe(false);
      // An advance that meets every rule is never refused.
      if (advanceOk) throw new Error(`advance ${JSON.stringify(command)} by ${actor.id} was refused: ${JSON.stringify(decision.rejection)}`);
      return;
    }
    if (stats) stats.accepted++;

    // (5) accepted commands produce at least one event.
    expect(decision.events.length).toBeGreaterThanOrEqual(1);
    // A closed or cancelled case accepts only comments and reopen; the actor had the right to act.
    if (state.status !== 'open') expect(['comment', 'reopen']).toContain(command.type);
    if (!permitted) throw new Error(`${command.type} by ${actor.id} accepted in stage ${stage.key} whose permissions exclude them`);

    // (2) no accepted advance breaks transitions, exit criteria, or the reason rule.
    if (command.type === 'advance') {
      if (stats) stats.advances++;
      if (!advanceOk) throw new Error(`advance ${JSON.stringify(command)} from ${state.stage} was accepted but breaks a rule`);
      const [exited, entered, ...created] = decision.events;
      expect(exited).toEqual({ type: 'stage.exited', data: { stage: state.stage, to: command.to, direction: expect.any(String) } });
      expect(entered).toMatchObject({ type: 'stage.entered', data: { stage: command.to, from: state.stage } });
      if (entered?.type === 'stage.entered' && entered.data.direction !== 'forward') expect(entered.data.reason).toBeTruthy();
      const target = template.stages.find((s) => s.key === command.to)!;
      const existingKeys = new Set(Object.values(state.tasks).map((t) => t.key));
      expect(created.map((e) => (e.type === 'task.created' ? e.data.key : e.type))).toEqual(
        target.tasks.filter((t) => !existingKeys.has(t.key)).map((t) => t.key),
      );
    }

    const at = new Date(T0 + (i + 1) * 1000).toISOString();
    const { state: next, events } = applyDrafts(state, decision.events, actor, at);
    // (1) seq strictly increasing by one, never reused.
    expect(events.map((e) => e.seq)).toEqual(events.map((_, j) => state.lastSeq + 1 + j));
    expect(events[0]!.seq).toBe(all.length + 1);
    if (JSON.stringify(state) !== snapshot) throw new Error('applyDrafts changed the state it was given');
    all = [...all, ...events];
    state = next;
    expect(state.lastSeq).toBe(all.length);
    if (command.type === 'advance') expect(state.stage).toBe(command.to);

    // (6) toCaseView never throws and its output parses.
    const view = toCaseView(state, published);
    const viewParse = caseViewSchema.safeParse(view);
    if (!viewParse.success) throw new Error(`case view does not parse: ${viewParse.error.message}`);
    expect(view.lastSeq).toBe(state.lastSeq);
    viewsAfter.push({ at, view: toCaseView(state, published, at) });
  });

  // (1) over the whole history, and (3) folding every event rebuilds the live state.
  expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
  expect(foldEvents('GEN-1', all)).toEqual(state);
  // (7) the case as of each command's instant, folded from the whole timeline, is the view the case
  // had right after that command; before its first event it did not exist.
  for (const { at, view } of viewsAfter) expect(caseAsOf('GEN-1', all, published, at)).toEqual(view);
  expect(caseAsOf('GEN-1', all, published, new Date(T0 - 1).toISOString())).toBeUndefined();
}

const NUM_RUNS = Number(process.env.DOMAIN_PROPERTY_RUNS ?? 250);

describe('case invariants under random commands', () => {
  test('generated templates are valid', () => {
    fc.assert(
      fc.property(templateArb, ({ template }) => {
        expect(template.stages.at(-1)?.terminal).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('seq, transitions, exit criteria, purity, fold, events per command, case view', () => {
    const stats: Stats = { accepted: 0, rejected: 0, advances: 0 };
    fc.assert(
      fc.property(templateArb, fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'max' }), ({ template }, steps) => {
        run(template, steps, stats);
      }),
      { numRuns: NUM_RUNS },
    );
    // The generators must exercise both sides; guard against a silently useless generator.
    expect(stats.accepted).toBeGreaterThan(NUM_RUNS);
    expect(stats.rejected).toBeGreaterThan(NUM_RUNS);
    expect(stats.advances).toBeGreaterThan(NUM_RUNS / 4);
  });

  test('the same invariants when an admin sends every command (many more moves are accepted)', () => {
    // Same machinery, but all actors privileged: many more advances are accepted.
    const adminStats: Stats = { accepted: 0, rejected: 0, advances: 0 };
    fc.assert(
      fc.property(
        templateArb,
        fc.array(stepArb.map((s) => ({ ...s, actor: 0 })), { minLength: 5, maxLength: 40, size: 'max' }),
        ({ template }, steps) => {
          run(template, steps, adminStats);
        },
      ),
      { numRuns: Math.ceil(NUM_RUNS / 2) },
    );
  });
});
