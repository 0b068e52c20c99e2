import type { Connection } from '@temporalio/client';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate, onboardingYaml } from '../support/templates';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

describe('authentication', () => {
  test('401 without a token or with a bad one, as problem+json', async () => {
    const none = await stack.http().get('/v1/cases');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(none.body).toMatchObject({ status: 401, code: 'unauthorized', instance: '/v1/cases' });
    expect((await stack.http().get('/v1/cases').set('Authorization', 'Bearer cot_nope')).status).toBe(401);
    expect((await stack.http().get('/v1/cases').set('Authorization', 'Basic abc')).status).toBe(401);
  });

  test('bearer tokens and cookies never reach the request log', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const app = createApp({ db: stack.db, cases: stack.cases, temporal: stack.client.connection as Connection, config: stack.config, log });
    expect((await request(app).get('/v1/cases').set(auth(stack.tokens.hr)).set('Cookie', 'session=s3cr3t')).status).toBe(200);
    const logged = lines.join('\n');
    expect(logged).toContain('"authorization":"[redacted]"');
    expect(logged).not.toContain(stack.tokens.hr);
    expect(logged).not.toContain('s3cr3t');
  });

  test('admins manage tokens; a revoked token stops working; others get 403', async () => {
    const created = await stack.http().post('/v1/tokens').set(auth(stack.tokens.admin)).send({ actorId: 'zoe', actorName: 'Zoe', roles: ['hr'] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^cot_/);
    expect((await stack.http().get('/v1/templates').set(auth(created.body.token))).status).toBe(200);
    const list = await stack.http().get('/v1/tokens').set(auth(stack.tokens.admin));
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect((await stack.http().delete(`/v1/tokens/${created.body.id}`).set(auth(stack.tokens.admin))).status).toBe(204);
    expect((await stack.http().get('/v1/templates').set(auth(created.body.token))).status).toBe(401);
    expect((await stack.http().post('/v1/tokens').set(auth(stack.tokens.hr)).send({ actorId: 'x', actorName: 'X' })).status).toBe(403);
  });
});

describe('templates', () => {
  test('YAML publish, identical re-publish, new version, read back', async () => {
    const first = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).set('Content-Type', 'application/yaml').send(onboardingYaml);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ key: 'employee-onboarding', version: 1, prefix: 'ONB', name: 'Employee onboarding' });
    // The example exactly as the YAML has it.
    const again = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate());
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const changed = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send({ ...onboardingTemplate(), name: 'Onboarding v2' });
    expect(changed.status).toBe(201);
    expect(changed.body.version).toBe(2);
    expect((await stack.http().get('/v1/templates/employee-onboarding').set(auth(stack.tokens.hr))).body.version).toBe(2);
    expect((await stack.http().get('/v1/templates/employee-onboarding/versions/1').set(auth(stack.tokens.hr))).body.name).toBe('Employee onboarding');
    expect((await stack.http().get('/v1/templates/employee-onboarding/versions').set(auth(stack.tokens.hr))).body.items).toHaveLength(2);
    expect((await stack.http().get('/v1/templates/employee-onboarding/versions/9').set(auth(stack.tokens.hr))).status).toBe(404);
    expect((await stack.http().get('/v1/templates').set(auth(stack.tokens.hr))).body.items.map((t: { key: string }) => t.key)).toContain('employee-onboarding');
  });

  test("a GET's JSON answer has a weak ETag that If-None-Match answers with 304; an answer to a change has none", async () => {
    const read = await stack.http().get('/v1/templates/employee-onboarding/versions/1').set(auth(stack.tokens.hr));
    expect(read.status).toBe(200);
    expect(read.headers.etag).toMatch(/^W\/"/);
    const again = await stack.http().get('/v1/templates/employee-onboarding/versions/1').set(auth(stack.tokens.hr)).set('If-None-Match', read.headers.etag!);
    expect(again.status).toBe(304);
    const changed = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send({ ...onboardingTemplate(), name: 'Onboarding v2' });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).toBeUndefined();
    expect(changed.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(changed.headers['content-length'])).toBe(Buffer.byteLength(changed.text));
    expect(changed.body).toMatchObject({ key: 'employee-onboarding', version: 2 });
  });

  test('an invalid template gets 422 with every problem and its path', async () => {
    const bad = {
      key: 'broken',
      name: 'Broken',
      roles: ['hr'],
      fields: [{ key: 'a', type: 'text' }, { key: 'a', type: 'select' }],
      stages: [
        { key: 's1', owner: 'ghost', exit: { fields: ['nope'], documents: ['missing'] } },
        { key: 's1' },
      ],
      transitions: [{ from: 's1', to: ['s9'] }],
    };
    const res = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(bad);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('invalid_template');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'stages[0].key',
        'stages[1].key',
        'fields[0].key',
        'fields[1].key',
        'fields[1].options',
        'stages',
        'stages[0].owner',
        'stages[0].exit.fields[0]',
        'stages[0].exit.documents[0]',
        'transitions[0].to[0]',
      ]),
    );
    expect((await stack.http().get('/v1/templates/broken').set(auth(stack.tokens.admin))).status).toBe(404);
  });

  test('publishing needs admin; a taken prefix is a conflict; bad YAML is a 422', async () => {
    expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.hr)).send(onboardingTemplate({ key: 'hr-try' }))).status).toBe(403);
    const taken = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate({ key: 'other-onboarding' }));
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('prefix_taken');
    const yaml = await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).set('Content-Type', 'text/yaml').send('key: [unclosed');
    expect(yaml.status).toBe(422);
    expect(yaml.body.code).toBe('invalid_template');
  });
});

