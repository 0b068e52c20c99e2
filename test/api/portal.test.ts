import { count, eq } from 'drizzle-orm';
import type { Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createPortalLink } from '../../db/portal-links';
import { hashToken } from '../../db/tokens';
import { documentBlobs, portalLinks } from '../../db/schema';
import { fileForm } from '../support/multipart';
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const RATE_LIMIT = 25;

const portalTemplate = {
  key: 'portal-check',
  name: 'Portal check',
  prefix: 'PRT',
  roles: ['hr', 'manager'],
  // hr and managers see every case of it: tests drive its cases with their tokens.
  permissions: { view: ['hr', 'manager'] },
  fields: [
    { key: 'fullName', label: 'Full name', type: 'text', required: true },
    { key: 'email', label: 'Personal e-mail', type: 'email', external: true },
    { key: 'phone', label: 'Phone', type: 'text', external: true, description: 'With the country code' },
    { key: 'remote', label: 'Working remotely', type: 'boolean', external: true },
    { key: 'equipment', label: 'Equipment', type: 'multiselect', options: ['laptop', 'phone'], external: true },
    { key: 'salary', label: 'Salary', type: 'number' },
  ],
  documents: [
    { key: 'idCard', label: 'ID card', external: true, required: true, contentTypes: ['application/pdf', 'image/png'] },
    { key: 'contract', label: 'Contract' },
  ],
  stages: [
    { key: 'documentation', name: 'Documentation', publicName: 'Sending your documents', permissions: { act: ['hr'] } },
    { key: 'review', name: 'Manager review' },
    { key: 'completed', name: 'Completed', publicName: 'All done', terminal: true },
  ],
};

beforeAll(async () => {
  stack = await startTestStack({ env: { PORTAL_RATE_LIMIT: String(RATE_LIMIT), PUBLIC_URL: 'https://cases.example.com' } });
  const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(portalTemplate);
  expect(res.status).toBe(201);
});
afterAll(() => stack?.close());

// Each test speaks from its own client address, so the rate limit of one does not touch another.
let nextIp = 1;
function client() {
  const ip = `10.0.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`;
  return {
    get: (path: string) => stack.http().get(path).set('X-Forwarded-For', ip),
    post: (path: string) => stack.http().post(path).set('X-Forwarded-For', ip),
  };
}

async function startCase(title = 'Onboard Jane Doe', participantName = 'Jane Doe') {
  const res = await stack
    .http()
    .post('/v1/cases')
    .set(auth(stack.tokens.hr))
    .send({
      template: 'portal-check',
      title,
      fields: { fullName: 'Jane Doe', salary: 123456 },
      participants: [
        { kind: 'external', role: 'candidate', name: participantName, email: 'jane@example.com' },
        { kind: 'internal', role: 'manager', name: 'Max Manager', userId: 'max' },
      ],
    });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function link(caseKey: string, participantId = 'P-1') {
  const res = await stack.http().post(`/v1/cases/${caseKey}/portal-links`).set(auth(stack.tokens.hr)).send({ participantId });
  expect(res.status).toBe(201);
  return res.body as { id: string; url: string; token: string; expiresAt: string };
}

async function blobCount(): Promise<number> {
  const [row] = await stack.db.select({ n: count() }).from(documentBlobs);
  return Number(row?.n ?? 0);
}

/** Every visible input, select and textarea has an id and a <label for> naming it. */
function unlabelledControls(html: string): string[] {
  const missing: string[] = [];
  for (const m of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const attrs = m[2] ?? '';
    if (/type="hidden"/.test(attrs)) continue;
    const id = /\bid="([^"]+)"/.exec(attrs)?.[1];
    if (!id || !html.includes(`<label for="${id}">`)) missing.push(m[0]);
  }
  return missing;
}

