/**
 * Sensitive fields and documents everywhere they surface through the API: the case view, command
 * answers, the timeline, lists and search, the document list and downloads, reviews, the outbox
 * and the portal — and the publish-time refusal of a rule that would send one to an outsider.
 * Also the write rules of the visibility model that the matrix probes only from outside: starting,
 * reopening in the stage a case was closed in, revoking portal links.
 */
import { createApiToken } from '../../db/tokens';
import { fileForm } from '../support/multipart';
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const REDACTED = { redacted: true };
const SALARY = 123457;
const IBAN = 'DE02SECRET7788';

const template = {
  key: 'sensitive-hiring',
  name: 'Sensitive hiring',
  prefix: 'SEN',
  roles: ['hr', 'payroll', 'manager'],
  permissions: { view: ['hr', 'payroll'], start: ['hr'] },
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'salary', type: 'number', sensitive: true, visibleTo: ['payroll'] },
    { key: 'iban', type: 'text', external: true, sensitive: true, visibleTo: ['payroll'] },
    { key: 'email', type: 'email', external: true },
  ],
  documents: [
    { key: 'passport', external: true, sensitive: true, visibleTo: ['hr'] },
    { key: 'cv', external: true },
  ],
  stages: [
    { key: 'review', permissions: { act: ['hr', 'payroll'] } },
    { key: 'signed', permissions: { act: ['manager'] } },
    { key: 'done', terminal: true },
  ],
  automations: [
    // Allowed: only payroll receives it, and payroll may see the salary.
    { on: 'field.changed', field: 'salary', do: [{ email: { to: 'role:payroll', subject: 'New salary for {{fields.fullName}}: {{fields.salary}}' } }] },
  ],
};

let tokens: { hr: string; payroll: string; auditor: string; admin: string; manager: string };
let caseKey: string;

const get = (path: string, token: string) => stack.http().get(path).set(auth(token));

beforeAll(async () => {
  stack = await startTestStack();
  const token = async (id: string, roles: string[]) => (await createApiToken(stack.db, { actorId: id, actorName: id, roles })).token;
  tokens = { hr: stack.tokens.hr, manager: stack.tokens.manager, admin: stack.tokens.admin, payroll: await token('pat', ['payroll']), auditor: await token('aude', ['auditor']) };
  expect((await stack.http().post('/v1/templates').set(auth(tokens.admin)).send(template)).status).toBe(201);
  const started = await stack
    .http()
    .post('/v1/cases')
    .set(auth(tokens.hr))
    .send({
      template: template.key,
      title: 'Hire Gina Ortiz',
      fields: { fullName: 'Gina Ortiz', salary: SALARY, iban: IBAN },
      participants: [
        { kind: 'internal', role: 'payroll', name: 'Pat Payroll', userId: 'pat', email: 'pat@example.com' },
        { kind: 'external', role: 'candidate', name: 'Gina Ortiz', email: 'gina@example.com' },
      ],
    });
  expect(started.status).toBe(201);
  // The starter's answer is already redacted for them.
  expect(started.body.fields).toEqual({ fullName: 'Gina Ortiz', salary: REDACTED, iban: REDACTED });
  caseKey = started.body.id;
});
afterAll(() => stack?.close());

describe('the case view and command answers', () => {
  test('hr sees the case with the salary and IBAN redacted; payroll, the auditor and admins see them', async () => {
    expect((await get(`/v1/cases/${caseKey}`, tokens.hr)).body.fields).toEqual({ fullName: 'Gina Ortiz', salary: REDACTED, iban: REDACTED });
    for (const token of [tokens.payroll, tokens.auditor, tokens.admin]) {
      expect((await get(`/v1/cases/${caseKey}`, token)).body.fields).toEqual({ fullName: 'Gina Ortiz', salary: SALARY, iban: IBAN });
    }
  });

  test('hr may write the salary without reading it back: the answer, like the view, is redacted', async () => {
    const changed = await stack.http().patch(`/v1/cases/${caseKey}/fields`).set(auth(tokens.hr)).send({ salary: SALARY + 1 });
    expect(changed.status).toBe(200);
    expect(changed.body.case.fields.salary).toEqual(REDACTED);
    expect(changed.body.events.find((e: { type: string }) => e.type === 'field.changed').data).toEqual({ field: 'salary', old: REDACTED, new: REDACTED });
    const back = await stack.http().patch(`/v1/cases/${caseKey}/fields`).set(auth(tokens.payroll)).send({ salary: SALARY });
    expect(back.body.events.find((e: { type: string }) => e.type === 'field.changed').data).toEqual({ field: 'salary', old: SALARY + 1, new: SALARY });
  });
});

