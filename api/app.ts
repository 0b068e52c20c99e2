import { Client, type Connection } from '@temporalio/client';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { caseRetentionMs, type Config } from '../config/env';
import type { Database } from '../db/connection';
import { temporalDataConverter } from '../temporal/data-converter';
import { answerProjection } from './answer-projection';
import { CaseClient, caseClientOptions } from './case-client';
import { caseClientInterceptors, requestCorrelation, requestSpans } from './correlation';
import type { Tracing } from '../startup/tracing';
import pinoHttp from 'pino-http';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import swaggerUi from 'swagger-ui-express';
import { pingDatabase } from '../db/connection';
import { isCredentialHeader, isCredentialParam, looksLikeCredential } from '../config/logger';
import { ADMIN_ROLE, type Actor } from '../domain/actor';
import { PerActorLimit } from './admission';
import { bearerAuthenticator, type Authenticate } from './auth';
import { oidcVerifier } from './oidc';
import { createRateLimits } from './rate-limit';
import type { ApiDeps, Lifecycle } from './deps';
import { Problem, errorHandler, notFoundHandler } from './errors';
import { refuseFlawedBody, refuseMalformedUrl } from './input-guards';
import { buildOpenApiDocument } from './openapi';
import { mountRoute, type AnyRoute } from './route';
import { caseRoutes } from './routes/cases';
import { commandRoutes } from './routes/commands';
import { YAML_TYPES, templateRoutes } from './routes/templates';
import { notificationRoutes } from './routes/notifications';
import { outboxRoutes } from './routes/outbox';
import { tokenRoutes } from './routes/tokens';
import { documentRoutes, isDocumentUpload } from './routes/documents';
import { portalLinkRoutes } from './routes/portal-links';
import { meRoutes } from './routes/me';
import { reportRoutes } from './routes/reports';
import { auditRoutes } from './routes/audit';
import { batchRoutes } from './routes/batches';
import { portalLogSerializers, portalRouter } from './portal/router';
import { consoleRouter } from './console';
import { openCasesByStage } from '../db/case-counts';
import { CaseMetrics } from '../metrics/case-metrics';
import { registerOpenCasesGauges } from '../metrics/open-cases';
import { codecLinkAuthenticator, codecLinkRoutes, codecRoutes } from './routes/codec';
import cors from 'cors';

/** The app as both run modes configure it: a Temporal connection and the database, per the environment. */
export function createAppFromConfig(opts: { connection: Connection; db: Database; config: Config; log: Logger; lifecycle?: Lifecycle; codecLink?: string; tracing?: Tracing }) {
  const { connection, db, config, log } = opts;
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: temporalDataConverter(config),
    interceptors: { workflow: caseClientInterceptors(!!opts.tracing) },
  });
  // One set of business metrics: the answers this API writes to the read model count there too.
  const metrics = new CaseMetrics();
  return createApp({
    ...(opts.tracing ? { tracer: opts.tracing.tracer } : {}),
    db,
    metrics,
    cases: new CaseClient(client, config.TEMPORAL_TASK_QUEUE, caseClientOptions(config, log, answerProjection(db, log, metrics), metrics)),
    temporal: connection,
    config: { ...config, archiveAfterMs: caseRetentionMs(config) },
    log,
    ...(opts.lifecycle ? { lifecycle: opts.lifecycle } : {}),
    ...(opts.codecLink ? { codecLink: opts.codecLink } : {}),
  });
}

export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [...templateRoutes(deps), ...caseRoutes(deps), ...commandRoutes(deps), ...tokenRoutes(deps), ...documentRoutes(deps), ...portalLinkRoutes(deps), ...outboxRoutes(deps), ...notificationRoutes(deps), ...meRoutes(deps), ...reportRoutes(deps), ...auditRoutes(deps), ...batchRoutes(deps), ...codecRoutes(deps)];
}

const REDACTED = '[redacted]';

