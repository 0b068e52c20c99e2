import http from 'node:http';
import net from 'node:net';
import type { Connection } from '@temporalio/client';
import { count, eq } from 'drizzle-orm';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import YAML from 'yaml';
import { createApp } from '../../api/app';
import { errorHandler } from '../../api/errors';
import { caseSequences, documentBlobs, templates } from '../../db/schema';
import { COUNT, LOGIC, TEXT } from '../../domain/limits';
import { fileForm, multipart } from '../support/multipart';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Every bad input is a precise 4xx that changes nothing: sent to real endpoints of a real stack,
 * each refusal is checked for its status and code, a small body, and an unchanged case, template
 * list or document store.
 */

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const template = {
  key: 'bad-input',
  name: 'Bad input',
  prefix: 'BAD',
  roles: ['hr', 'manager'],
  // hr and managers see every case of it: tests drive its cases with their tokens.
  permissions: { view: ['hr', 'manager'] },
  fields: [
    { key: 'fullName', label: 'Full name', type: 'text', required: true },
    { key: 'note', label: 'Note', type: 'text', external: true },
  ],
  documents: [
    { key: 'idCard', label: 'ID card', external: true, contentTypes: ['application/pdf'] },
    { key: 'contract', label: 'Contract' },
  ],
  documentTemplates: [{ key: 'letter', title: 'Letter for {{fields.fullName}}', slot: 'contract', body: 'Hello {{fields.fullName}}' }],
  stages: [
    { key: 'intake', name: 'Intake', permissions: { act: ['hr'] } },
    { key: 'done', name: 'Done', terminal: true },
  ],
};

beforeAll(async () => {
  stack = await startTestStack();
  const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(template);
  expect(res.status).toBe(201);
});
afterAll(() => stack?.close());

async function startCase(): Promise<string> {
  const res = await stack
    .http()
    .post('/v1/cases')
    .set(auth(stack.tokens.hr))
    .send({ template: 'bad-input', title: 'Bad input', fields: { fullName: 'Jane' }, participants: [{ kind: 'external', role: 'candidate', name: 'Jane', email: 'jane@example.com' }] });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function lastSeq(id: string): Promise<number> {
  const res = await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.hr));
  expect(res.status).toBe(200);
  return res.body.lastSeq as number;
}

/** Cases started from the template so far: its key counter, allocated before a case starts (the read model may lag). */
async function caseCount(): Promise<number> {
  const [row] = await stack.db.select({ n: caseSequences.lastNumber }).from(caseSequences).where(eq(caseSequences.prefix, 'BAD'));
  return row?.n ?? 0;
}

async function blobCount(): Promise<number> {
  const [row] = await stack.db.select({ n: count() }).from(documentBlobs);
  return Number(row?.n ?? 0);
}

async function templateVersions(): Promise<number> {
  const [row] = await stack.db.select({ n: count() }).from(templates);
  return Number(row?.n ?? 0);
}

/** A problem+json refusal with this status and code, whose body stays small whatever was sent. */
function expectProblem(res: request.Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.text.length).toBeLessThan(8 * 1024);
}

const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

/** A file part whose RFC 5987 `filename*` (which wins over `filename`) decodes to a name with a NUL. */
const encodedNulName = multipart([{ name: 'file', filename: "x.pdf\"; filename*=UTF-8''a%00b.pdf; x=\"", contentType: 'application/pdf', body: '%PDF' }]);

async function portalToken(id: string): Promise<string> {
  const res = await stack.http().post(`/v1/cases/${id}/portal-links`).set(auth(stack.tokens.hr)).send({ participantId: 'P-1' });
  expect(res.status).toBe(201);
  return res.body.token as string;
}

