/**
 * Every input that can enter a case has a documented size limit: in /openapi.json each string of a
 * request (body, query, path) has a maxLength (or an enum, pattern or fixed format), each array a
 * maxItems and each free-form object a maxProperties. A new input without one fails here.
 */
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config/env';

type Schema = Record<string, unknown> & { $ref?: string; type?: string; items?: Schema; properties?: Record<string, Schema>; additionalProperties?: unknown };

test('every string, array and record a client can send is bounded', async () => {
  const app = createApp({ db: {} as never, cases: {} as never, temporal: {} as never, config: loadConfig({ NODE_ENV: 'test' }), log: pino({ level: 'silent' }) });
  const doc = (await request(app).get('/openapi.json')).body;
  const components: Record<string, Schema> = doc.components?.schemas ?? {};
  const unbounded = new Set<string>();
  const walk = (schema: Schema | undefined, path: string, seen: Set<Schema>) => {
    if (!schema || seen.has(schema)) return;
    seen.add(schema);
    if (schema.$ref) return walk(components[schema.$ref.split('/').pop()!], path, seen);
    for (const key of ['anyOf', 'oneOf', 'allOf']) (schema[key] as Schema[] | undefined)?.forEach((s, i) => walk(s, `${path}.${key}[${i}]`, seen));
    const fixed = schema.enum !== undefined || schema.const !== undefined || schema.pattern !== undefined || ['date', 'date-time', 'email', 'binary'].includes(String(schema.format));
    if (schema.type === 'string' && schema.maxLength === undefined && !fixed) unbounded.add(`${path}: string without maxLength`);
    if (schema.type === 'array') {
      if (schema.maxItems === undefined) unbounded.add(`${path}: array without maxItems`);
      walk(schema.items, `${path}[]`, seen);
    }
    for (const [key, value] of Object.entries(schema.properties ?? {})) walk(value, `${path}.${key}`, seen);
    if (typeof schema.additionalProperties === 'object' && schema.maxProperties === undefined) unbounded.add(`${path}: object without maxProperties`);
  };
  let inputs = 0;
  for (const [path, operations] of Object.entries<Record<string, { parameters?: Array<{ in: string; name: string; schema: Schema }>; requestBody?: { content: Record<string, { schema: Schema }> } }>>(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      for (const p of op.parameters ?? []) if (p.in !== 'header') walk(p.schema, `${method.toUpperCase()} ${path} ${p.in} ${p.name}`, new Set());
      for (const [type, content] of Object.entries(op.requestBody?.content ?? {})) {
        inputs++;
        walk(content.schema, `${method.toUpperCase()} ${path} (${type})`, new Set());
      }
    }
  }
  expect(inputs).toBeGreaterThan(20);
  expect([...unbounded]).toEqual([]);
});