/** A URL's query string with the values of credential-named parameters, and of anything that looks like a token, redacted. */
function redactQueryString(url: string): string {
  return url.replace(/([?&])([^=&#]*)=([^&#]*)/g, (all, sep: string, name: string, value: string) => {
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // malformed percent-encoding: judge it as sent
    }
    return isCredentialParam(name) || looksLikeCredential(decoded) ? `${sep}${name}=${REDACTED}` : all;
  });
}

/** A copy of `values` (headers, a parsed query) with credentials redacted: by name (`isName`) or by the form of the value. */
function redactValues(values: Record<string, unknown>, isName: (name: string) => boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
    out[name] = isName(name) || (text !== undefined && looksLikeCredential(text)) ? REDACTED : value;
  }
  return out;
}

/**
 * Request log entries without credentials: bearer tokens, cookies and every credential-looking
 * header (`x-api-key`, `x-auth-token`, `proxy-authorization`…), credential query parameters
 * (`access_token`, `token`, `api_key`, `key`, `code`…) in the URL and the parsed query, and
 * portal tokens in paths. The logger also redacts tokens by their form from every line
 * (config/logger.ts): this catches what only its name betrays.
 */
function withoutCredentials(req: { url?: unknown; query?: unknown; headers?: Record<string, unknown> }) {
  const logged = { ...(portalLogSerializers.req(req) as typeof req) };
  if (typeof logged.url === 'string') logged.url = redactQueryString(logged.url);
  if (logged.query && typeof logged.query === 'object') logged.query = redactValues(logged.query as Record<string, unknown>, isCredentialParam);
  if (logged.headers) logged.headers = redactValues(logged.headers, isCredentialHeader);
  return logged;
}

/**
 * Response headers worth a log line. The security headers every response carries (helmet's
 * dozen, the CSP) are the same on every line and were most of its bytes and of its redaction work.
 */
const LOGGED_RESPONSE_HEADERS = ['content-type', 'content-length', 'location', 'retry-after', 'x-request-id', 'preference-applied', 'etag', 'set-cookie'];

function responseWithoutCredentials(res: { headers?: Record<string, unknown> }) {
  const logged = portalLogSerializers.res(res) as typeof res;
  if (!logged.headers) return logged;
  const kept: Record<string, unknown> = {};
  for (const name of LOGGED_RESPONSE_HEADERS) if (logged.headers[name] !== undefined) kept[name] = logged.headers[name];
  return { ...logged, headers: redactValues(kept, isCredentialHeader) };
}

/**
 * What a request's log line says besides the request: its id (bound when the request starts, so
 * every line of `req.log` has it) and, once it is answered, the case it was about and who sent it.
 */
function requestLogProps(req: IncomingMessage, res: ServerResponse): Record<string, unknown> {
  const locals = (res as ServerResponse & { locals?: { caseKey?: unknown; actor?: Actor } }).locals;
  if (!res.writableEnded && !res.destroyed) return { requestId: (req as IncomingMessage & { id?: unknown }).id };
  const actor = locals?.actor;
  return {
    ...(typeof locals?.caseKey === 'string' ? { caseKey: locals.caseKey } : {}),
    ...(actor ? { actor: { id: actor.id, kind: actor.kind } } : {}),
  };
}

/** Query parameters some route documents: a route's own `key` or `code` is not a misplaced credential. */
function documentedQueryNames(routes: AnyRoute[]): Set<string> {
  const names = new Set<string>();
  for (const route of routes) {
    const schema = route.query as { shape?: Record<string, unknown>; in?: { shape?: Record<string, unknown> } } | undefined;
    for (const name of Object.keys(schema?.shape ?? schema?.in?.shape ?? {})) names.add(name);
  }
  return names;
}

/**
 * Headers on every response (helmet): `nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy:
 * no-referrer`, cross-origin isolation, and a CSP that lets a JSON API's answers load nothing.
 * HSTS without includeSubDomains: other hosts of the domain are not this service's to decide.
 * /docs and the portal replace the CSP with their own.
 */
const securityHeaders = fixedHeaders(
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
  }),
);

/**
 * The headers a middleware sets, taken once and set on every response as they are: helmet's
 * are the same for every request here (no nonces), and running its dozen middlewares per request
 * was a measurable part of the API's time per command.
 */
