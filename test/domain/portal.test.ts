import type { Actor } from '../../domain/actor';
import { applyDrafts, emptyState, type CaseState } from '../../domain/case-state';
import { decide, decideStart } from '../../domain/decide';
import type { CaseEvent } from '../../domain/events';
import {
  documentRequests,
  parsePortalForm,
  portalFormFields,
  portalProgress,
  publicStageName,
  publicTimeline,
  PUBLIC_EVENT_TYPES,
} from '../../domain/portal';
import { type TemplateDefinition } from '../../domain/template';
import { templateDefinitionSchema } from '../../domain/schemas/template';

const template: TemplateDefinition = templateDefinitionSchema.parse({
  key: 'onboarding',
  name: 'Onboarding',
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'email', label: 'Personal e-mail', type: 'email', external: true },
    { key: 'phone', type: 'text', external: true, description: 'With country code' },
    { key: 'bio', type: 'longtext', external: true },
    { key: 'shoeSize', type: 'number', external: true },
    { key: 'startDate', type: 'date', external: true },
    { key: 'remote', type: 'boolean', external: true },
    { key: 'contractType', type: 'select', options: ['employee', 'contractor'], external: true },
    { key: 'equipment', type: 'multiselect', options: ['laptop', 'phone', 'badge'], external: true },
    { key: 'salary', label: 'Salary', type: 'number' },
  ],
  documents: [
    { key: 'idCard', label: 'ID card', external: true, required: true, contentTypes: ['application/pdf'] },
    { key: 'diploma', external: true },
    { key: 'contract', label: 'Contract' },
  ],
  stages: [
    { key: 'docs', name: 'Documentation', publicName: 'Sending your documents' },
    { key: 'review', name: 'Manager review' },
    { key: 'it' },
    { key: 'done', name: 'Completed', terminal: true },
  ],
});

const hr: Actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' };
const jane: Actor = { id: 'P-1', name: 'Jane', roles: [], kind: 'external' };
const system: Actor = { id: 'system', name: 'System', roles: [], kind: 'system' };

/** A case driven through decide/evolve, keeping every event. */
function caseWith(): { state: CaseState; events: CaseEvent[]; run: (actor: Actor, command: Parameters<typeof decide>[2]) => CaseEvent[] } {
  const started = decideStart(
    template,
    { title: 'Onboard Jane', templateKey: 'onboarding', templateVersion: 1, fields: { fullName: 'Jane Doe' }, participants: [{ kind: 'external', role: 'candidate', name: 'Jane', email: 'jane@example.com' }] },
    emptyState('ONB-1'),
  );
  if (!started.ok) throw new Error(started.rejection.detail);
  const first = applyDrafts(emptyState('ONB-1'), started.events, hr, '2027-01-01T09:00:00.000Z');
  const c = { state: first.state, events: [...first.events], run: (actor: Actor, command: Parameters<typeof decide>[2]) => {
    const d = decide(c.state, template, command, actor);
    if (!d.ok) throw new Error(`${d.rejection.code}: ${d.rejection.detail}`);
    const applied = applyDrafts(c.state, d.events, actor, '2027-01-02T10:00:00.000Z');
    c.state = applied.state;
    c.events.push(...applied.events);
    return applied.events;
  } };
  return c;
}

const upload = (slot: string, documentId: string) => ({ type: 'uploadDocument' as const, slot, documentId, fileName: `${slot}.pdf`, contentType: 'application/pdf', size: 3, sha256: 'a'.repeat(64) });

describe('progress', () => {
  test('every stage in order with its public name and where the case stands', () => {
    expect(portalProgress(template, 'review')).toEqual([
      { key: 'docs', name: 'Sending your documents', terminal: false, position: 'past' },
      { key: 'review', name: 'Manager review', terminal: false, position: 'current' },
      { key: 'it', name: 'it', terminal: false, position: 'upcoming' },
      { key: 'done', name: 'Completed', terminal: true, position: 'upcoming' },
    ]);
    expect(portalProgress(template, 'unknown').every((s) => s.position === 'upcoming')).toBe(true);
    expect(publicStageName(template.stages[0]!)).toBe('Sending your documents');
  });
});

