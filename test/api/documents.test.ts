import { createHash } from 'node:crypto';
import type { Connection } from '@temporalio/client';
import { count, eq } from 'drizzle-orm';
import pino from 'pino';
import request from 'supertest';
import { generateDocumentActivity } from '../../activities/documents';
import { createApp } from '../../api/app';
import { contentDisposition, etagMatches } from '../../api/documents';
import { PostgresDocumentStore } from '../../db/document-store';
import { documentBlobs } from '../../db/schema';
import { generatedDocumentId } from '../../documents/generate';
import { renderPdf } from '../../documents/pdf';
import type { GenerateDocumentEffect } from '../../domain/effects';
import { fileForm, multipart, pdfText } from '../support/multipart';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const documentsTemplate = {
  key: 'doc-check',
  name: 'Document check',
  prefix: 'DOC',
  roles: ['hr', 'manager', 'it'],
  // hr, managers and it see every case of it: tests drive its cases with their tokens.
  permissions: { view: ['hr', 'manager', 'it'] },
  fields: [
    { key: 'fullName', label: 'Full name', type: 'text', required: true },
    { key: 'email', label: 'E-mail', type: 'email', external: true },
  ],
  documents: [
    { key: 'idCard', label: 'ID card', external: true, contentTypes: ['application/pdf', 'image/png'] },
    { key: 'contract', label: 'Signed contract' },
    { key: 'offer', label: 'Offer letter' },
  ],
  documentTemplates: [
    {
      key: 'offerLetter',
      title: 'Offer letter for {{fields.fullName}}',
      slot: 'offer',
      fileName: 'offer-{{fields.fullName}}.pdf',
      body: 'Dear {{fields.fullName}},\n\nWe are pleased to offer you the position.\nCase reference: {{case.key}}.\n\nKind regards,\nHR',
    },
  ],
  stages: [
    { key: 'collect', name: 'Collect', exit: { documents: ['idCard'], approved: ['contract'] }, permissions: { act: ['hr', 'manager'] } },
    { key: 'review', name: 'Review' },
    { key: 'done', name: 'Done', terminal: true },
  ],
};

beforeAll(async () => {
  stack = await startTestStack();
  const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(documentsTemplate);
  expect(res.status).toBe(201);
});
afterAll(() => stack?.close());