describe('bad input never reaches a workflow', () => {
  test('malformed JSON is a 400', async () => {
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('Content-Type', 'application/json').send('{"template": ');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('malformed_json');
  });

  test('a NUL character is refused before it reaches a workflow', async () => {
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('Content-Type', 'application/json').send('{"template":"employee-onboarding","title":"a\\u0000b"}');
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain('NUL');
  });

  test('an oversize body is a 413', async () => {
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 'employee-onboarding', title: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  test('a body in another media type is a 415', async () => {
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).set('Content-Type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
  });

  test('wrong types and unknown properties are 422 with field errors', async () => {
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.hr)).send({ template: 42, title: '', extra: true });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body', 'template', 'title']);
  });

  test('unknown routes are 404 problems', async () => {
    const res = await stack.http().get('/v1/nothing-here').set(auth(stack.tokens.hr));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });
});

describe('operations endpoints', () => {
  test('healthz, readyz, metrics', async () => {
    expect((await stack.http().get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await stack.http().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', temporal: 'ok' });
    // Metrics need METRICS_TOKEN or an admin (test/api/secrets.test.ts covers the rest).
    const metrics = await stack.http().get('/metrics').set(auth(stack.tokens.admin));
    expect(metrics.text).toContain('http_request_duration_seconds');
  });

  test('the OpenAPI document covers every route and shares the zod schemas', async () => {
    const res = await stack.http().get('/openapi.json');
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/v1/templates',
      '/v1/templates/{key}',
      '/v1/templates/{key}/versions/{v}',
      '/v1/cases',
      '/v1/cases/{id}',
      '/v1/cases/{id}/timeline',
      '/v1/cases/{id}/advance',
      '/v1/cases/{id}/fields',
      '/v1/cases/{id}/comments',
      '/v1/cases/{id}/decisions',
      '/v1/cases/{id}/tasks',
      '/v1/cases/{id}/tasks/{taskId}/complete',
      '/v1/cases/{id}/participants',
      '/v1/cases/{id}/close',
      '/v1/cases/{id}/reopen',
      '/v1/cases/{id}/cancel',
      '/v1/boards/{templateKey}',
    ]) {
      expect(paths).toContain(p);
    }
    const advance = res.body.paths['/v1/cases/{id}/advance'].post;
    expect(advance.responses['409'].content['application/problem+json']).toBeDefined();
    expect(res.body.components.schemas.CaseView).toBeDefined();
    const docs = await stack.http().get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });
});