describe('what is asked of the participant', () => {
  test('external slots with nothing yet or a rejected latest version are asked for, with the reason', () => {
    const c = caseWith();
    expect(documentRequests(template, c.state.documents).map((r) => [r.slot, r.status, r.asked])).toEqual([
      ['idCard', 'missing', true],
      ['diploma', 'missing', true],
    ]);
    c.run(jane, upload('idCard', 'd1'));
    c.run(jane, upload('diploma', 'd2'));
    c.run(hr, { type: 'reviewDocument', documentId: 'd1', decision: 'reject', reason: 'The photo page is cut off' });
    c.run(hr, { type: 'reviewDocument', documentId: 'd2', decision: 'approve' });
    const requests = documentRequests(template, c.state.documents);
    expect(requests).toEqual([
      { slot: 'idCard', label: 'ID card', required: true, contentTypes: ['application/pdf'], status: 'rejected', versions: 1, asked: true, reason: 'The photo page is cut off' },
      { slot: 'diploma', label: 'diploma', required: false, contentTypes: null, status: 'approved', versions: 1, asked: false },
    ]);
    c.run(jane, upload('idCard', 'd3'));
    expect(documentRequests(template, c.state.documents)[0]).toMatchObject({ status: 'pending', versions: 2, asked: false });
    expect(documentRequests(template, c.state.documents)[0]).not.toHaveProperty('reason');
  });

  test('slot keys that are Object.prototype members find nothing', () => {
    const t = templateDefinitionSchema.parse({ ...template, documents: [{ key: 'constructor', external: true }] });
    expect(documentRequests(t, {})[0]).toMatchObject({ status: 'missing', asked: true });
  });
});

describe('the external form', () => {
  test('only fields marked external, as inputs by type, with current values', () => {
    const fields = portalFormFields(template, { email: 'j@example.com', remote: false, equipment: ['phone'], shoeSize: 38, salary: 90000 });
    expect(fields.map((f) => [f.key, f.input])).toEqual([
      ['email', 'email'],
      ['phone', 'text'],
      ['bio', 'textarea'],
      ['shoeSize', 'number'],
      ['startDate', 'date'],
      ['remote', 'yesno'],
      ['contractType', 'select'],
      ['equipment', 'checkboxes'],
    ]);
    const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(byKey.email).toMatchObject({ label: 'Personal e-mail', value: 'j@example.com' });
    expect(byKey.phone).toMatchObject({ label: 'phone', value: '', description: 'With country code' });
    expect(byKey.shoeSize?.value).toBe('38');
    expect(byKey.remote).toMatchObject({ yes: false, no: true });
    expect(byKey.equipment?.options).toEqual([
      { value: 'laptop', selected: false },
      { value: 'phone', selected: true },
      { value: 'badge', selected: false },
    ]);
  });

  test('a submission becomes typed values, only what changed; empty clears', () => {
    const current = { email: 'old@example.com', shoeSize: 38, equipment: ['phone'], phone: '+44 1' };
    const parsed = parsePortalForm(
      template,
      { email: ' new@example.com ', shoeSize: '38', remote: 'true', contractType: 'contractor', equipment: ['', 'laptop', 'badge'], phone: '', bio: 'Line one\r\nLine two  ', startDate: '2027-02-01' },
      current,
    );
    expect(parsed).toEqual({
      ok: true,
      values: { email: 'new@example.com', remote: true, contractType: 'contractor', equipment: ['laptop', 'badge'], phone: null, bio: 'Line one\nLine two', startDate: '2027-02-01' },
    });
    expect(parsePortalForm(template, { email: 'old@example.com', equipment: ['', 'phone'] }, current)).toEqual({ ok: true, values: {} });
    // only the hidden marker: every box unticked clears the selection
    expect(parsePortalForm(template, { equipment: '' }, current)).toEqual({ ok: true, values: { equipment: [] } });
  });

  test('a sensitive external field is written, never shown back: it starts empty, and empty keeps what is on file', () => {
    const t = templateDefinitionSchema.parse({
      ...template,
      roles: ['hr'],
      fields: [...template.fields, { key: 'iban', type: 'text', external: true, sensitive: true, visibleTo: ['hr'] }, { key: 'tax', type: 'multiselect', options: ['a', 'b'], external: true, sensitive: true }],
    });
    const current = { iban: 'DE89 3704 0044 0532 0130 00', tax: ['a'] };
    const byKey = Object.fromEntries(portalFormFields(t, current).map((f) => [f.key, f]));
    expect(byKey.iban).toMatchObject({ value: '', sensitive: true, provided: true });
    expect(byKey.tax?.options.every((o) => !o.selected)).toBe(true);
    expect(byKey.email).toMatchObject({ sensitive: false, provided: false });
    expect(portalFormFields(t, {}).find((f) => f.key === 'iban')).toMatchObject({ sensitive: true, provided: false });
    expect(parsePortalForm(t, { iban: '  ', tax: '' }, current)).toEqual({ ok: true, values: {} });
    expect(parsePortalForm(t, { iban: 'GB33 BUKB 2020 1555 5555 55', tax: ['', 'b'] }, current)).toEqual({ ok: true, values: { iban: 'GB33 BUKB 2020 1555 5555 55', tax: ['b'] } });
  });

  test('internal and unknown fields are refused, bad values are reported by field', () => {
    const parsed = parsePortalForm(template, { salary: '1000000', fullName: 'Mallory', nope: 'x', shoeSize: 'big', remote: 'maybe', startDate: '01/02/2027', contractType: 'boss', email: 'not-an-email', phone: ['a', 'b'] }, {});
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const byField = Object.fromEntries(parsed.errors.map((e) => [e.field, e.message]));
    expect(byField).toEqual({
      salary: 'is not open to you',
      fullName: 'is not open to you',
      nope: 'is not a field of this form',
      shoeSize: 'must be a number',
      remote: 'must be yes or no',
      phone: 'must be given once',
      startDate: expect.stringContaining('YYYY-MM-DD'),
      contractType: expect.stringContaining('employee, contractor'),
      email: expect.stringContaining('e-mail'),
    });
  });

  test('what the form produces is accepted from the external participant; internal fields are not', () => {
    const c = caseWith();
    const parsed = parsePortalForm(template, { email: 'jane@example.com', remote: 'false' }, c.state.fields);
    if (!parsed.ok) throw new Error('parse failed');
    const events = c.run(jane, { type: 'setFields', values: parsed.values });
    expect(events.map((e) => [e.type, e.actor.kind])).toEqual([
      ['field.changed', 'external'],
      ['field.changed', 'external'],
    ]);
    const refused = decide(c.state, template, { type: 'setFields', values: { salary: 1 } }, jane);
    expect(refused.ok).toBe(false);
  });
});

