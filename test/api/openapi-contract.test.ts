/**
 * What clients generate code from: every operation has an operationId (the method name a
 * generated client gets), unique and camelCase, and the document names its server.
 */
import { apiRoutes } from '../../api/app';
import type { ApiDeps } from '../../api/deps';
import { buildOpenApiDocument } from '../../api/openapi';

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
