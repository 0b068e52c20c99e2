/**
 * Generates TypeScript types from the API's OpenAPI document (openapi-typescript) and type-checks a
 * small client program against them (test/openapi-client/program.ts, with openapi-fetch). `npm
 * test` runs it: a change to the document that would break generated clients fails here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { apiRoutes } from '../api/app';
import type { ApiDeps } from '../api/deps';
import { buildOpenApiDocument } from '../api/openapi';

const dir = path.resolve(__dirname, '..', 'test', 'openapi-client');

async function main(): Promise<void> {
  // Route factories only keep their dependencies for the handlers, which documenting never calls.
  const document = buildOpenApiDocument(apiRoutes({ config: {} } as unknown as ApiDeps));
  const ast = await openapiTS(JSON.parse(JSON.stringify(document)));
  fs.mkdirSync(path.join(dir, 'generated'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'generated', 'schema.d.ts'), astToString(ast));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  console.log('openapi client: types generated from the document, test/openapi-client/program.ts compiles against them');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