describe('portal links', () => {
  test('created for an external participant: a 256-bit token, stored only as its hash, with a URL under PUBLIC_URL', async () => {
    const id = await startCase();
    const created = await link(id);
    expect(created.token).toMatch(/^cpt_[A-Za-z0-9_-]{43}$/);
    expect(created.url).toBe(`https://cases.example.com/portal/${created.token}`);
    const ttlDays = (Date.parse(created.expiresAt) - Date.now()) / 86_400_000;
    expect(ttlDays).toBeGreaterThan(13.9);
    expect(ttlDays).toBeLessThanOrEqual(14);
    const [row] = await stack.db.select().from(portalLinks).where(eq(portalLinks.id, created.id));
    expect(row).toMatchObject({ caseKey: id, participantId: 'P-1', createdBy: 'hana', tokenHash: hashToken(created.token) });
    expect(JSON.stringify(row)).not.toContain(created.token.slice(4));

    const internal = await stack.http().post(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.hr)).send({ participantId: 'P-2' });
    expect([internal.status, internal.body.code]).toEqual([422, 'not_external_participant']);
    const unknown = await stack.http().post(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.hr)).send({ participantId: 'P-9' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'participant_not_found']);
    // The manager sees the case but may not act in documentation; the outsider does not see it at all.
    const forbidden = await stack.http().post(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.manager)).send({ participantId: 'P-1' });
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'forbidden']);
    const hidden = await stack.http().post(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.outsider)).send({ participantId: 'P-1' });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'case_not_found']);
    expect((await stack.http().get(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.outsider))).status).toBe(404);
    expect((await stack.http().post(`/v1/cases/${id}/portal-links`).send({ participantId: 'P-1' })).status).toBe(401);
    expect((await stack.http().post('/v1/cases/PRT-9999/portal-links').set(auth(stack.tokens.hr)).send({ participantId: 'P-1' })).status).toBe(404);

    const list = await stack.http().get(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.manager));
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ id: created.id, participantId: 'P-1', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.token);
  });

  test('unknown, forged and revoked tokens are the same 404; an expired one is 410', async () => {
    const id = await startCase();
    const c = client();
    const good = await link(id);
    const ok = await c.get(`/portal/${good.token}`);
    expect(ok.status).toBe(200);

    const unknown = await c.get('/portal/cpt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const forged = await c.get(`/portal/${good.token.slice(0, -2)}xx`);
    const garbage = await c.get('/portal/%3Cscript%3E');
    expect([unknown.status, forged.status, garbage.status]).toEqual([404, 404, 404]);
    expect(unknown.headers['content-type']).toMatch(/^text\/html/);

    const revoked = await stack.http().delete(`/v1/cases/${id}/portal-links/${good.id}`).set(auth(stack.tokens.hr));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const afterRevoke = await c.get(`/portal/${good.token}`);
    expect(afterRevoke.status).toBe(404);
    expect(afterRevoke.text).toBe(unknown.text);
    expect((await c.post(`/portal/${good.token}/form`).type('form').send({ email: 'x@example.com' })).status).toBe(404);
    expect((await stack.http().delete(`/v1/cases/${id}/portal-links/pl_nope`).set(auth(stack.tokens.hr))).body.code).toBe('portal_link_not_found');

    const expired = await createPortalLink(stack.db, { caseKey: id, participantId: 'P-1', createdBy: 'test', ttlMs: -1000 });
    const gone = await c.get(`/portal/${expired.token}`);
    expect(gone.status).toBe(410);
    expect(gone.text).toContain('This link has expired');
    const upload = fileForm('id.pdf', 'application/pdf', '%PDF');
    const before = await blobCount();
    const refusedUpload = await c.post(`/portal/${expired.token}/documents/idCard`).set('Content-Type', upload.contentType).send(upload.body);
    expect(refusedUpload.status).toBe(410);
    expect(await blobCount()).toBe(before);

    // a participant removed from the case loses the portal
    const other = await link(id);
    expect((await stack.http().delete(`/v1/cases/${id}/participants/P-1`).set(auth(stack.tokens.hr))).status).toBe(200);
    expect((await c.get(`/portal/${other.token}`)).status).toBe(404);
  });

  test(`more than PORTAL_RATE_LIMIT requests a minute from one address get 429; other addresses carry on`, async () => {
    const noisy = client();
    for (let i = 0; i < RATE_LIMIT; i++) expect((await noisy.get(`/portal/cpt_guess${i}`)).status).toBe(404);
    const limited = await noisy.get('/portal/cpt_guess-more');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^text\/html/);
    expect(limited.headers['ratelimit-policy']).toBeDefined();
    expect(limited.text).toContain('Too many requests');
    expect((await client().get('/portal/cpt_guess')).status).toBe(404);
  });
});