describe('malformed percent-encoding in a path is a 400, never a 500', () => {
  test.each([
    ['get', '/v1/cases/%E0%A4%A'],
    ['get', '/v1/cases/%E0%A4%A/timeline'],
    ['post', '/v1/cases/%E0%A4%A/comments'],
    ['get', '/v1/cases/BAD-1/documents/%FF'],
    ['get', '/v1/templates/%E0%A4%A'],
    ['get', '/v1/templates/bad-input/versions/%C0'],
    ['get', '/v1/boards/%'],
    ['get', '/v1/no-such-route/%E0'],
  ] as const)('%s %s', async (method, path) => {
    const res = await stack.http()[method](path).set(auth(stack.tokens.hr)).send(method === 'post' ? { text: 'hello' } : undefined);
    expectProblem(res, 400, 'malformed_uri');
  });

  test('under /portal: a 400 page', async () => {
    for (const path of ['/portal/%E0%A4%A', '/portal/cpt_x/documents/%E0%A4%A']) {
      const res = await stack.http().get(path);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('This link is not valid');
    }
  });

  test('any error carrying a 4xx status (router, body-parser, multer …) becomes a matching problem', async () => {
    const app = express();
    const fail = (err: Error) => () => {
      throw err;
    };
    app.get('/uri', fail(Object.assign(new URIError("Failed to decode param '%E0'"), { status: 400 })));
    app.get('/aborted', fail(Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' })));
    app.get('/params', fail(Object.assign(new Error('too many parameters'), { statusCode: 413, type: 'parameters.too.many' })));
    app.get('/other', fail(Object.assign(new Error('timeout'), { status: 408 })));
    app.get('/boom', fail(Object.assign(new Error('boom'), { status: 502 })));
    app.use(errorHandler(pino({ level: 'silent' })));
    expectProblem(await request(app).get('/uri'), 400, 'malformed_uri');
    expectProblem(await request(app).get('/aborted'), 400, 'bad_request');
    expectProblem(await request(app).get('/params'), 413, 'payload_too_large');
    expectProblem(await request(app).get('/other'), 400, 'bad_request');
    expectProblem(await request(app).get('/boom'), 500, 'internal_error');
  });

  test('too many portal form fields is a 413 page, not a 500', async () => {
    const id = await startCase();
    const token = await portalToken(id);
    const before = await lastSeq(id);
    const form = Array.from({ length: 300 }, (_, i) => `f${i}=x`).join('&');
    const res = await stack.http().post(`/portal/${token}/form`).type('form').send(form);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(await lastSeq(id)).toBe(before);
  });
});

describe('a NUL character anywhere is refused and stores nothing', () => {
  let id: string;
  let seq: number;
  beforeAll(async () => {
    id = await startCase();
    seq = await lastSeq(id);
  });
  afterEach(async () => {
    expect(await lastSeq(id)).toBe(seq);
  });

  test('in the path: 400 malformed_uri', async () => {
    expectProblem(await stack.http().post(`/v1/cases/${id}%00/comments`).set(auth(stack.tokens.hr)).send({ text: 'hi' }), 400, 'malformed_uri');
    expectProblem(await stack.http().get('/v1/templates/bad%00input').set(auth(stack.tokens.hr)), 400, 'malformed_uri');
    expectProblem(await stack.http().get('/v1/nothing%00here').set(auth(stack.tokens.hr)), 400, 'malformed_uri');
    expect((await stack.http().get(`/portal/cpt_x%00`)).status).toBe(400);
  });

  test('in a query value or key: 422 validation_failed naming it', async () => {
    const q = await stack.http().get('/v1/cases?q=jane%00').set(auth(stack.tokens.hr));
    expectProblem(q, 422, 'validation_failed');
    expect(q.body.errors).toEqual([{ path: 'q', message: expect.stringContaining('NUL') }]);
    expectProblem(await stack.http().get(`/v1/cases/${id}/timeline?type=comment.added,%00`).set(auth(stack.tokens.hr)), 422, 'validation_failed');
    expectProblem(await stack.http().get('/v1/cases?a%00=1').set(auth(stack.tokens.hr)), 422, 'validation_failed');
    expectProblem(await stack.http().post(`/v1/cases/${id}/comments?x[y]=%00`).set(auth(stack.tokens.hr)).send({ text: 'hi' }), 422, 'validation_failed');
    expect((await stack.http().get(`/portal/cpt_x?done=%00`)).status).toBe(422);
  });

  test('in a header value: refused at the door (Node rejects it before the app)', async () => {
    const server = http.createServer(stack.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      for (const header of ['Idempotency-Key: a\u0000b', 'Prefer: respond-async\u0000']) {
        const body = JSON.stringify({ text: 'hi' });
        const raw = `POST /v1/cases/${id}/comments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stack.tokens.hr}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${header}\r\nConnection: close\r\n\r\n${body}`;
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => socket.end(raw));
          let text = '';
          socket.on('data', (d) => (text += d.toString('latin1')));
          socket.on('end', () => resolve(text));
          socket.on('error', reject);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('inside a JSON body, at any depth or in a key: 422 validation_failed with its path', async () => {
    const comment = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Content-Type', 'application/json').send('{"text":"a\\u0000b"}');
    expectProblem(comment, 422, 'validation_failed');
    expect(comment.body.errors).toEqual([{ path: 'text', message: expect.stringContaining('NUL') }]);
    const field = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send({ note: 'x\u0000' });
    expect(field.body.errors[0].path).toBe('note');
    expectProblem(field, 422, 'validation_failed');
    const key = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send({ 'no\u0000te': 'x' });
    expectProblem(key, 422, 'validation_failed');
    expect(key.body.errors[0].path).toBe('no\\u0000te');
    const participant = await stack.http().post(`/v1/cases/${id}/participants`).set(auth(stack.tokens.hr)).send({ kind: 'external', role: 'r', name: 'Jo\u0000', email: 'jo@example.com' });
    expectProblem(participant, 422, 'validation_failed');
    const before = await caseCount();
    const start = await stack
      .http()
      .post('/v1/cases')
      .set(auth(stack.tokens.hr))
      .send({ template: 'bad-input', title: 'ok', fields: { fullName: 'J' }, participants: [{ kind: 'external', role: 'c', name: 'Jane', email: 'j@example.com', extra: ['\u0000'] }] });
    expectProblem(start, 422, 'validation_failed');
    expect(start.body.errors[0].path).toBe('participants.0.extra.0');
    expect(await caseCount()).toBe(before);
  });

  test('a literal backslash-u0000 (an escaped backslash) is text, not a NUL', async () => {
    const other = await startCase();
    const res = await stack.http().post(`/v1/cases/${other}/comments`).set(auth(stack.tokens.hr)).set('Content-Type', 'application/json').send('{"text":"path C:\\\\u0000"}');
    expect(res.status).toBe(200);
    expect(res.body.events[0].data.text).toBe('path C:\\u0000');
  });

  test('inside a YAML template, from an escape or raw: 422 and nothing published', async () => {
    const versions = await templateVersions();
    const yaml = (name: string) => YAML.stringify({ ...template, key: 'nul-yaml', prefix: 'NUL' }).replace('name: Bad input', `name: ${name}`);
    for (const name of ['"Bad\\0name"', '"Bad\\x00name"', '"Bad\\u0000name"', 'Bad\u0000name']) {
      const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).set('Content-Type', 'application/yaml').send(yaml(name));
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.detail).toContain('NUL');
    }
    const nested = YAML.stringify({ ...template, key: 'nul-yaml', prefix: 'NUL' }).replace('name: Intake', 'name: "In\\0take"');
    const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).set('Content-Type', 'text/yaml').send(nested);
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors[0].path).toBe('stages.0.name');
    expect(await templateVersions()).toBe(versions);
    expect((await stack.http().get('/v1/templates/nul-yaml').set(auth(stack.tokens.admin))).status).toBe(404);
  });

  test('in a multipart file name or field: 400 / 422, no document stored', async () => {
    const blobs = await blobCount();
    const upload = (form: { body: Buffer; contentType: string }) =>
      stack.http().post(`/v1/cases/${id}/documents/idCard`).set(auth(stack.tokens.hr)).set('Content-Type', form.contentType).send(form.body);
    // RFC 5987 `filename*` decodes %00 to a NUL; a raw NUL in a part header does not parse at all
    expectProblem(await upload(encodedNulName), 400, 'invalid_file_name');
    expectProblem(await upload(fileForm('a\u0000b.pdf', 'application/pdf', '%PDF')), 400, 'malformed_multipart');
    const fieldValue = multipart([
      { name: 'note', body: 'a\u0000b' },
      { name: 'file', filename: 'a.pdf', contentType: 'application/pdf', body: '%PDF' },
    ]);
    const value = await upload(fieldValue);
    expectProblem(value, 422, 'validation_failed');
    expect(value.body.errors[0].path).toBe('note');
    const fieldName = multipart([
      { name: 'no\u0000te', body: 'x' },
      { name: 'file', filename: 'a.pdf', contentType: 'application/pdf', body: '%PDF' },
    ]);
    expectProblem(await upload(fieldName), 400, 'malformed_multipart');
    expect(await blobCount()).toBe(blobs);
  });

  test('in the portal form or a portal upload: a 4xx page, nothing stored', async () => {
    const token = await portalToken(id);
    seq = await lastSeq(id);
    const blobs = await blobCount();
    const value = await stack.http().post(`/portal/${token}/form`).type('form').send('note=hello%00there');
    expect(value.status).toBe(422);
    expect(value.headers['content-type']).toMatch(/^text\/html/);
    expect(value.text).toContain('cannot be saved');
    expect(value.text).toContain('value="hellothere"');
    expect(value.text).not.toContain('\u0000');
    expect((await stack.http().post(`/portal/${token}/form`).type('form').send('no%00te=x')).status).toBe(422);
    const upload = fileForm('a.pdf', 'application/pdf', '%PDF');
    expect((await stack.http().post(`/portal/${token}/documents/idCard`).set('Content-Type', encodedNulName.contentType).send(encodedNulName.body)).status).toBe(400);
    const field = multipart([{ name: 'x', body: '\u0000' }, { name: 'file', filename: 'a.pdf', contentType: 'application/pdf', body: '%PDF' }]);
    const refused = await stack.http().post(`/portal/${token}/documents/idCard`).set('Content-Type', field.contentType).send(field.body);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('cannot be saved');
    expect(await blobCount()).toBe(blobs);
    // …and a clean portal upload still works, for a stage only hr may act in
    const ok = await stack.http().post(`/portal/${token}/documents/idCard`).set('Content-Type', upload.contentType).send(upload.body);
    expect(ok.status).toBe(303);
    expect(await blobCount()).toBe(blobs + 1);
    seq = await lastSeq(id);
  });
});

describe('deep nesting is a 422 before anything parses it further', () => {
  test(`JSON nested deeper than ${LOGIC.bodyDepth} levels, up to 30,000, on commands, starts and templates`, async () => {
    const id = await startCase();
    const seq = await lastSeq(id);
    const cases = await caseCount();
    const versions = await templateVersions();
    const send = (method: 'post' | 'patch', path: string, body: string, token = stack.tokens.hr) =>
      stack.http()[method](path).set(auth(token)).set('Content-Type', 'application/json').send(body);
    for (const levels of [LOGIC.bodyDepth, 1000, 30_000]) {
      const res = await send('post', `/v1/cases/${id}/comments`, `{"text":"hi","x":${deepArray(levels)}}`);
      expectProblem(res, 422, 'nesting_too_deep');
      expect(res.body.errors[0].path.split('.').length).toBeLessThanOrEqual(LOGIC.bodyDepth);
      expectProblem(await send('patch', `/v1/cases/${id}/fields`, `{"note":${deepArray(levels)}}`), 422, 'nesting_too_deep');
      expectProblem(await send('post', '/v1/cases', `{"template":"bad-input","title":"x","fields":{"fullName":"J","note":${deepArray(levels)}}}`), 422, 'nesting_too_deep');
      expectProblem(await send('post', '/v1/templates', deepArray(levels + 1), stack.tokens.admin), 422, 'nesting_too_deep');
      expectProblem(await send('post', '/v1/templates', `{"key":"deep","name":"x","stages":[{"key":"s","x":${deepArray(levels)}}]}`, stack.tokens.admin), 422, 'nesting_too_deep');
    }
    // one level less than the limit is not refused for its depth
    const within = await send('patch', `/v1/cases/${id}/fields`, `{"note":${deepArray(LOGIC.bodyDepth - 1)}}`);
    expect(within.status).toBe(422);
    expect(within.body.code).not.toBe('nesting_too_deep');
    expect(await lastSeq(id)).toBe(seq);
    expect(await caseCount()).toBe(cases);
    expect(await templateVersions()).toBe(versions);
  });

  test('YAML nested too deep: 422, nothing published', async () => {
    const versions = await templateVersions();
    const send = (yaml: string) => stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).set('Content-Type', 'application/yaml').send(yaml);
    expectProblem(await send(`key: deep\nname: x\nstages: ${deepArray(40)}\n`), 422, 'nesting_too_deep');
    expectProblem(await send(`key: deep\nname: x\nstages: ${deepArray(30_000)}\n`), 422, 'invalid_template');
    expect(await templateVersions()).toBe(versions);
  });
});

