import { commandAccessRefusal, commandVerdict } from '../../domain/command-verdict';
import type { CommandRequest } from '../../domain/commands';
import { BYTES } from '../../domain/limits';
import { actors, onboardingInput, parseTemplate, TestCase } from './helpers';

const template = parseTemplate(onboardingInput);
const open = () => new TestCase(template, { fields: { fullName: 'Jane', skills: ['ts'] } });
const calm = { busy: false, bytes: 0 };
const at = '2026-01-05T10:00:00.000Z';
const request = (command: unknown, actor: unknown = actors.hr): CommandRequest => ({ actor, command }) as CommandRequest;

test('an accepted command comes with its events applied: the state after it, stamped with the time given', () => {
  const c = open();
  const verdict = commandVerdict(c.state, template, request({ type: 'comment', text: 'Hello @mona' }), at, calm);
  expect(verdict.ok).toBe(true);
  if (!verdict.ok) return;
  expect(verdict.applied.events).toMatchObject([{ type: 'comment.added', seq: c.state.lastSeq + 1, at, actor: actors.hr }]);
  expect(verdict.applied.state.lastSeq).toBe(c.state.lastSeq + 1);
  expect(verdict.request.actor).toEqual(actors.hr);
});

test('refusals, in order: shape, size, backlog, the rules', () => {
  const c = open();
  expect(commandVerdict(c.state, template, request({ type: 'comment' }), at, calm)).toMatchObject({ ok: false, rejection: { code: 'invalid_command' } });
  expect(commandVerdict(c.state, template, request({ type: 'comment', text: 'x'.repeat(BYTES.command) }), at, calm)).toMatchObject({ ok: false, rejection: { code: 'command_too_large' } });
  expect(commandVerdict(c.state, template, request({ type: 'comment', text: 'hi' }), at, { busy: true, bytes: BYTES.backlogSoft + 1 })).toMatchObject({ ok: false, rejection: { code: 'case_busy' } });
  expect(commandVerdict(c.state, template, request({ type: 'advance', to: 'setup' }), at, calm)).toMatchObject({ ok: false, rejection: { code: 'transition_not_allowed' } });
});

test('who may not see the case is refused as if it did not exist; an auditor as read-only; a malformed actor is left to the verdict', () => {
  const c = open();
  expect(commandAccessRefusal(c.state, template, request({ type: 'comment', text: 'hi' }, actors.nobody))).toMatchObject({ code: 'case_not_found' });
  expect(commandAccessRefusal(c.state, template, request({ type: 'comment', text: 'hi' }, { ...actors.nobody, roles: ['auditor'] }))?.code).toBe('forbidden');
  expect(commandAccessRefusal(c.state, template, request({ type: 'comment', text: 'hi' }, actors.admin))).toBeUndefined();
  expect(commandAccessRefusal(c.state, template, request({ type: 'comment', text: 'hi' }, { id: 42 }))).toBeUndefined();
});