describe('the timeline', () => {
  test('changes of a sensitive field and the subject of the e-mail rendered from it are redacted for hr', async () => {
    const timeline = async (token: string) =>
      eventually(async () => {
        const res = await get(`/v1/cases/${caseKey}/timeline?type=field.changed,email.sent&limit=500`, token);
        const items = res.body.items as Array<{ type: string; data: Record<string, unknown> }>;
        return items?.filter((e) => e.type === 'email.sent').length >= 3 ? items : undefined;
      });
    const hr = await timeline(tokens.hr);
    const salaryChanges = hr.filter((e) => e.type === 'field.changed' && e.data.field === 'salary');
    expect(salaryChanges.map((e) => [e.data.old, e.data.new])).toEqual([
      [null, REDACTED],
      [REDACTED, REDACTED],
      [REDACTED, REDACTED],
    ]);
    expect(hr.filter((e) => e.type === 'email.sent').every((e) => JSON.stringify(e.data.subject) === JSON.stringify(REDACTED))).toBe(true);
    expect(JSON.stringify(hr)).not.toContain(String(SALARY));
    expect(JSON.stringify(hr)).not.toContain(IBAN);
    const payroll = await timeline(tokens.payroll);
    expect(payroll.filter((e) => e.type === 'email.sent').map((e) => e.data.subject)).toContain(`New salary for Gina Ortiz: ${SALARY}`);
  });
});

describe('lists and search', () => {
  test('q never matches a sensitive value, whoever asks; other values still match', async () => {
    await eventually(async () => (await get(`/v1/cases?q=gina%20ortiz`, tokens.hr)).body.items?.length === 1);
    for (const token of [tokens.admin, tokens.payroll, tokens.hr]) {
      expect((await get(`/v1/cases?q=${SALARY}`, token)).body.items).toEqual([]);
      expect((await get(`/v1/cases?q=${IBAN}`, token)).body.items).toEqual([]);
    }
    expect((await get(`/v1/cases?q=SECRET`, tokens.admin)).body.items).toEqual([]);
  });
});

describe('documents', () => {
  test('a sensitive slot: metadata redacted for those who may not read it, downloads and reviews refused', async () => {
    const form = fileForm('gina-passport.pdf', 'application/pdf', '%PDF-1.4 passport');
    const uploaded = await stack.http().post(`/v1/cases/${caseKey}/documents/passport`).set(auth(tokens.payroll)).set('Content-Type', form.contentType).send(form.body);
    // Payroll may act here, so may upload — and gets the metadata of what it just sent redacted.
    expect(uploaded.status).toBe(200);
    expect(uploaded.body.events[0].data).toMatchObject({ slot: 'passport', version: 1, fileName: REDACTED, sha256: REDACTED });
    const documentId = uploaded.body.events[0].data.documentId as string;

    const payrollList = (await get(`/v1/cases/${caseKey}/documents`, tokens.payroll)).body.slots.find((s: { key: string }) => s.key === 'passport');
    expect(payrollList).toMatchObject({ sensitive: true, versions: 1, status: 'pending' });
    expect(payrollList.items[0]).toMatchObject({ version: 1, fileName: REDACTED, contentType: REDACTED, size: REDACTED, sha256: REDACTED });
    const hrList = (await get(`/v1/cases/${caseKey}/documents`, tokens.hr)).body.slots.find((s: { key: string }) => s.key === 'passport');
    expect(hrList.items[0]).toMatchObject({ fileName: 'gina-passport.pdf', contentType: 'application/pdf' });

    const refused = await get(`/v1/cases/${caseKey}/documents/passport`, tokens.payroll);
    expect(refused.status).toBe(403);
    expect(refused.headers['document-version']).toBeUndefined();
    expect((await get(`/v1/cases/${caseKey}/documents/passport/versions/1`, tokens.payroll)).status).toBe(403);
    const download = await get(`/v1/cases/${caseKey}/documents/passport`, tokens.hr);
    expect(download.status).toBe(200);
    expect((await get(`/v1/cases/${caseKey}/documents/passport`, tokens.auditor)).status).toBe(200);

    // Reviewing means reading: payroll may act in the stage, not review what it may not see.
    const review = await stack.http().post(`/v1/cases/${caseKey}/documents/${documentId}/review`).set(auth(tokens.payroll)).send({ decision: 'approve' });
    expect(review.status).toBe(403);
    expect(review.body.code).toBe('forbidden');
    expect((await stack.http().post(`/v1/cases/${caseKey}/documents/${documentId}/review`).set(auth(tokens.hr)).send({ decision: 'approve' })).status).toBe(200);

    const timeline = await eventually(async () => {
      const items = (await get(`/v1/cases/${caseKey}/timeline?type=document.uploaded,document.approved`, tokens.payroll)).body.items;
      return items?.length === 2 ? items : undefined;
    });
    expect(timeline[0].data).toMatchObject({ slot: 'passport', fileName: REDACTED });
  });
});

describe('the outbox', () => {
  test('admins see every e-mail; a reader without an address sees none', async () => {
    const all = await eventually(async () => {
      const res = await get(`/v1/outbox?caseKey=${caseKey}`, tokens.admin);
      return res.body.items?.length >= 1 ? res.body.items : undefined;
    });
    expect(all[0]).toMatchObject({ to: ['pat@example.com'], subject: expect.stringContaining('New salary for Gina Ortiz') });
    const hr = await get(`/v1/outbox?caseKey=${caseKey}`, tokens.hr);
    expect(hr.status).toBe(200);
    expect(hr.body.items).toEqual([]);
  });
});

