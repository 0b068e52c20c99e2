/**
 * What clients generate code from: every operation has an operationId (the method name a
 * generated client gets), unique and camelCase, and the document names its server.
 */
import { apiRoutes } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { buildOpenApiDocument } from '../../api/openapi';
import { z } from 'zod';

const doc = (publicUrl?: string) =>
  buildOpenApiDocument(apiRoutes({ config: {} } as unknown as ApiDeps), publicUrl) as unknown as {
    paths: Record<string, Record<string, { operationId?: string }>>;
    servers: Array<{ url: string }>;
  };

test('every operation has a unique camelCase operationId', () => {
  const ids = Object.entries(doc().paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, id: op.operationId })));
  expect(ids.length).toBeGreaterThan(40);
  expect(ids.filter((o) => !o.id || !/^[a-z][A-Za-z]+$/.test(o.id)).map((o) => o.at)).toEqual([]);
  const seen = new Map<string, string>();
  for (const { at, id } of ids) {
    expect(seen.get(id!) ?? at).toBe(at);
    seen.set(id!, at);
  }
  expect(ids.find((o) => o.at === 'POST /v1/cases/{id}/tasks/{taskId}/complete')?.id).toBe('completeTask');
});

test('the document names its server: PUBLIC_URL, or the origin that serves it', () => {
  expect(doc('https://cases.example.com').servers).toEqual([expect.objectContaining({ url: 'https://cases.example.com' })]);
  expect(doc().servers).toEqual([expect.objectContaining({ url: '/' })]);
});

test('every JSON request body has a realistic example that its own schema accepts', () => {
  const routes = apiRoutes({ config: {} } as unknown as ApiDeps).filter((r) => r.body);
  expect(routes.length).toBeGreaterThan(15);
  const missing: string[] = [];
  for (const route of routes) {
    const example = (z.globalRegistry.get(route.body!) as { example?: unknown } | undefined)?.example;
    if (example === undefined) {
      missing.push(`${route.method} ${route.path}`);
      continue;
    }
    const parsed = route.body!.safeParse(example);
    expect({ at: `${route.method} ${route.path}`, ok: parsed.success }).toEqual({ at: `${route.method} ${route.path}`, ok: true });
  }
  // Bodies that are a template (JSON or YAML), saved views and token requests document themselves by their fields.
  expect(missing.filter((at) => /\/v1\/cases/.test(at))).toEqual([]);
});

test('a command answers 200 (the case view) and 202 (accepted) with schemas a typed client tells apart, and no internal notes', () => {
  const text = JSON.stringify(doc());
  expect(text).not.toMatch(/DESIGN\.md|v1 sketch/);
  const { components } = doc() as unknown as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
  const accepted = Object.keys(components.schemas.Accepted?.properties ?? {});
  expect(accepted).toEqual(['accepted', 'requestId', 'caseKey']);
  expect(Object.keys(components.schemas.CommandResult?.properties ?? {})).toEqual(expect.arrayContaining(['case', 'events']));
});