function fixedHeaders(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void): RequestHandler {
  const headers: Array<[string, string | number | readonly string[]]> = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, value]);
      return recorder;
    },
    removeHeader(name: string) {
      const at = headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
      if (at >= 0) headers.splice(at, 1);
    },
  };
  let finished = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as IncomingMessage, recorder as unknown as ServerResponse, (err) => {
    if (err) throw err instanceof Error ? err : new Error(String(err));
    finished = true;
  });
  if (!finished) throw new Error('the security headers middleware did not finish synchronously');
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** Swagger UI: its own scripts and styles (it inlines some), data: images, and calls to this API (or PUBLIC_URL) from "Try it out". */
function docsContentSecurityPolicy(publicUrl: string | undefined): RequestHandler {
  const api = publicUrl && URL.canParse(publicUrl) ? ` ${new URL(publicUrl).origin}` : '';
  const policy = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${api}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return (_req, res, next) => {
    res.set('Content-Security-Policy', policy);
    next();
  };
}

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * `/metrics` on the API port: `Authorization: Bearer <METRICS_TOKEN>` (Prometheus), or the
 * credentials of an admin. With METRICS_PORT the API port does not serve it at all (api/run.ts).
 */
function metricsGuard(metricsToken: string | undefined, authenticate: Authenticate): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('Authorization');
    if (metricsToken && header !== undefined && sameSecret(header, `Bearer ${metricsToken}`)) return next();
    const actor = await authenticate(req);
    if (!actor) throw new Problem('unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN>, or an admin\'s token');
    if (!actor.roles.includes(ADMIN_ROLE)) throw new Problem('forbidden', 'Metrics need METRICS_TOKEN or the admin role');
    next();
  };
}

/** A bare app serving only the metrics, for METRICS_PORT (no token: the port is the protection). */
export function metricsApp(metrics: Registry): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });
  return app;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Express app: health, metrics, docs, and every /v1 route described in api/routes. `metrics` is its registry (for METRICS_PORT). */
