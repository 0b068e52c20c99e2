/**
 * Lints the API's OpenAPI document with Redocly's recommended rules (the linter API clients and
 * doc tools use) and fails on any error; warnings are printed. `npm test` runs it. The document is
 * built offline from the route definitions, exactly as the API serves it at /openapi.json.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { apiRoutes } from '../api/app';
import type { ApiDeps } from '../api/deps';
import { buildOpenApiDocument } from '../api/openapi';

async function main(): Promise<number> {
  // Route factories only keep their dependencies for the handlers, which documenting never calls.
  const routes = apiRoutes({ config: {} } as unknown as ApiDeps);
  const document = buildOpenApiDocument(routes, process.env.PUBLIC_URL);
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
  const errors = problems.filter((p) => p.severity === 'error');
  for (const p of problems) {
    const where = p.location.map((l) => l.pointer).join(', ');
    console.log(`${p.severity.padEnd(7)} ${p.ruleId}: ${p.message}${where ? `  (${where})` : ''}`);
  }
  const operations = Object.values(document.paths ?? {}).reduce((n, item) => n + Object.keys(item ?? {}).length, 0);
  console.log(`openapi lint (redocly recommended): ${operations} operations, ${errors.length} errors, ${problems.length - errors.length} warnings`);
  return errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
