import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Actor } from '../domain/actor';
import type { PerActorLimit } from './admission';
import { runMiddleware, type RateLimits } from './rate-limit';
import { safeError } from '../config/logger';
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

export interface BodyReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends raw content instead of JSON (e.g. the OpenAPI YAML); body must be a string. */
  contentType?: string;
}

/** The handler wrote the response itself (`streamResponse`): mountRoute does nothing more. */
export interface StreamedReply {
  streamed: true;
}

export type Reply = BodyReply | StreamedReply;

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
  /** The operation's name in OpenAPI: what generated clients call the method (`advanceCase`). */
  operationId: string;
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
  /**
   * `schema` documents an application/json answer; `content` documents other media types the
   * route may answer with instead (content negotiation, streamed exports), each with its schema.
   */
  responses: Record<number, { description: string; schema?: z.ZodType; content?: Record<string, z.ZodType> }>;
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
    // The case the request is about, for its log line and span (a start sets it once the key is known).
    if (route.path.startsWith('/v1/cases/:id') && typeof req.params.id === 'string') res.locals.caseKey = req.params.id;
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
    let reply: Reply;
    try {
      reply = await route.handler({ params, query, body, headers, actor: actor as Actor, req, res });
    } catch (err) {
      // Before the first byte, a problem+json answer (the error handler); after it, the status is
      // gone: cut the response off, so the client sees a truncated body rather than a short one.
      if (!res.headersSent) throw err;
      abortResponse(req, res, err);
      return;
    }
    if ('streamed' in reply) return;
    if (reply.headers) res.set(reply.headers);
    res.status(reply.status ?? 200);
    if (reply.contentType) res.type(reply.contentType).send(reply.body);
    else if (reply.body === undefined) res.end();
    else if (req.method === 'GET' || req.method === 'HEAD') res.json(reply.body);
    else sendJson(res, reply.body);
  });
}

/**
 * The JSON answer to a change (POST, PUT, PATCH, DELETE), written as it is. Express's `res.json`
 * also derives a weak ETag from the body and checks the request's freshness, which only a GET can
 * use (If-None-Match, 304); with its header handling that was ~0.2 ms of a command's ~3 ms in the
 * API (in-process timing, 300 sequential commands). GETs keep `res.json`.
 */
function sendJson(res: Response, body: unknown): void {
  const text = JSON.stringify(body);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** A response that failed after its first byte: logged, and the connection dropped (no clean end). */
function abortResponse(req: Request, res: Response, err: unknown): void {
  // pino-http's request logger (typed loosely: the console's type check does not load pino-http).
  (req as { log?: { error(obj: object, msg: string): void } }).log?.error({ err: safeError(err), path: req.path }, 'streamed response failed after its first byte');
  res.destroy();
}

/** Resolves when the response can take more (`drain`) or will take nothing more (`close`). */
function writable(res: Response): Promise<void> {
  // Already gone: 'close' will not come again.
  if (res.destroyed || res.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams `body` as the response, with back-pressure: each chunk is written when the previous one
 * was taken (`drain` whenever `write` says the buffer is full), so memory holds one chunk whatever
 * the size of the whole. The first chunk is produced before anything is sent, so a failure there
 * (a database that is down, a bad parameter found late) is still a problem+json answer; a failure
 * later ends the response abruptly (mountRoute). A client that goes away stops the stream:
 * `body` is closed (its `finally` runs) and nothing more is read.
 */
export async function streamResponse(
  res: Response,
  opts: { contentType: string; headers?: Record<string, string>; status?: number; body: AsyncIterable<string> },
): Promise<StreamedReply> {
  const chunks = opts.body[Symbol.asyncIterator]();
  let next = await chunks.next();
  let gone = false;
  const onClose = () => {
    gone = true;
  };
  res.once('close', onClose);
  try {
    if (opts.headers) res.set(opts.headers);
    res.status(opts.status ?? 200).type(opts.contentType);
    for (;;) {
      if (gone || res.destroyed) return { streamed: true };
      if (next.done) break;
      if (!res.write(next.value)) await writable(res);
      if (gone || res.destroyed) return { streamed: true };
      next = await chunks.next();
    }
    res.end();
    return { streamed: true };
  } finally {
    res.off('close', onClose);
    // Left early (client gone, or a failure): let the producer release what it holds.
    if (!next.done) await chunks.return?.();
  }
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

export function documentRoute(registry: OpenAPIRegistry, route: AnyRoute): void {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const content: Record<string, { schema: z.ZodType }> = {};
    if (r.schema) content['application/json'] = { schema: r.schema };
    for (const [type, schema] of Object.entries(r.content ?? {})) content[type] = { schema };
    responses[status] = Object.keys(content).length > 0 ? { description: r.description, content } : { description: r.description };
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
    operationId: route.operationId,
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
