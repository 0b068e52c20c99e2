import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { documentRoute, type AnyRoute } from './route';

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: AnyRoute[], serverUrl?: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (create one with POST /v1/tokens or `npm run tokens -- create`)',
  });
  for (const route of routes) documentRoute(registry, route);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Case orchestration API',
      version: '1.0.0',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      description:
        'Start, command and query cases. Errors are RFC 9457 application/problem+json with a stable `code`. ' +
        'Command endpoints answer 200 with the case and the events they appended, or 202 with `Prefer: respond-async`. ' +
        'Every answer carries `X-Request-Id`: the one the request sent (1-128 letters, digits or `._:/+=@-`; another value is replaced), ' +
        'else the trace id of its W3C `traceparent`, else a new id. Logs (and traces) of the request, of the workflow task that applied its command and of the e-mails and webhooks that command caused carry it.',
    },
    // Without PUBLIC_URL, the origin that serves this document (a relative server URL).
    servers: [serverUrl ? { url: serverUrl, description: 'This API' } : { url: '/', description: 'The origin serving this document (set PUBLIC_URL for an absolute URL)' }],
    security: [{ bearerAuth: [] }],
  });
}
