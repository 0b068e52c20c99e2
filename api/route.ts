import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../domain/actor';
import type { PerActorLimit } from './admission';
import { runMiddleware, type RateLimits } from './rate-limit';
import { Problem, problemSchema, type ProblemCode } from './errors';

type AnyObject = z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodType>;

export interface HandlerContext<P, Q, B, H = Record<string, never>> {
  params: P;
  query: Q;
  body: B;
  /** The documented headers (`headers` of the route), validated, by lower-case name. */
  headers: H;
  actor: Actor;
  req: Request;
  res: Response;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends raw content instead of JSON (e.g. the OpenAPI YAML); body must be a string. */
  contentType?: string;
}

/**
 * One HTTP endpoint described once: its zod schemas validate the request, document it in
 * OpenAPI, and type the handler. Routes stay thin: parse, call one function, reply.
 */
export interface RouteDefinition<
  P extends AnyObject | undefined,
  Q extends AnyObject | undefined,
  B extends z.ZodType | undefined,
  H extends z.ZodObject | undefined = undefined,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path, e.g. `/v1/cases/:id/advance`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Documented request body that the handler validates itself (e.g. templates report every problem). */
  rawBody?: z.ZodType;
  /** Extra request content types accepted besides JSON, documented as alternatives (e.g. YAML). */
  bodyContentTypes?: string[];
  /** Documented multipart/form-data body that the handler reads itself (file uploads). */
  multipart?: z.ZodType;
  /** Headers the endpoint honours, by lower-case name: documented, validated (400 invalid_header) and handed to the handler. */
  headers?: H;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Problem codes this endpoint may answer with, for the OpenAPI document. */
  problems?: ProblemCode[];
  public?: boolean;
  handler: (
    ctx: HandlerContext<
      P extends AnyObject ? z.output<P> : Record<string, never>,
      Q extends AnyObject ? z.output<Q> : Record<string, never>,
      B extends z.ZodType ? z.output<B> : undefined,
      H extends z.ZodObject ? z.output<H> : Record<string, never>
    >,
  ) => Promise<Reply>;
}

export function defineRoute<
  P extends AnyObject | undefined,
  Q extends AnyObject | undefined,
  B extends z.ZodType | undefined,
  H extends z.ZodObject | undefined = undefined,
>(route: RouteDefinition<P, Q, B, H>): RouteDefinition<P, Q, B, H> {
  return route;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any, any>;

function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw Problem.fromZod(result.error, where);
  return result.data;
}

/** The request's values of the headers a schema names. Node lower-cases header names, so any spelling matches. */
function headersOf(req: Request, schema: z.ZodObject): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = req.headers[name.toLowerCase()];
    values[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return values;
}

/**
 * Mounts a route: authenticate, count the request against its actor's rate-limit budget (the
 * route's class by method and path: api/rate-limit.ts), take an in-flight slot, validate, handle.
 */
export function mountRoute(
  router: Router,
  route: AnyRoute,
  authenticate: (req: Request) => Promise<Actor | undefined>,
  perActor?: PerActorLimit,
  rateLimits?: Pick<RateLimits, 'forRoute'>,
): void {
  const limiter = rateLimits?.forRoute(route.method, route.path);
  router[route.method](route.path, async (req, res) => {
    const actor = await authenticate(req);
    if (!actor && !route.public) throw new Problem('unauthorized', 'Send Authorization: Bearer <token> with a valid API token');
    res.locals.actor = actor;
    if (limiter) await runMiddleware(limiter, req, res);
    if (actor && perActor) {
      // One client may not hold every slot: its requests beyond the limit are refused, not queued.
      const release = perActor.enter(actor.id);
      if (!release) throw new Problem('too_many_requests', `${perActor.limit} of your requests are already in flight; retry when one has finished`, { retryAfter: 1 });
      res.once('close', release);
    }
    const params = route.params ? parse(route.params, req.params, 'params') : {};
    const query = route.query ? parse(route.query, req.query, 'query') : {};
    const headers = route.headers ? parse(route.headers, headersOf(req, route.headers), 'headers') : {};
    let body: unknown;
    if (route.body) {
      const missing = req.body === undefined && !route.body.safeParse(undefined).success;
      if (missing) throw new Problem('validation_failed', 'The request needs a JSON body', { errors: [{ path: 'body', message: 'required' }] });
      body = parse(route.body, req.body, 'body');
    }
    const reply = await route.handler({ params, query, body, headers, actor: actor as Actor, req, res });
    if (reply.headers) res.set(reply.headers);
    res.status(reply.status ?? 200);
    if (reply.contentType) res.type(reply.contentType).send(reply.body);
    else if (reply.body === undefined) res.end();
    else res.json(reply.body);
  });
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

export function documentRoute(registry: OpenAPIRegistry, route: AnyRoute): void {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: r.schema } } } : { description: r.description };
  }
  const problemsByStatus = new Map<number, ProblemCode[]>();
  // Any route may meet an unreachable dependency or a process shutting down; an authenticated one, its per-client limit.
  const codes: ProblemCode[] = [
    ...(route.problems ?? []),
    'dependency_unavailable',
    'shutting_down',
    ...(route.public ? [] : (['unauthorized', 'too_many_requests'] as const)),
  ];
  if (route.body || route.query || route.params) codes.push('validation_failed');
  if (route.params) codes.push('malformed_uri');
  if (route.headers) codes.push('invalid_header');
  if (route.body || route.rawBody) codes.push('malformed_json', 'payload_too_large', 'nesting_too_deep');
  if (route.multipart) codes.push('malformed_multipart', 'payload_too_large', 'unsupported_media_type');
  for (const code of codes) {
    const status = new Problem(code, '').status;
    problemsByStatus.set(status, [...new Set([...(problemsByStatus.get(status) ?? []), code])]);
  }
  for (const [status, list] of problemsByStatus) {
    responses[String(status)] = {
      description: `Problem: ${list.join(', ')}`,
      content: { 'application/problem+json': { schema: problemSchema } },
    };
  }
  const content: Record<string, { schema: z.ZodType }> = {};
  const bodySchema = route.body ?? route.rawBody;
  if (bodySchema) {
    content['application/json'] = { schema: bodySchema };
    for (const type of route.bodyContentTypes ?? []) content[type] = { schema: bodySchema };
  }
  if (route.multipart) content['multipart/form-data'] = { schema: route.multipart };
  registry.registerPath({
    method: route.method,
    path: toOpenApiPath(route.path),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    ...(route.public ? { security: [] } : {}),
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.headers ? { headers: route.headers } : {}),
      ...(bodySchema || route.multipart ? { body: { required: true, content } } : {}),
    },
    responses,
  });
}