describe('the portal', () => {
  test('a sensitive external field is never shown; left empty it keeps what is on file', async () => {
    const link = await stack.http().post(`/v1/cases/${caseKey}/portal-links`).set(auth(tokens.hr)).send({ participantId: 'P-2' });
    expect(link.status).toBe(201);
    const path = `/portal/${link.body.token}`;
    const page = await stack.http().get(path);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(IBAN);
    expect(page.text).not.toContain(String(SALARY));
    expect(page.text).toContain('We have this on file');
    const saved = await stack.http().post(`${path}/form`).type('form').send({ iban: '', email: 'gina.ortiz@example.com' });
    expect(saved.status).toBe(303);
    expect((await get(`/v1/cases/${caseKey}`, tokens.payroll)).body.fields).toMatchObject({ iban: IBAN, email: 'gina.ortiz@example.com' });
  });
});

describe('publishing', () => {
  test('a rule that would e-mail a sensitive value to someone who may not see it is refused, with its path', async () => {
    const leaky = {
      ...template,
      key: 'sensitive-leak',
      prefix: 'SLK',
      automations: [{ on: 'case.created', do: [{ email: { to: 'owner', subject: 'Offer', body: 'Your salary: {{fields.salary}}' } }] }],
    };
    const res = await stack.http().post('/v1/templates').set(auth(tokens.admin)).send(leaky);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'automations[0].do[0].email.body', message: expect.stringContaining('sensitive field "salary"') }]);
  });
});

describe('writes of the visibility model', () => {
  test('starting needs permissions.start; a starter who may not see the case gets only its id', async () => {
    const refused = await stack.http().post('/v1/cases').set(auth(tokens.payroll)).send({ template: template.key, title: 'No', fields: { fullName: 'X' } });
    expect(refused.status).toBe(403);
    expect((await stack.http().post('/v1/cases').set(auth(tokens.auditor)).send({ template: template.key, title: 'No', fields: { fullName: 'X' } })).status).toBe(403);
    // A template whose starters do not see its cases (no view roles): the starter gets a receipt.
    const blind = { ...template, key: 'sensitive-blind', prefix: 'SBL', permissions: { start: ['hr'] } };
    expect((await stack.http().post('/v1/templates').set(auth(tokens.admin)).send(blind)).status).toBe(201);
    const started = await stack.http().post('/v1/cases').set(auth(tokens.hr)).send({ template: 'sensitive-blind', title: 'Blind', fields: { fullName: 'B', salary: 1 } });
    expect(started.status).toBe(201);
    expect(started.body).toEqual({ id: expect.stringMatching(/^SBL-\d+$/), template: { key: 'sensitive-blind', version: 1, name: 'Sensitive hiring' }, title: 'Blind', visible: false });
    expect(started.headers.location).toBe(`/v1/cases/${started.body.id}`);
    expect((await get(`/v1/cases/${started.body.id}`, tokens.hr)).status).toBe(404);
  });

  test('reopening needs act in the stage the case was closed in', async () => {
    const started = await stack.http().post('/v1/cases').set(auth(tokens.hr)).send({ template: template.key, title: 'Closer', fields: { fullName: 'C' }, participants: [{ kind: 'internal', role: 'manager', name: 'Max', userId: 'max' }] });
    const id = started.body.id as string;
    expect((await stack.http().post(`/v1/cases/${id}/advance`).set(auth(tokens.hr)).send({ to: 'signed' })).status).toBe(200);
    expect((await stack.http().post(`/v1/cases/${id}/close`).set(auth(tokens.manager)).send({ reason: 'withdrawn' })).status).toBe(200);
    // Closed in "signed", where only the manager acts: hr (who acts in review) may not reopen it.
    const hr = await stack.http().post(`/v1/cases/${id}/reopen`).set(auth(tokens.hr)).send({ reason: 'back' });
    expect(hr.status).toBe(403);
    expect(hr.body.detail).toContain('"signed"');
    expect((await stack.http().post(`/v1/cases/${id}/reopen`).set(auth(tokens.manager)).send({ reason: 'back' })).status).toBe(200);
  });

  test('revoking a portal link needs the right to hand one out', async () => {
    const link = await stack.http().post(`/v1/cases/${caseKey}/portal-links`).set(auth(tokens.hr)).send({ participantId: 'P-2' });
    const revoke = (token: string) => stack.http().delete(`/v1/cases/${caseKey}/portal-links/${link.body.id}`).set(auth(token));
    // The auditor reads the links and may not revoke them; the manager may not even see the case.
    expect((await get(`/v1/cases/${caseKey}/portal-links`, tokens.auditor)).status).toBe(200);
    expect((await revoke(tokens.auditor)).status).toBe(403);
    expect((await revoke(tokens.manager)).status).toBe(404);
    expect((await stack.http().get(`/portal/${link.body.token}`)).status).toBe(200);
    const revoked = await revoke(tokens.hr);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await stack.http().get(`/portal/${link.body.token}`)).status).toBe(404);
  });
});
