/**
 * Sensitive values as each reader may see them (domain/redaction.ts): views, command results,
 * timeline events, search text, and what a template's texts render. Properties: nothing a reader
 * may not see survives redaction, everything else is untouched.
 */
import fc from 'fast-check';
import type { Actor } from '../../domain/actor';
import { toCaseView } from '../../domain/case-view';
import { REDACTED, redactEvent, redactEvents, redactResult, redactView, revealedBy, searchText } from '../../domain/redaction';
import { publicCaseViewSchema } from '../../domain/schemas/case-view';
import { AUDITOR_ROLE } from '../../domain/visibility';
import { actors, deepFreeze, parseTemplate, publish, TestCase } from './helpers';

const payroll: Actor = { id: 'pat', name: 'Pat Payroll', roles: ['payroll'], kind: 'user' };
const auditor: Actor = { id: 'aude', name: 'Aude', roles: [AUDITOR_ROLE], kind: 'user' };

const template = parseTemplate({
  key: 'hiring',
  name: 'Hiring',
  roles: ['hr', 'payroll'],
  fields: [
    { key: 'fullName', type: 'text' },
    { key: 'salary', type: 'number', sensitive: true, visibleTo: ['payroll'] },
    { key: 'notes', type: 'longtext', sensitive: true, visibleTo: ['hr', 'payroll'] },
    { key: 'skills', type: 'multiselect', options: ['ts', 'go'], sensitive: true },
  ],
  documents: [{ key: 'passport', sensitive: true, visibleTo: ['hr'] }, { key: 'cv' }],
  stages: [{ key: 'open' }, { key: 'done', terminal: true }],
  automations: [
    { on: 'field.changed', field: 'salary', do: [{ email: { to: 'role:payroll', subject: 'Salary of {{fields.fullName}}: {{fields.salary}}' } }] },
    { on: 'case.created', do: [{ email: { to: 'role:hr', subject: 'New case {{case.title}}' } }] },
  ],
});

function busyCase() {
  const c = new TestCase(template, { fields: { fullName: 'Gina', salary: 70_000, notes: 'Strong', skills: ['ts'] } }, 'HIR-1');
  c.ok({ type: 'setFields', values: { salary: 75_000 } });
  c.uploadDocument('passport');
  c.uploadDocument('cv');
  c.ok({ type: 'reviewDocument', documentId: 'doc-passport-1', decision: 'reject', reason: 'number does not match' });
  return c;
}

describe('the case view', () => {
  const c = busyCase();
  const view = deepFreeze(toCaseView(c.state, publish(template)));

  test('hides what the reader may not see, as {"redacted": true}, and nothing else', () => {
    const hr = redactView(view, template, actors.hr);
    expect(hr.fields).toEqual({ fullName: 'Gina', salary: REDACTED, notes: 'Strong', skills: REDACTED });
    expect(hr.documents.passport?.items[0]).toMatchObject({ fileName: 'passport.pdf', reason: 'number does not match' });
    const pay = redactView(view, template, payroll);
    expect(pay.fields).toEqual({ fullName: 'Gina', salary: 75_000, notes: 'Strong', skills: REDACTED });
    expect(pay.documents.passport?.items[0]).toMatchObject({
      version: 1,
      status: 'rejected',
      documentId: 'doc-passport-1',
      fileName: REDACTED,
      contentType: REDACTED,
      size: REDACTED,
      sha256: REDACTED,
      reason: REDACTED,
      uploadedBy: { id: 'alice' },
    });
    expect(pay.documents.cv?.items[0]?.fileName).toBe('cv.pdf');
    expect(publicCaseViewSchema.safeParse(pay).success).toBe(true);
  });

  test('admins and auditors see everything, untouched', () => {
    expect(redactView(view, template, actors.admin)).toBe(view);
    expect(redactView(view, template, auditor)).toBe(view);
  });

  test('an empty sensitive field stays empty: its value is the secret, not its absence', () => {
    const empty = toCaseView(new TestCase(template, { fields: { fullName: 'X' } }).state, publish(template));
    expect(redactView({ ...empty, fields: { ...empty.fields, salary: null } }, template, actors.nobody).fields.salary).toBeNull();
  });
});

describe('timeline events', () => {
  const c = busyCase();
  const events = deepFreeze(c.events);

  test('a change of a hidden field keeps its field, hides old and new', () => {
    const changed = redactEvents(events, template, actors.hr).filter((e) => e.type === 'field.changed' && e.data.field === 'salary');
    expect(changed.map((e) => e.data)).toEqual([
      { field: 'salary', old: null, new: REDACTED },
      { field: 'salary', old: REDACTED, new: REDACTED },
    ]);
  });

  test('document events of a hidden slot keep slot, version and id, hide the file and the review reason', () => {
    const docs = redactEvents(events, template, payroll).filter((e) => e.type.startsWith('document.') && (e.data as { slot: string }).slot === 'passport');
    expect(docs.map((e) => e.data)).toEqual([
      { slot: 'passport', version: 1, documentId: 'doc-passport-1', fileName: REDACTED, contentType: REDACTED, size: REDACTED, sha256: REDACTED },
      { slot: 'passport', version: 1, documentId: 'doc-passport-1', reason: REDACTED },
    ]);
  });

  test('the subject of an e-mail a rule rendered from a hidden field is hidden; other subjects are not', () => {
    const sent = (rule: string, subject: string) =>
      ({ seq: 99, at: '2026-01-05T09:00:00.000Z', actor: actors.system, stage: 'open', type: 'email.sent', data: { rule, trigger: 3, to: 'pat@example.com', subject, emailId: 'em_1', delivery: 'outbox' } }) as const;
    expect(redactEvent(sent('automations[0]', 'Salary of Gina: 75000'), template, actors.hr).data).toMatchObject({ subject: REDACTED });
    expect(redactEvent(sent('automations[0]', 'Salary of Gina: 75000'), template, payroll).data).toMatchObject({ subject: 'Salary of Gina: 75000' });
    expect(redactEvent(sent('automations[1]', 'New case X'), template, actors.hr).data).toMatchObject({ subject: 'New case X' });
  });

  test('a command result is redacted like the view and the timeline', () => {
    const result = redactResult({ case: toCaseView(c.state, publish(template)), events: events.slice(-2) }, template, actors.hr);
    expect(result.case.fields.salary).toEqual(REDACTED);
  });
});