describe('the public timeline', () => {
  test('shows openings, moves by public name, external documents and fields; hides the rest', () => {
    const c = caseWith();
    c.run(hr, { type: 'comment', text: 'Internal remark about @max' });
    c.run(hr, { type: 'recordDecision', decision: 'hire', justification: 'internal' });
    c.run(hr, { type: 'setFields', values: { salary: 50000 } });
    c.run(jane, upload('idCard', 'd1'));
    c.run(hr, upload('contract', 'd2'));
    c.run(hr, { type: 'reviewDocument', documentId: 'd1', decision: 'reject', reason: 'Blurry' });
    c.run(hr, { type: 'reviewDocument', documentId: 'd2', decision: 'approve' });
    c.run(jane, { type: 'setFields', values: { email: 'jane@example.com' } });
    c.run(hr, { type: 'createTask', title: 'Secret task' });
    c.run(hr, { type: 'advance', to: 'review', reason: 'skip for now' });
    c.run(hr, { type: 'close', reason: 'internal reason' });
    const entries = publicTimeline(template, c.events, 'P-1');
    expect(entries.map((e) => [e.text, e.detail ?? null, e.by])).toEqual([
      ['Case opened', null, 'team'],
      ['ID card received', 'version 1', 'you'],
      ['ID card: a new version is needed', 'Blurry', 'team'],
      ['Personal e-mail updated', null, 'you'],
      ['Now at: Manager review', null, 'team'],
      ['Case closed', null, 'team'],
    ]);
    const text = JSON.stringify(entries);
    for (const secret of ['Internal remark', 'hire', '50000', 'Secret task', 'skip for now', 'internal reason', 'Contract', 'Hana']) expect(text).not.toContain(secret);
    // every public entry is of a type the loader asks for
    const types = new Set<string>(PUBLIC_EVENT_TYPES);
    for (const e of entries) expect(types.has(c.events.find((x) => x.seq === e.seq)!.type)).toBe(true);
  });

  test('another external participant and automations are not "you" (nor the team)', () => {
    const events = [
      { seq: 1, at: 't', type: 'document.uploaded', actor: { id: 'P-2', kind: 'external' }, data: { slot: 'idCard', version: 1 } },
      { seq: 2, at: 't', type: 'document.approved', actor: { id: system.id, kind: 'system' }, data: { slot: 'idCard', version: 1 } },
      { seq: 3, at: 't', type: 'document.uploaded', actor: { id: 'P-1', kind: 'user' }, data: { slot: 'idCard', version: 2 } },
    ];
    expect(publicTimeline(template, events, 'P-1').map((e) => e.by)).toEqual(['other', 'automatic', 'team']);
  });
});
