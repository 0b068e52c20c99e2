import { Client, type Connection } from '@temporalio/client';
import express, { type Request } from 'express';
import type { Logger } from 'pino';
import { caseRetentionMs, type Config } from '../config/env';
import type { Database } from '../db/connection';
import { CaseClient, caseClientOptions } from './case-client';
import pinoHttp from 'pino-http';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import swaggerUi from 'swagger-ui-express';
import { pingDatabase } from '../db/connection';
import { PerActorLimit } from './admission';
import { bearerAuthenticator } from './auth';
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
import { portalLogSerializers, portalRouter } from './portal/router';

/** The app as both run modes configure it: a Temporal connection and the database, per the environment. */
export function createAppFromConfig(opts: { connection: Connection; db: Database; config: Config; log: Logger; lifecycle?: Lifecycle }) {
  const { connection, db, config, log } = opts;
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  return createApp({
    db,
    cases: new CaseClient(client, config.TEMPORAL_TASK_QUEUE, caseClientOptions(config, log)),
    temporal: connection,
    config: { ...config, archiveAfterMs: caseRetentionMs(config) },
    log,
    ...(opts.lifecycle ? { lifecycle: opts.lifecycle } : {}),
  });
}

export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [...templateRoutes(deps), ...caseRoutes(deps), ...commandRoutes(deps), ...tokenRoutes(deps), ...documentRoutes(deps), ...portalLinkRoutes(deps), ...outboxRoutes(deps), ...notificationRoutes(deps)];
}

/** Request log entries without bearer tokens or cookies (credentials) and without portal tokens. */
function withoutCredentials(req: { url?: unknown; headers?: Record<string, unknown> }) {
  const logged = portalLogSerializers.req(req) as typeof req;
  if (!logged.headers) return logged;
  const headers = { ...logged.headers };
  for (const name of ['authorization', 'cookie']) if (headers[name] !== undefined) headers[name] = '[redacted]';
  return { ...logged, headers };
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

/** The Express app: health, metrics, docs, and every /v1 route described in api/routes. */
export function createApp(deps: ApiDeps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.set('query parser', 'extended');

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics],
  });
  app.use((req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => end({ method: req.method, route: (req.route?.path as string | undefined) ?? 'unmatched', status: res.statusCode }));
    next();
  });
  app.use(
    pinoHttp({
      logger: deps.log,
      serializers: { req: withoutCredentials, res: portalLogSerializers.res },
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
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  const routes = apiRoutes(deps);
  const openapi = buildOpenApiDocument(routes, deps.config.PUBLIC_URL);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'Case orchestration API' }));

  // The external portal: HTML for people without an account, authenticated by the magic link's token.
  // Mounted before the /v1 router, whose JSON body rules would refuse its forms.
  app.use('/portal', portalRouter(deps));

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
  const authenticate = bearerAuthenticator(deps.db);
  const perActor = new PerActorLimit(deps.config.MAX_INFLIGHT_PER_ACTOR);
  for (const route of routes) mountRoute(v1, route, authenticate, perActor);
  app.use(v1);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