describe('search text', () => {
  test('key, title and the values of fields that are not sensitive, one per line', () => {
    const view = toCaseView(busyCase().state, publish(template));
    expect(searchText(view, template)).toBe('HIR-1\nJohn Doe onboarding\nGina');
    const open = parseTemplate({ ...template, fields: template.fields.map((f) => ({ ...f, sensitive: false, visibleTo: undefined })) });
    expect(searchText(view, open).split('\n')).toEqual(['HIR-1', 'John Doe onboarding', 'Gina', '75000', 'Strong', 'ts']);
  });
});

describe('what a text renders', () => {
  test('fields by name, the whole fields object, and trigger data of field and document events', () => {
    expect(revealedBy('{{fields.fullName}} {{fields.salary}}', template)).toEqual({ fields: ['salary'], slots: [] });
    expect(revealedBy('{{#fields.skills}}{{.}}{{/fields.skills}}', template)).toEqual({ fields: ['skills'], slots: [] });
    expect(revealedBy('{{fields}}', template).fields.sort()).toEqual(['notes', 'salary', 'skills']);
    expect(revealedBy('{{event.data.new}}', template, { on: 'field.changed', field: 'salary' })).toEqual({ fields: ['salary'], slots: [] });
    expect(revealedBy('{{event.data.new}}', template, { on: 'field.changed', field: 'fullName' })).toEqual({ fields: [], slots: [] });
    expect(revealedBy('{{event.data.field}} changed', template, { on: 'field.changed' })).toEqual({ fields: [], slots: [] });
    expect(revealedBy('{{event.data.fileName}}', template, { on: 'document.uploaded' })).toEqual({ fields: [], slots: ['passport'] });
    expect(revealedBy('{{event.data.new}}', template, 'any').fields.sort()).toEqual(['notes', 'salary', 'skills']);
    expect(revealedBy('{{case.title}} {{stage.name}}', template)).toEqual({ fields: [], slots: [] });
    expect(revealedBy('{{#broken}}', template)).toEqual({ fields: [], slots: [] });
  });
});

describe('properties', () => {
  const SECRET = 'S3CR3T';
  const roles = ['hr', 'payroll', 'it'];
  const fieldArb = fc.record({
    sensitive: fc.boolean(),
    visibleTo: fc.subarray(roles),
    value: fc.constantFrom(`${SECRET}-text`, null),
  });
  const readerArb = fc.record({
    id: fc.constant('reader'),
    name: fc.constant('Reader'),
    roles: fc.subarray([...roles, 'admin', AUDITOR_ROLE]),
    kind: fc.constantFrom('user' as const, 'external' as const),
  });

  test('no value the reader may not see survives; every value they may see is untouched; the input is never changed', () => {
    fc.assert(
      fc.property(fc.array(fieldArb, { minLength: 1, maxLength: 6 }), readerArb, (specs, reader) => {
        const t = parseTemplate({
          key: 'prop',
          name: 'Prop',
          roles,
          fields: specs.map((s, i) => ({ key: `f${i}`, type: 'text', ...(s.sensitive ? { sensitive: true, visibleTo: s.visibleTo } : {}) })),
          stages: [{ key: 'a' }, { key: 'b', terminal: true }],
        });
        const values = Object.fromEntries(specs.flatMap((s, i) => (s.value === null ? [] : [[`f${i}`, `${s.value}-${i}`]])));
        const c = new TestCase(t, { fields: values }, 'PRP-1');
        const view = deepFreeze(toCaseView(c.state, publish(t)));
        const redacted = redactView(view, t, reader);
        const events = redactEvents(deepFreeze(c.events), t, reader);
        const seesAll = reader.kind === 'user' && (reader.roles.includes('admin') || reader.roles.includes(AUDITOR_ROLE));
        specs.forEach((s, i) => {
          const key = `f${i}`;
          const may = !s.sensitive || seesAll || (reader.kind === 'user' && s.visibleTo.some((r) => reader.roles.includes(r)));
          if (!(key in values)) return;
          expect(redacted.fields[key]).toEqual(may ? values[key] : REDACTED);
          const change = events.find((e) => e.type === 'field.changed' && e.data.field === key);
          expect(change?.data).toEqual({ field: key, old: null, new: may ? values[key] : REDACTED });
        });
        const text = searchText(view, t);
        specs.forEach((s, i) => {
          if (s.sensitive && values[`f${i}`]) expect(text).not.toContain(values[`f${i}`]);
        });
        // Redacting twice changes nothing more.
        expect(redactView(redacted as never, t, reader)).toEqual(redacted);
      }),
    );
  });
});
