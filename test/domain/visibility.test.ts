/**
 * Who may see what (domain/visibility.ts): the rules, and properties that tie the workflow's rule
 * (maySeeCase) to the read model's (`cases.access` overlapping the reader's terms).
 */
import fc from 'fast-check';
import type { Actor } from '../../domain/actor';
import {
  AUDITOR_ROLE,
  actorAccessTerms,
  caseAccessList,
  commandRefusal,
  hiddenFrom,
  isReadOnly,
  maySeeCase,
  maySeeSensitive,
  mayStartCase,
  reviewRefusal,
  seesEverything,
  type CaseAudience,
  type ParticipantLike,
  type TemplateAccess,
} from '../../domain/visibility';
import { actors, parseTemplate } from './helpers';

const auditor: Actor = { id: 'aude', name: 'Aude Auditor', roles: [AUDITOR_ROLE], kind: 'user' };
const template: TemplateAccess = { roles: ['hr', 'manager', 'it'], permissions: { view: ['manager'] } };
const audience: CaseAudience = {
  owner: 'hank',
  participants: [
    { participantId: 'P-1', kind: 'internal', userId: 'ivan' },
    { participantId: 'P-2', kind: 'external' },
  ],
};
const user = (id: string, roles: string[] = []): Actor => ({ id, name: id, roles, kind: 'user' });

describe('who may see a case', () => {
  test.each([
    ['an admin', actors.admin, true],
    ['an auditor', auditor, true],
    ['the system', actors.system, true],
    ['the owner', actors.hr, true],
    ['an internal participant, by user id', actors.it, true],
    ['a view role of the template', actors.manager, true],
    ['a role of the template without view', user('someone', ['hr']), false],
    ['an unrelated role', user('olga', ['sales']), false],
    ['no role', actors.nobody, false],
    ['the external participant of its portal link', { id: 'P-2', name: 'Jane', roles: [], kind: 'external' } as Actor, true],
    ['another external participant', { id: 'P-1', name: 'Ivan', roles: [], kind: 'external' } as Actor, false],
    ['an external actor who claims the owner id', { id: 'hank', name: 'Hank', roles: ['admin'], kind: 'external' } as Actor, false],
  ])('%s: %s', (_what, actor, visible) => {
    expect(maySeeCase(actor, audience, template)).toBe(visible);
  });

  test('a template without permissions has no view roles (pinned before they existed)', () => {
    expect(maySeeCase(actors.manager, audience, { roles: ['manager'] })).toBe(false);
    expect(maySeeCase(actors.hr, audience, { roles: ['manager'] })).toBe(true);
  });

  test('an unowned case is nobody’s by ownership, even an actor with an empty id', () => {
    expect(maySeeCase(user(''), { owner: null, participants: [] }, template)).toBe(false);
  });
});

describe('writes: visibility first, then read-only', () => {
  test('an invisible case is refused exactly like a missing one', () => {
    expect(commandRefusal(actors.nobody, 'ONB-7', audience, template)).toEqual({ code: 'case_not_found', detail: 'No case ONB-7' });
  });

  test('an auditor sees every case and may change none; an admin who is also an auditor may', () => {
    expect(commandRefusal(auditor, 'ONB-7', audience, template)).toMatchObject({ code: 'forbidden' });
    expect(isReadOnly({ ...auditor, roles: [AUDITOR_ROLE, 'hr'] })).toBe(true);
    expect(isReadOnly({ ...auditor, roles: [AUDITOR_ROLE, 'admin'] })).toBe(false);
    expect(commandRefusal(actors.hr, 'ONB-7', audience, template)).toBeUndefined();
    expect(commandRefusal(actors.system, 'ONB-7', audience, template)).toBeUndefined();
  });

  test('starting: permissions.start, by default every declared role; admins always, auditors never', () => {
    expect(mayStartCase(actors.hr, template)).toBe(true);
    expect(mayStartCase(user('olga', ['sales']), template)).toBe(false);
    expect(mayStartCase(actors.nobody, template)).toBe(false);
    expect(mayStartCase(actors.admin, template)).toBe(true);
    expect(mayStartCase({ ...auditor, roles: [AUDITOR_ROLE, 'hr'] }, template)).toBe(false);
    const restricted = { ...template, permissions: { start: ['manager'] } };
    expect(mayStartCase(actors.hr, restricted)).toBe(false);
    expect(mayStartCase(actors.manager, restricted)).toBe(true);
    expect(mayStartCase(actors.hr, { roles: [] })).toBe(false);
  });
});