describe('Idempotency-Key and Prefer are validated once, from the route headers', () => {
  const tooLong = 'k'.repeat(TEXT.idempotencyKey + 1);

  test(`a key over ${TEXT.idempotencyKey} characters is 400 invalid_header everywhere it is read, in any letter case`, async () => {
    const id = await startCase();
    const seq = await lastSeq(id);
    const cases = await caseCount();
    const blobs = await blobCount();
    const checks = [
      stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Idempotency-Key', tooLong).send({ text: 'hi' }),
      stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).set('IDEMPOTENCY-KEY', tooLong).send({ note: 'x' }),
      stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('idempotency-key', tooLong).send({ template: 'bad-input', title: 'x', fields: { fullName: 'J' } }),
      stack.http().post(`/v1/cases/${id}/generate-document`).set(auth(stack.tokens.hr)).set('Idempotency-Key', tooLong).send({ template: 'letter' }),
      (() => {
        const form = fileForm('a.pdf', 'application/pdf', '%PDF');
        return stack.http().post(`/v1/cases/${id}/documents/idCard`).set(auth(stack.tokens.hr)).set('Idempotency-Key', tooLong).set('Content-Type', form.contentType).send(form.body);
      })(),
    ];
    for (const res of await Promise.all(checks)) {
      expectProblem(res, 400, 'invalid_header');
      expect(res.body.errors).toEqual([{ path: 'idempotency-key', message: `must be at most ${TEXT.idempotencyKey} characters` }]);
    }
    const prefer = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Prefer', `respond-async, ${'x'.repeat(1000)}`).send({ text: 'hi' });
    expectProblem(prefer, 400, 'invalid_header');
    expect(await lastSeq(id)).toBe(seq);
    expect(await caseCount()).toBe(cases);
    expect(await blobCount()).toBe(blobs);
  });

  test('a key at the limit works, and a retry with it is applied once; Prefer: respond-async still answers 202', async () => {
    const id = await startCase();
    const seq = await lastSeq(id);
    const key = 'K'.repeat(TEXT.idempotencyKey);
    const first = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('Idempotency-Key', key).send({ text: 'once' });
    const again = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('idempotency-key', key).send({ text: 'once' });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body.events).toEqual(first.body.events);
    expect(await lastSeq(id)).toBe(seq + 1);
    const async = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.hr)).set('PREFER', 'respond-async').send({ text: 'later' });
    expect(async.status).toBe(202);
    expect(async.headers['preference-applied']).toBe('respond-async');
  });
});

