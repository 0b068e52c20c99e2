/**
 * The codec server the Temporal UI and CLI decode payloads with: who may call it, the browser's
 * CORS preflight from the UI's origin, an encode → decode round trip in the remote-codec JSON
 * format, a payload of an unknown key, and `npm start`'s codec link for the dev server's UI.
 */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createApiToken } from '../../db/tokens';
import { AesGcmPayloadCodec } from '../../temporal/payload-codec';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let auditor: string;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
/** The dev server's UI (TEMPORAL_UI_PORT's default), which the configuration allows outside production. */
const UI_ORIGIN = 'http://localhost:8233';

/** A payload in the remote-codec JSON format: protobuf JSON, every bytes field base64. */
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const plain = (value: unknown) => toJson(defaultPayloadConverter.toPayload(value));
const meta = (p: { metadata: Record<string, string> }, key: string) => Buffer.from(p.metadata[key] ?? '', 'base64').toString();

beforeAll(async () => {
  stack = await startTestStack({ env: { RATE_LIMIT_STORE: 'memory' } });
  auditor = (await createApiToken(stack.db, { actorId: 'aude', actorName: 'Aude Auditor', roles: ['auditor'] })).token;
});
afterAll(() => stack?.close());

test('encode then decode gives back the payloads as they were, in the remote-codec JSON format', async () => {
  const originals = [plain({ fullName: 'Zoë Quaxley', salary: 98765 }), plain('text'), plain(null)];
  const encoded = await stack.http().post('/codec/encode').set(auth(stack.tokens.admin)).set('X-Namespace', 'default').send({ payloads: originals });
  expect(encoded.status).toBe(200);
  expect(encoded.body.payloads).toHaveLength(3);
  for (const p of encoded.body.payloads) {
    expect(meta(p, 'encoding')).toBe('binary/encrypted');
    expect(meta(p, 'encryption-key-id')).toBe('test-1');
    expect(Buffer.from(p.data, 'base64').toString('latin1')).not.toContain('Quaxley');
  }
  const decoded = await stack.http().post('/codec/decode').set(auth(auditor)).send({ payloads: encoded.body.payloads });
  expect(decoded.status).toBe(200);
  expect(decoded.body).toEqual({ payloads: originals });
  expect(defaultPayloadConverter.fromPayload(fromJson(decoded.body.payloads[0]))).toEqual({ fullName: 'Zoë Quaxley', salary: 98765 });
});

test('an empty list, which protobuf JSON leaves out (`{}`, as the Temporal CLI sends it), is no payloads', async () => {
  const res = await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).send({});
  expect([res.status, res.body]).toEqual([200, { payloads: [] }]);
});

test('payloads that were never encrypted (older histories) come back unchanged', async () => {
  const payloads = [plain({ old: 'history' })];
  const res = await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).send({ payloads });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ payloads });
});

test('a payload of a key this service does not have is a 422 naming the payload and the key', async () => {
  const foreign = new AesGcmPayloadCodec([{ id: 'retired-2024', key: randomBytes(32) }], 'retired-2024');
  const [encrypted] = await foreign.encode([defaultPayloadConverter.toPayload({ fullName: 'Zoë' })]);
  const res = await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).send({ payloads: [plain('fine'), toJson(encrypted!)] });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({
    code: 'payload_undecodable',
    keyId: 'retired-2024',
    errors: [{ path: 'payloads.1' }],
  });
  expect(res.body.detail).toBe('payloads.1: payload encrypted with key "retired-2024", which is not configured (PAYLOAD_KEYS has "test-1")');

  // Bytes that are not a payload of ours under our key id: refused, not decoded to garbage.
  const [ours] = (await stack.http().post('/codec/encode').set(auth(stack.tokens.admin)).send({ payloads: [plain('x')] })).body.payloads;
  const tampered = { ...ours, data: Buffer.from(randomBytes(40)).toString('base64') };
  const bad = await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).send({ payloads: [tampered] });
  expect(bad.status).toBe(422);
  expect(bad.body.detail).toContain('key "test-1" does not decrypt');
});