describe('sensitive fields and slots', () => {
  const sensitive = { sensitive: true, visibleTo: ['payroll'] };
  test.each([
    ['an admin', actors.admin, true],
    ['an auditor', auditor, true],
    ['a visibleTo role', user('pat', ['payroll']), true],
    ['another role', actors.hr, false],
    ['an external participant', { id: 'P-2', name: 'Jane', roles: ['payroll'], kind: 'external' } as Actor, false],
  ])('%s: %s', (_what, actor, visible) => {
    expect(maySeeSensitive(actor, sensitive)).toBe(visible);
    expect(maySeeSensitive(actor, { visibleTo: ['nobody'] })).toBe(true);
  });

  test('hiddenFrom lists what an actor may not see; a review of a hidden slot is refused', () => {
    const t = parseTemplate({
      key: 'pay',
      name: 'Pay',
      roles: ['hr', 'payroll'],
      fields: [{ key: 'salary', type: 'number', sensitive: true, visibleTo: ['payroll'] }, { key: 'name', type: 'text' }],
      documents: [{ key: 'passport', sensitive: true, visibleTo: ['hr'] }, { key: 'contract' }],
      stages: [{ key: 'a' }, { key: 'b', terminal: true }],
    });
    const hidden = hiddenFrom(t, actors.hr);
    expect([...hidden.fields]).toEqual(['salary']);
    expect([...hidden.slots]).toEqual([]);
    expect([...hiddenFrom(t, user('pat', ['payroll'])).slots]).toEqual(['passport']);
    expect(reviewRefusal(user('pat', ['payroll']), t, 'passport')).toMatchObject({ code: 'forbidden' });
    expect(reviewRefusal(actors.hr, t, 'passport')).toBeUndefined();
    expect(reviewRefusal(user('pat', ['payroll']), t, 'contract')).toBeUndefined();
  });
});

describe('properties', () => {
  const USERS = ['u1', 'u2', 'u3', 'u4'];
  const ROLES = ['hr', 'manager', 'it', 'sales', 'admin', AUDITOR_ROLE];
  const actorArb = fc.record({
    id: fc.constantFrom(...USERS),
    name: fc.constant('Someone'),
    roles: fc.subarray(ROLES),
    kind: fc.constant('user' as const),
  });
  const participantArb = fc.record({
    participantId: fc.constantFrom('P-1', 'P-2', 'P-3'),
    kind: fc.constantFrom('internal' as const, 'external' as const),
    userId: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  });
  const audienceArb = fc.record({
    owner: fc.option(fc.constantFrom(...USERS), { nil: null }),
    participants: fc.array(participantArb, { maxLength: 4 }).map((ps) => ps.map((p) => (p.userId === undefined ? { participantId: p.participantId, kind: p.kind } : p)) as ParticipantLike[]),
  });
  const templateArb = fc.record({
    roles: fc.constant(['hr', 'manager', 'it']),
    permissions: fc.option(fc.record({ view: fc.option(fc.subarray(['hr', 'manager', 'it']), { nil: undefined }) }, { requiredKeys: [] }), { nil: undefined }),
  }) as fc.Arbitrary<TemplateAccess>;

  test('the read model’s access list and the workflow agree on who sees a case', () => {
    fc.assert(
      fc.property(actorArb, audienceArb, templateArb, (actor, aud, tpl) => {
        const terms = new Set(actorAccessTerms(actor));
        const listed = seesEverything(actor) || caseAccessList(aud, tpl).some((entry) => terms.has(entry));
        expect(listed).toBe(maySeeCase(actor, aud, tpl));
      }),
    );
  });

  test('a case is visible exactly to admins, auditors, its owner, its internal participants and the view roles', () => {
    fc.assert(
      fc.property(actorArb, audienceArb, templateArb, (actor, aud, tpl) => {
        const expected =
          actor.roles.includes('admin') ||
          actor.roles.includes(AUDITOR_ROLE) ||
          aud.owner === actor.id ||
          aud.participants.some((p) => p.kind === 'internal' && p.userId === actor.id) ||
          actor.roles.some((r) => tpl.permissions?.view?.includes(r));
        expect(maySeeCase(actor, aud, tpl)).toBe(expected);
      }),
    );
  });

  test('a command is refused as missing when invisible, as forbidden when read-only, else let through to decide', () => {
    fc.assert(
      fc.property(actorArb, audienceArb, templateArb, (actor, aud, tpl) => {
        const refusal = commandRefusal(actor, 'X-1', aud, tpl);
        if (!maySeeCase(actor, aud, tpl)) expect(refusal).toEqual({ code: 'case_not_found', detail: 'No case X-1' });
        else if (actor.roles.includes(AUDITOR_ROLE) && !actor.roles.includes('admin')) expect(refusal?.code).toBe('forbidden');
        else expect(refusal).toBeUndefined();
      }),
    );
  });

  test('the access list is sorted, without duplicates, and names only users and roles', () => {
    fc.assert(
      fc.property(audienceArb, templateArb, (aud, tpl) => {
        const list = caseAccessList(aud, tpl);
        expect(list).toEqual([...new Set(list)].sort());
        expect(list.every((e) => /^(user|role):/.test(e))).toBe(true);
      }),
    );
  });
});