async function startCase(title = 'Hire Jane Doe', fullName = 'Jane Doe'): Promise<string> {
  const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'doc-check', title, fields: { fullName } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function blobCount(): Promise<number> {
  const [row] = await stack.db.select({ n: count() }).from(documentBlobs);
  return Number(row?.n ?? 0);
}

function upload(id: string, slot: string, form: { body: Buffer; contentType: string }, token = stack.tokens.hr, app = stack.app) {
  return request(app).post(`/v1/cases/${id}/documents/${slot}`).set(auth(token)).set('Content-Type', form.contentType).send(form.body);
}

/** Supertest buffers binary bodies only when told to. */
function download(path: string, headers: Record<string, string> = {}) {
  return stack
    .http()
    .get(path)
    .set(auth(stack.tokens.manager))
    .set(headers)
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
}

describe('upload, versions, download', () => {
  test('each upload is a new version; any version downloads with its type, name and ETag; If-None-Match gives 304', async () => {
    const id = await startCase();
    const v1 = Buffer.from('%PDF-1.4 first version');
    const before = await blobCount();
    const up1 = await upload(id, 'idCard', fileForm('passport scan.pdf', 'application/pdf', v1));
    expect(up1.status).toBe(200);
    expect(up1.body.events).toHaveLength(1);
    const event = up1.body.events[0];
    expect(event.type).toBe('document.uploaded');
    expect(event.actor).toMatchObject({ id: 'hana', kind: 'user' });
    expect(event.data).toMatchObject({ slot: 'idCard', version: 1, fileName: 'passport scan.pdf', contentType: 'application/pdf', size: v1.length, sha256: sha(v1) });
    expect(up1.body.case.documents.idCard).toMatchObject({ versions: 1, status: 'pending' });
    expect(await blobCount()).toBe(before + 1);
    const [stored] = await stack.db.select().from(documentBlobs).where(eq(documentBlobs.id, event.data.documentId));
    expect(stored).toMatchObject({ caseKey: id, slot: 'idCard', size: v1.length, sha256: sha(v1) });
    expect(Buffer.compare(stored!.bytes, v1)).toBe(0);

    const v2 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255]);
    const up2 = await upload(id, 'idCard', fileForm('Ausweis Müller.png', 'image/png', v2));
    expect(up2.status).toBe(200);
    expect(up2.body.events[0].data).toMatchObject({ version: 2, fileName: 'Ausweis Müller.png', contentType: 'image/png' });

    const latest = await download(`/v1/cases/${id}/documents/idCard`);
    expect(latest.status).toBe(200);
    expect(latest.headers['content-type']).toBe('image/png');
    expect(latest.headers.etag).toBe(`"${sha(v2)}"`);
    expect(latest.headers['content-disposition']).toBe(`attachment; filename="Ausweis Muller.png"; filename*=UTF-8''Ausweis%20M%C3%BCller.png`);
    expect(latest.headers['x-content-type-options']).toBe('nosniff');
    expect(latest.headers['document-version']).toBe('2');
    expect(Buffer.compare(latest.body as Buffer, v2)).toBe(0);

    const first = await download(`/v1/cases/${id}/documents/idCard/versions/1`);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('application/pdf');
    expect(first.headers['content-length']).toBe(String(v1.length));
    expect(first.headers['content-disposition']).toContain(`filename*=UTF-8''passport%20scan.pdf`);
    expect(Buffer.compare(first.body as Buffer, v1)).toBe(0);

    const notModified = await download(`/v1/cases/${id}/documents/idCard/versions/1`, { 'If-None-Match': `"${sha(v1)}"` });
    expect(notModified.status).toBe(304);
    expect((notModified.body as Buffer).length).toBe(0);
    expect(notModified.headers.etag).toBe(`"${sha(v1)}"`);
    // another version's tag does not match
    expect((await download(`/v1/cases/${id}/documents/idCard/versions/1`, { 'If-None-Match': `"${sha(v2)}"` })).status).toBe(200);

    expect((await download(`/v1/cases/${id}/documents/idCard/versions/3`)).status).toBe(404);
    const empty = await download(`/v1/cases/${id}/documents/contract`);
    expect(empty.status).toBe(404);
    expect(JSON.parse((empty.body as Buffer).toString()).code).toBe('document_not_found');

    const list = await stack.http().get(`/v1/cases/${id}/documents`).set(auth(stack.tokens.manager));
    expect(list.status).toBe(200);
    expect(list.body.slots.map((s: { key: string }) => s.key)).toEqual(['idCard', 'contract', 'offer']);
    const idCard = list.body.slots[0];
    expect(idCard).toMatchObject({ label: 'ID card', external: true, contentTypes: ['application/pdf', 'image/png'], versions: 2, status: 'pending' });
    expect(idCard.items.map((i: { version: number; url: string }) => [i.version, i.url])).toEqual([
      [1, `/v1/cases/${id}/documents/idCard/versions/1`],
      [2, `/v1/cases/${id}/documents/idCard/versions/2`],
    ]);
    expect(list.body.slots[1]).toMatchObject({ key: 'contract', versions: 0, status: 'missing', items: [], contentTypes: null });
    expect(list.body.templates).toEqual([{ key: 'offerLetter', title: 'Offer letter for {{fields.fullName}}', slot: 'offer' }]);
  });

  test('review: reject needs a reason and asks for a new version; only the latest is reviewed, once; exit criteria need approval', async () => {
    const id = await startCase('Hire John Roe', 'John Roe');
    const hr = auth(stack.tokens.hr);
    const review = (docId: string, body: object) => stack.http().post(`/v1/cases/${id}/documents/${docId}/review`).set(hr).send(body);
    const advance = () => stack.http().post(`/v1/cases/${id}/advance`).set(hr).send({ to: 'review' });

    const refused = await advance();
    expect(refused.status).toBe(409);
    expect(refused.body.missing.documents).toEqual(['idCard', 'contract']);

    expect((await upload(id, 'idCard', fileForm('id.pdf', 'application/pdf', 'id'))).status).toBe(200);
    const c1 = (await upload(id, 'contract', fileForm('contract.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'v1'))).body.events[0].data.documentId;

    const noReason = await review(c1, { decision: 'reject' });
    expect(noReason.status).toBe(422);
    const rejected = await review(c1, { decision: 'reject', reason: 'Not signed on page 2' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.events[0]).toMatchObject({ type: 'document.rejected', data: { slot: 'contract', version: 1, reason: 'Not signed on page 2' } });
    expect(rejected.body.case.documents.contract.status).toBe('rejected');
    expect((await review(c1, { decision: 'approve' })).body.code).toBe('already_reviewed');
    expect((await advance()).body.missing.documents).toEqual(['contract']);

    const c2 = (await upload(id, 'contract', fileForm('contract-signed.pdf', 'application/pdf', 'v2'))).body.events[0].data.documentId;
    const stale = await review(c1, { decision: 'approve' });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('not_latest_version');
    expect((await review('doc_nope', { decision: 'approve' })).status).toBe(404);

    const approved = await review(c2, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body.events[0]).toMatchObject({ type: 'document.approved', data: { slot: 'contract', version: 2 }, actor: { id: 'hana' } });
    const moved = await advance();
    expect(moved.status).toBe(200);
    expect(moved.body.case.stage.key).toBe('review');
  });
});

describe('generated documents', () => {
  test('a document template renders into a PDF that becomes a version of its slot; the text reads back', async () => {
    const id = await startCase('Hire Jane Doe', 'Jane Doe');
    const res = await stack.http().post(`/v1/cases/${id}/generate-document`).set(auth(stack.tokens.hr)).send({ template: 'offerLetter' });
    expect(res.status).toBe(200);
    const data = res.body.events[0].data;
    expect(res.body.events[0].type).toBe('document.uploaded');
    expect(data).toMatchObject({ slot: 'offer', version: 1, fileName: 'offer-Jane Doe.pdf', contentType: 'application/pdf', generatedFrom: 'offerLetter' });

    const pdf = await download(`/v1/cases/${id}/documents/offer`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const bytes = pdf.body as Buffer;
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(sha(bytes)).toBe(data.sha256);
    const text = await pdfText(bytes);
    expect(text).toContain('Offer letter for Jane Doe');
    expect(text).toContain('Dear Jane Doe,');
    expect(text).toContain(`Case reference: ${id}.`);
    expect(text).not.toContain('{{');

    const unknown = await stack.http().post(`/v1/cases/${id}/generate-document`).set(auth(stack.tokens.hr)).send({ template: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_document_template');
  });

  test('the generateDocument activity stores once per effect key, even when retried', async () => {
    const activity = generateDocumentActivity({ db: stack.db });
    const effect: GenerateDocumentEffect = {
      kind: 'generateDocument',
      key: 'DOC-999:17:0',
      caseKey: 'DOC-999',
      ref: { rule: 'automations[0]', trigger: 16 },
      depth: 0,
      template: documentsTemplate.documentTemplates[0]!,
      context: {
        case: { key: 'DOC-999', title: 'Hire Zoë', status: 'open', owner: null, template: 'doc-check' },
        fields: { fullName: 'Zoë Ölund' },
        stage: { key: 'collect', name: 'Collect' },
        event: { type: 'stage.entered', seq: 16, at: '2027-01-04T09:00:00.000Z', data: {} },
      },
    };
    const before = await blobCount();
    const first = await activity(effect);
    const retried = await activity(effect);
    expect(retried).toEqual(first);
    expect(first).toMatchObject({ documentId: generatedDocumentId('DOC-999:17:0'), fileName: 'offer-Zoë Ölund.pdf', contentType: 'application/pdf' });
    expect(await blobCount()).toBe(before + 1);
    const stored = await new PostgresDocumentStore(stack.db).get(first.documentId);
    expect(stored).toMatchObject({ caseKey: 'DOC-999', slot: 'offer', sha256: first.sha256, size: first.size });
    expect(await pdfText(stored!.bytes)).toContain('Dear Zoë Ölund,');
  });

  test('the same PDF input gives the same bytes', async () => {
    const at = new Date('2027-01-04T09:00:00Z');
    const a = await renderPdf({ title: 'T', body: 'one\n\ntwo', createdAt: at });
    const b = await renderPdf({ title: 'T', body: 'one\n\ntwo', createdAt: at });
    expect(sha(a)).toBe(sha(b));
    expect(await pdfText(a)).toMatch(/T[\s\S]*one[\s\S]*two/);
  });
});

describe('bad input changes nothing', () => {
  test('oversize (413), wrong content type (415), unknown slot or case (404), closed case (409), malformed multipart (400), path traversal (400)', async () => {
    const id = await startCase();
    const before = await blobCount();
    const expectProblem = (res: request.Response, status: number, code: string) => {
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    };

    // A second app over the same stack with a 1000-byte limit.
    const small = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: { ...stack.config, DOCUMENT_MAX_BYTES: 1000 }, log: pino({ level: 'silent' }) });
    expectProblem(await upload(id, 'contract', fileForm('big.bin', 'application/octet-stream', Buffer.alloc(1001, 1)), stack.tokens.hr, small), 413, 'payload_too_large');
    expectProblem(await upload(id, 'contract', fileForm('big.bin', 'application/octet-stream', Buffer.alloc(50_000, 1)), stack.tokens.hr, small), 413, 'payload_too_large');

    expectProblem(await upload(id, 'idCard', fileForm('id.txt', 'text/plain', 'hello')), 415, 'unsupported_content_type');
    expectProblem(await upload(id, 'idCard', fileForm('id.pdf', 'not a type', 'hello')), 415, 'unsupported_content_type');
    expectProblem(await upload(id, 'nope', fileForm('a.pdf', 'application/pdf', 'x')), 404, 'unknown_slot');
    expectProblem(await upload('DOC-99999', 'idCard', fileForm('a.pdf', 'application/pdf', 'x')), 404, 'case_not_found');

    const { contentType } = fileForm('a.pdf', 'application/pdf', 'x');
    expectProblem(await upload(id, 'contract', { contentType, body: Buffer.from('this is not multipart at all') }), 400, 'malformed_multipart');
    const truncated = fileForm('a.pdf', 'application/pdf', 'x'.repeat(100));
    expectProblem(await upload(id, 'contract', { contentType: truncated.contentType, body: truncated.body.subarray(0, truncated.body.length - 40) }), 400, 'malformed_multipart');
    expectProblem(await upload(id, 'contract', { contentType: 'multipart/form-data', body: truncated.body }), 400, 'malformed_multipart');
    expectProblem(await upload(id, 'contract', multipart([{ name: 'note', body: 'no file here' }])), 422, 'validation_failed');
    expectProblem(await upload(id, 'contract', multipart([{ name: 'document', filename: 'a.pdf', contentType: 'application/pdf', body: 'x' }])), 422, 'validation_failed');
    expectProblem(
      await upload(id, 'contract', multipart([{ name: 'file', filename: 'a.pdf', body: 'x' }, { name: 'file', filename: 'b.pdf', body: 'y' }])),
      422,
      'validation_failed',
    );
    expectProblem(await stack.http().post(`/v1/cases/${id}/documents/contract`).set(auth(stack.tokens.hr)).send({ file: 'x' }), 415, 'unsupported_media_type');

    for (const name of ['../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', '..', 'a/b.pdf']) {
      const res = await upload(id, 'contract', fileForm(name, 'application/pdf', 'x'));
      expectProblem(res, 400, 'invalid_file_name');
    }

    // a role that sees the case and may not act in its stage, and one that may not see it: refused before the body is read
    expectProblem(await upload(id, 'contract', fileForm('a.pdf', 'application/pdf', 'x'), stack.tokens.it), 403, 'forbidden');
    expectProblem(await upload(id, 'contract', fileForm('a.pdf', 'application/pdf', 'x'), stack.tokens.outsider), 404, 'case_not_found');

    expect(await stack.http().post(`/v1/cases/${id}/close`).set(auth(stack.tokens.hr)).send({ reason: 'withdrawn' }).then((r) => r.status)).toBe(200);
    expectProblem(await upload(id, 'contract', fileForm('a.pdf', 'application/pdf', 'x')), 409, 'case_not_open');
    expectProblem(await stack.http().post(`/v1/cases/${id}/generate-document`).set(auth(stack.tokens.hr)).send({ template: 'offerLetter' }), 409, 'case_not_open');

    expect(await blobCount()).toBe(before);
    const view = await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr));
    expect(view.body.documents).toEqual({});
  });

  test('a file of exactly the limit is accepted', async () => {
    const id = await startCase();
    const small = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: { ...stack.config, DOCUMENT_MAX_BYTES: 1000 }, log: pino({ level: 'silent' }) });
    const res = await upload(id, 'contract', fileForm('exact.bin', 'application/octet-stream', Buffer.alloc(1000, 7)), stack.tokens.hr, small);
    expect(res.status).toBe(200);
    expect(res.body.events[0].data.size).toBe(1000);
  });

  test('a retried upload with the same Idempotency-Key records one version and stores one blob; a different file under it is refused', async () => {
    const id = await startCase();
    const before = await blobCount();
    const form = fileForm('contract.pdf', 'application/pdf', 'signed');
    const send = (f = form) => upload(id, 'contract', f).set('Idempotency-Key', `upload-${id}`);
    const first = await send();
    const again = await send();
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.events).toEqual(first.body.events);
    expect(again.body.case.documents.contract.versions).toBe(1);
    expect(await blobCount()).toBe(before + 1);
    const other = await send(fileForm('contract.pdf', 'application/pdf', 'something else'));
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await blobCount()).toBe(before + 1);
  });

  test('an Idempotency-Key already used by another command on the case is refused for an upload, storing nothing', async () => {
    const id = await startCase();
    const commented = await stack.http().post(`/v1/cases/${id}/comments`).set('Authorization', `Bearer ${stack.tokens.hr}`).set('Idempotency-Key', `shared-${id}`).send({ text: 'first' });
    expect(commented.status).toBe(200);
    const before = await blobCount();
    const res = await upload(id, 'contract', fileForm('contract.pdf', 'application/pdf', 'signed')).set('Idempotency-Key', `shared-${id}`);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('idempotency_key_reused');
    expect(await blobCount()).toBe(before);
  });
});

describe('helpers', () => {
  test('Content-Disposition has an ASCII fallback and the exact name (RFC 6266 / 8187)', () => {
    expect(contentDisposition('report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('a "quoted" \\ name.pdf')).toBe(`attachment; filename="a _quoted_ _ name.pdf"; filename*=UTF-8''a%20%22quoted%22%20%5C%20name.pdf`);
    expect(contentDisposition('履歴書.pdf')).toBe(`attachment; filename="___.pdf"; filename*=UTF-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf`);
    expect(contentDisposition("it's (1).pdf")).toContain(`filename*=UTF-8''it%27s%20%281%29.pdf`);
  });

  test('If-None-Match: lists, weak tags and *', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});