export function createApp(appDeps: ApiDeps): express.Express & { metrics: Registry; flushAnswers: () => Promise<void> } {
  const caseMetrics = appDeps.metrics ?? new CaseMetrics();
  const deps: ApiDeps = { ...appDeps, metrics: caseMetrics };
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.set('query parser', 'extended');
  // First: the request's span (tracing on) and its id, which every log line written for it carries.
  if (deps.tracer) app.use(requestSpans(deps.tracer));
  app.use(requestCorrelation());

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
  registerOpenCasesGauges(metrics, () => openCasesByStage(deps.db), (err) => deps.log.warn({ err }, 'counting open cases for /metrics failed'));
  // What /metrics serves: the HTTP and process metrics above, and the business metrics (shared with the answer projection).
  const served = Registry.merge([metrics, caseMetrics.registry]);
  app.use((req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => end({ method: req.method, route: (req.route?.path as string | undefined) ?? 'unmatched', status: res.statusCode }));
    next();
  });
  app.use(
    pinoHttp({
      logger: deps.log,
      serializers: { req: withoutCredentials, res: responseWithoutCredentials },
      customProps: requestLogProps,
      autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    // A process shutting down is not ready: the load balancer stops sending it requests first.
    if (deps.lifecycle?.stopping) {
      res.status(503).set('Retry-After', '2').json({ status: 'shutting down', checks: {} });
      return;
    }
    const checks = await Promise.allSettled([
      withTimeout(pingDatabase(deps.db), 2000, 'database'),
      withTimeout(deps.temporal.healthService.check({}), 2000, 'temporal'),
    ]);
    const [db, temporal] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : `unavailable: ${(c.reason as Error).message}`));
    const ready = db === 'ok' && temporal === 'ok';
    if (!ready) res.set('Retry-After', '2');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { database: db, temporal } });
  });
  // While shutting down, requests still arriving on open connections are turned away.
  app.use((req, res, next) => {
    if (!deps.lifecycle?.stopping || req.path === '/healthz') return next();
    res.set('Connection', 'close');
    next(new Problem('shutting_down', 'This API process is shutting down; retry (another replica will answer)', { retryAfter: 1 }));
  });
  const routes = apiRoutes(deps);
  const limits = createRateLimits(deps);
  const authenticate = bearerAuthenticator(deps.db, {
    log: deps.log,
    ...(deps.config.OIDC_ISSUER ? { oidc: oidcVerifier(deps.config, deps.log) } : {}),
    ...(limits.authFailures ? { failures: limits.authFailures } : {}),
    documentedQuery: documentedQueryNames(routes),
  });
  if (deps.config.METRICS_PORT === undefined) {
    app.get('/metrics', metricsGuard(deps.config.METRICS_TOKEN, authenticate), async (_req, res) => {
      res.type(served.contentType).send(await served.metrics());
    });
  }

  const openapi = buildOpenApiDocument(routes, deps.config.PUBLIC_URL);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/docs', docsContentSecurityPolicy(deps.config.PUBLIC_URL), swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'Case orchestration API', swaggerOptions: { validatorUrl: null } }));

  // The external portal: HTML for people without an account, authenticated by the magic link's token.
  // Mounted before the /v1 router, whose JSON body rules would refuse its forms. Uploads count per link.
  app.use('/portal', limits.portalUploads, portalRouter(deps));

  // The team console: a browser app on the public /v1 API (same origin, its own CSP).
  const { CONSOLE_DIST, OIDC_ISSUER, OIDC_CONSOLE_CLIENT_ID, OIDC_CONSOLE_SCOPES } = deps.config;
  app.use(
    '/console',
    consoleRouter({
      ...(CONSOLE_DIST ? { prebuiltDir: CONSOLE_DIST } : {}),
      ...(OIDC_ISSUER && OIDC_CONSOLE_CLIENT_ID ? { sso: { issuer: OIDC_ISSUER, clientId: OIDC_CONSOLE_CLIENT_ID, scopes: OIDC_CONSOLE_SCOPES } } : {}),
    }),
  );

  // The Temporal UI calls the codec endpoints from its own origin: preflights are answered here,
  // before authentication (a browser sends no credentials with them). Credentials are allowed
  // because the UI may include them ("include cross-origin credentials"); with them the origin is
  // echoed exactly, never `*`.
  app.use(
    '/codec',
    cors({
      origin: deps.config.CODEC_CORS_ORIGINS,
      methods: ['POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
      credentials: true,
      maxAge: 600,
    }),
  );

  const v1 = express.Router();
  // Mounted at the root, so these run for every request outside the portal, unknown routes included.
  v1.use(refuseMalformedUrl);
  v1.use(express.json({ limit: deps.config.BODY_LIMIT, type: ['application/json', 'application/*+json'] }));
  v1.use(express.text({ limit: deps.config.BODY_LIMIT, type: YAML_TYPES }));
  // PostgreSQL cannot store NUL, and deep nesting can overflow a stack later: refuse both in the parsed body.
  v1.use(refuseFlawedBody);
  v1.use((req: Request, _res, next) => {
    // A body we cannot read must not be silently ignored.
    const hasBody = Number(req.get('Content-Length') ?? 0) > 0 || req.get('Transfer-Encoding') !== undefined;
    if (hasBody && req.body === undefined && ['POST', 'PUT', 'PATCH'].includes(req.method) && !isDocumentUpload(req)) {
      return next(new Problem('unsupported_media_type', `Send the body as application/json${req.path === '/v1/templates' ? ' or YAML' : ''}; got ${req.get('Content-Type') ?? 'no Content-Type'}`));
    }
    next();
  });
  const perActor = new PerActorLimit(deps.config.MAX_INFLIGHT_PER_ACTOR);
  for (const route of routes) mountRoute(v1, route, authenticate, perActor, limits);
  if (deps.codecLink) for (const route of codecLinkRoutes(deps)) mountRoute(v1, route, codecLinkAuthenticator(deps.codecLink), perActor, limits);
  app.use(v1);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return Object.assign(app, { metrics: served, flushAnswers: () => deps.cases.flushAnswers() });
}