describe('refusals stay small', () => {
  test('a PATCH of fields with 50,000 unknown keys answers quickly with a small body and changes nothing', async () => {
    const id = await startCase();
    const seq = await lastSeq(id);
    // The test stack's 100 kB body limit would refuse this as too large before anything looks at it.
    const app = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: { ...stack.config, BODY_LIMIT: '2mb' }, log: pino({ level: 'silent' }) });
    const values = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`unknown${i}`, i]));
    const started = Date.now();
    const res = await request(app).patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.hr)).send(values);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.text.length).toBeLessThan(8 * 1024);
    expect((res.body.errors ?? []).length).toBeLessThanOrEqual(COUNT.problemsListed);
    expect(await lastSeq(id)).toBe(seq);
  });

  test(`a zod failure lists at most ${COUNT.problemsListed} errors, counts the rest, and clips what it echoes`, async () => {
    const cases = await caseCount();
    const participants = Array.from({ length: 60 }, () => ({ kind: 'nobody' }));
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'bad-input', title: 'x', participants });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors).toHaveLength(COUNT.problemsListed);
    expect(res.body.errorCount).toBeGreaterThanOrEqual(60);
    const longKey = 'k'.repeat(80_000);
    const echo = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'bad-input', title: 'x', [longKey]: 1 });
    expectProblem(echo, 422, 'validation_failed');
    expect(echo.text).not.toContain(longKey.slice(0, 1000));
    expect(await caseCount()).toBe(cases);
  });

  test('an invalid template with hundreds of problems: 422 invalid_template listing the first ones, with the total', async () => {
    const versions = await templateVersions();
    const fields = Array.from({ length: 150 }, (_, i) => ({ key: `f${i}`, type: 'select' }));
    const stages = [{ key: 's', exit: { fields: Array.from({ length: 150 }, (_, i) => `missing${i}`) } }];
    const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send({ key: 'many-problems', name: 'Many', fields, stages });
    expectProblem(res, 422, 'invalid_template');
    expect(res.body.errors).toHaveLength(COUNT.problemsListed);
    expect(res.body.errorCount).toBeGreaterThanOrEqual(300);
    expect(await templateVersions()).toBe(versions);
  });

  test('a long path is echoed clipped', async () => {
    const res = await stack.http().get(`/v1/${'x'.repeat(8000)}`).set(auth(stack.tokens.hr));
    expectProblem(res, 404, 'not_found');
    expect(res.body.instance.length).toBeLessThanOrEqual(500);
  });
});