describe('the portal page', () => {
  test('accessible HTML: title, progress by public names, what is asked, the external form, security headers', async () => {
    const id = await startCase();
    const { token } = await link(id);
    const res = await client().get(`/portal/${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    const html = res.text;
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<h1>Onboard Jane Doe</h1>');
    expect(html).not.toContain('<script');
    // progress: public names, in order, the current step marked
    const steps = [...html.matchAll(/<li class="(past|current|upcoming)"( aria-current="step")?>([^<]+)</g)].map((m) => [m[1], Boolean(m[2]), m[3]]);
    expect(steps).toEqual([
      ['current', true, 'Sending your documents'],
      ['upcoming', false, 'Manager review'],
      ['upcoming', false, 'All done'],
    ]);
    // asked: the external slot, with an upload form; the internal one is not mentioned
    expect(html).toContain(`<form method="post" action="/portal/${token}/documents/idCard" enctype="multipart/form-data">`);
    expect(html).toContain('accept="application&#x2F;pdf,image&#x2F;png"');
    expect(html).not.toContain('documents/contract');
    expect(html).not.toMatch(/Contract/);
    // the form: external fields only, current values shown, internal values never
    expect(html).toContain(`<form method="post" action="/portal/${token}/form" novalidate>`);
    for (const name of ['email', 'phone', 'remote', 'equipment']) expect(html).toContain(`name="${name}"`);
    expect(html).not.toContain('name="salary"');
    expect(html).not.toContain('name="fullName"');
    expect(html).not.toContain('123456');
    expect(html).not.toContain('Max Manager');
    expect(unlabelledControls(html)).toEqual([]);
    expect(html).toContain('<legend>Working remotely</legend>');
    // the public timeline
    expect(html).toContain('Case opened');
  });

  test('every value is escaped: a title like <script> renders as text', async () => {
    const nasty = '<script>alert(1)</script>';
    const id = await startCase(nasty, '"><img src=x onerror=alert(2)>');
    const patch = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send({ phone: '"><script>alert(3)</script>' });
    expect(patch.status).toBe(200);
    const { token } = await link(id);
    const html = (await client().get(`/portal/${token}`)).text;
    expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;&#x2F;script&gt;</h1>');
    expect(html).toContain('<title>&lt;script&gt;alert(1)&lt;&#x2F;script&gt; — case portal</title>');
    expect(html).toContain('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(3)&lt;&#x2F;script&gt;"');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
  });
});

describe('acting through the portal', () => {
  test('an upload lands on the case as the external participant, then the page says thanks and shows it', async () => {
    const id = await startCase();
    const { token } = await link(id);
    const c = client();
    const before = await blobCount();
    const form = fileForm('passport.pdf', 'application/pdf', '%PDF-1.4 passport');
    const res = await c.post(`/portal/${token}/documents/idCard`).set('Content-Type', form.contentType).send(form.body);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/portal/${token}?done=uploaded&slot=idCard`);
    expect(await blobCount()).toBe(before + 1);

    const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    expect(view.documents.idCard.items[0]).toMatchObject({ version: 1, fileName: 'passport.pdf', uploadedBy: { id: 'P-1', name: 'Jane Doe', kind: 'external' } });
    const timeline = await eventually(async () => {
      const t = await stack.http().get(`/v1/cases/${id}/timeline?type=document.uploaded`).set(auth(stack.tokens.hr));
      return t.body.items.length === 1 ? t.body.items : undefined;
    });
    expect(timeline[0].actor).toEqual({ id: 'P-1', name: 'Jane Doe', roles: [], kind: 'external' });

    const page = await eventually(async () => {
      const p = await c.get(res.headers.location!);
      return p.text.includes('ID card received') ? p : undefined;
    });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Thank you: we received your ID card.');
    expect(page.text).toContain('ID card: received, being checked');
    expect(page.text).toMatch(/ID card received<span class="detail">version 1<\/span> <span class="by">\(you\)<\/span>/);
    expect(page.text).not.toContain(`action="/portal/${token}/documents/idCard"`);

    // rejected: asked again, with the reason
    const documentId = view.documents.idCard.items[0].documentId;
    const review = await stack.http().post(`/v1/cases/${id}/documents/${documentId}/review`).set(auth(stack.tokens.hr)).send({ decision: 'reject', reason: 'The photo is <b>blurry</b>' });
    expect(review.status).toBe(200);
    const again = (await c.get(`/portal/${token}`)).text;
    expect(again).toContain('<strong>Your last version was not accepted:</strong> The photo is &lt;b&gt;blurry&lt;&#x2F;b&gt;');
    expect(again).toContain(`action="/portal/${token}/documents/idCard"`);
  });

  test('refused uploads answer a precise status with the page and store nothing', async () => {
    const id = await startCase();
    const { token } = await link(id);
    const c = client();
    const before = await blobCount();
    const send = (slot: string, form: { body: Buffer; contentType: string }) => c.post(`/portal/${token}/documents/${slot}`).set('Content-Type', form.contentType).send(form.body);

    const wrongType = await send('idCard', fileForm('notes.txt', 'text/plain', 'hello'));
    expect(wrongType.status).toBe(415);
    expect(wrongType.text).toContain('This type of file is not accepted for ID card. Accepted: application&#x2F;pdf, image&#x2F;png.');
    expect(wrongType.text).toContain('role="alert"');

    const internalSlot = await send('contract', fileForm('c.pdf', 'application/pdf', '%PDF'));
    expect(internalSlot.status).toBe(404);
    expect(internalSlot.text).toContain('This document is not asked of you.');
    expect((await send('nope', fileForm('c.pdf', 'application/pdf', '%PDF'))).status).toBe(404);
    expect((await send('idCard', fileForm('../../etc/passwd', 'application/pdf', '%PDF'))).status).toBe(400);
    expect((await send('idCard', { contentType: 'multipart/form-data; boundary=zzz', body: Buffer.from('garbage') })).status).toBe(400);
    expect(await blobCount()).toBe(before);
  });

  test('the form sets external fields as the participant; internal fields and bad values are refused with the reasons', async () => {
    const id = await startCase();
    const { token } = await link(id);
    const c = client();
    const saved = await c.post(`/portal/${token}/form`).type('form').send('email=jane.doe%40example.com&phone=%2B44+20+7946+0000&remote=true&equipment=&equipment=laptop');
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe(`/portal/${token}?done=saved`);
    const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    expect(view.fields).toMatchObject({ email: 'jane.doe@example.com', phone: '+44 20 7946 0000', remote: true, equipment: ['laptop'], salary: 123456 });
    const changes = await eventually(async () => {
      const t = await stack.http().get(`/v1/cases/${id}/timeline?type=field.changed`).set(auth(stack.tokens.hr));
      const byJane = t.body.items.filter((e: { actor: { kind: string } }) => e.actor.kind === 'external');
      return byJane.length === 4 ? byJane : undefined;
    });
    expect(changes.map((e: { actor: { id: string }; data: { field: string } }) => [e.actor.id, e.data.field])).toEqual([
      ['P-1', 'email'],
      ['P-1', 'phone'],
      ['P-1', 'remote'],
      ['P-1', 'equipment'],
    ]);
    const page = (await c.get(saved.headers.location!)).text;
    expect(page).toContain('Thank you: your details were saved.');
    expect(page).toContain('value="jane.doe@example.com"');
    expect(page).toMatch(/id="field-remote-yes" name="remote" value="true" checked/);

    const same = await c.post(`/portal/${token}/form`).type('form').send('email=jane.doe%40example.com');
    expect(same.headers.location).toBe(`/portal/${token}?done=unchanged`);

    const internal = await c.post(`/portal/${token}/form`).type('form').send('salary=1&email=other%40example.com');
    expect(internal.status).toBe(422);
    expect(internal.text).toContain('salary: is not open to you');
    const bad = await c.post(`/portal/${token}/form`).type('form').send('email=not-an-email&phone=%2B1');
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('<a href="#field-email">Personal e-mail: must be an e-mail address</a>');
    expect(bad.text).toContain('aria-invalid="true"');
    expect(bad.text).toContain('value="not-an-email"');
    const after = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr))).body;
    expect(after.fields).toMatchObject({ email: 'jane.doe@example.com', phone: '+44 20 7946 0000', salary: 123456 });
    expect(after.lastSeq).toBe(view.lastSeq);
  });

  test('a closed case shows where it ended and takes nothing', async () => {
    const id = await startCase();
    const { token } = await link(id);
    const c = client();
    expect((await stack.http().post(`/v1/cases/${id}/close`).set(auth(stack.tokens.hr)).send({ reason: 'withdrawn' })).status).toBe(200);
    const page = await c.get(`/portal/${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('this case is closed');
    expect(page.text).not.toContain('<form');
    const form = await c.post(`/portal/${token}/form`).type('form').send('email=x%40example.com');
    expect(form.status).toBe(409);
    const before = await blobCount();
    const file = fileForm('id.pdf', 'application/pdf', '%PDF');
    expect((await c.post(`/portal/${token}/documents/idCard`).set('Content-Type', file.contentType).send(file.body)).status).toBe(409);
    expect(await blobCount()).toBe(before);
  });
});

describe('requests', () => {
  test('portal tokens stay out of the request log (URLs and redirect locations)', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const app = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: stack.config, log });
    const id = await startCase();
    const { token } = await link(id);
    expect((await request(app).get(`/portal/${token}?x=1`).set('X-Forwarded-For', '10.251.0.1')).status).toBe(200);
    const saved = await request(app).post(`/portal/${token}/form`).set('X-Forwarded-For', '10.251.0.1').type('form').send('email=log%40example.com');
    expect(saved.status).toBe(303);
    const logged = lines.join('\n');
    expect(logged).toContain('/portal/<token>?x=1');
    expect(logged).toContain('/portal/<token>?done=saved');
    expect(logged).not.toContain(token.slice(4));
  });

  test('unknown paths under /portal are the 404 page', async () => {
    const res = await request(stack.app).get('/portal/').set('X-Forwarded-For', '10.250.0.1');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });
});