test('authentication is required, and decoding needs the admin or auditor role; encoding, admin', async () => {
  const body = { payloads: [plain('x')] };
  for (const path of ['/codec/decode', '/codec/encode']) {
    const anonymous = await stack.http().post(path).send(body);
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'unauthorized']);
    const hr = await stack.http().post(path).set(auth(stack.tokens.hr)).send(body);
    expect([hr.status, hr.body.code]).toEqual([403, 'forbidden']);
  }
  expect((await stack.http().post('/codec/decode').set(auth(auditor)).send(body)).status).toBe(200);
  expect((await stack.http().post('/codec/encode').set(auth(auditor)).send(body)).status).toBe(403);
  const malformed = await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).send({ payloads: [{ data: 'not base64!' }] });
  expect([malformed.status, malformed.body.code]).toEqual([422, 'validation_failed']);
});

test("the Temporal UI's preflight from its origin is allowed, with its headers and credentials; other origins are not", async () => {
  const preflight = await stack
    .http()
    .options('/codec/decode')
    .set('Origin', UI_ORIGIN)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization,content-type,x-namespace');
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  expect(preflight.headers['access-control-allow-credentials']).toBe('true');
  expect(preflight.headers['access-control-allow-methods']).toBe('POST');
  expect(preflight.headers['access-control-allow-headers']?.toLowerCase().split(',')).toEqual(['authorization', 'content-type', 'x-namespace']);
  expect(preflight.headers.vary).toContain('Origin');

  // The request itself, and its refusal, carry the headers too: the UI can read why it failed.
  const refused = await stack.http().post('/codec/decode').set('Origin', UI_ORIGIN).send({ payloads: [] });
  expect(refused.status).toBe(401);
  expect(refused.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  const ok = await stack.http().post('/codec/decode').set('Origin', UI_ORIGIN).set(auth(stack.tokens.admin)).set('X-Namespace', 'default').send({ payloads: [] });
  expect([ok.status, ok.headers['access-control-allow-origin']]).toEqual([200, UI_ORIGIN]);

  const elsewhere = await stack.http().options('/codec/decode').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
  expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();
  // CORS is for the codec only: the API itself stays same-origin.
  const api = await stack.http().options('/v1/cases').set('Origin', UI_ORIGIN).set('Access-Control-Request-Method', 'GET');
  expect(api.headers['access-control-allow-origin']).toBeUndefined();
});

test("npm start's codec link: the dev UI decodes without a token through the secret path, and nothing else does", async () => {
  const link = `ccl_${randomBytes(24).toString('base64url')}`;
  const app = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: stack.config, log: pino({ level: 'silent' }), codecLink: link });
  const [encrypted] = (await stack.http().post('/codec/encode').set(auth(stack.tokens.admin)).send({ payloads: [plain({ fullName: 'Zoë' })] })).body.payloads;
  const decoded = await request(app).post(`/codec/link/${link}/decode`).set('Origin', UI_ORIGIN).send({ payloads: [encrypted] });
  expect(decoded.status).toBe(200);
  expect(decoded.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  expect(decoded.body.payloads).toEqual([plain({ fullName: 'Zoë' })]);
  const wrong = await request(app).post(`/codec/link/ccl_${randomBytes(24).toString('base64url')}/decode`).send({ payloads: [encrypted] });
  expect([wrong.status, wrong.body.code]).toEqual([401, 'unauthorized']);
  // Without a link (any process but npm start) the path does not exist.
  expect((await stack.http().post(`/codec/link/${link}/decode`).send({ payloads: [encrypted] })).status).toBe(404);
  // The link is not part of the public contract.
  const doc = (await request(app).get('/openapi.json')).body as { paths: Record<string, unknown> };
  expect(Object.keys(doc.paths).filter((p) => p.startsWith('/codec'))).toEqual(['/codec/decode', '/codec/encode']);
});