describe('permission is checked before an upload body is read', () => {
  test('an actor who may not act in the stage gets 403 forbidden, one who may not see the case 404, however broken or large the body', async () => {
    const id = await startCase();
    const seq = await lastSeq(id);
    const blobs = await blobCount();
    const small = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: { ...stack.config, DOCUMENT_MAX_BYTES: 1000 }, log: pino({ level: 'silent' }) });
    const upload = (token: string, contentType: string, body: Buffer | string, app = stack.app) =>
      request(app).post(`/v1/cases/${id}/documents/contract`).set(auth(token)).set('Content-Type', contentType).send(body);
    const good = fileForm('c.pdf', 'application/pdf', '%PDF');
    const big = fileForm('c.pdf', 'application/pdf', Buffer.alloc(50_000, 1));
    const garbage = 'this is not a multipart body';
    for (const [token, status, code] of [
      [stack.tokens.outsider, 404, 'case_not_found'],
      [stack.tokens.manager, 403, 'forbidden'],
    ] as const) {
      expectProblem(await upload(token, good.contentType, good.body), status, code);
      expectProblem(await upload(token, 'multipart/form-data; boundary=nothing', garbage), status, code);
      expectProblem(await upload(token, big.contentType, big.body, small), status, code);
      expectProblem(await request(stack.app).post(`/v1/cases/${id}/generate-document`).set(auth(token)).send({ template: 'letter' }), status, code);
    }
    // the same bodies from an actor who may act are read, and refused for what they are
    expectProblem(await upload(stack.tokens.hr, 'multipart/form-data; boundary=nothing', garbage), 400, 'malformed_multipart');
    expectProblem(await upload(stack.tokens.hr, big.contentType, big.body, small), 413, 'payload_too_large');
    expect(await lastSeq(id)).toBe(seq);
    expect(await blobCount()).toBe(blobs);
    expect((await upload(stack.tokens.hr, good.contentType, good.body)).status).toBe(200);
    expect((await upload(stack.tokens.admin, good.contentType, good.body)).status).toBe(200);
  });
});
