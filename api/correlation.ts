/**
 * Request ids and traces of HTTP requests. Every request gets an id: the client's `X-Request-Id`
 * when it is well-formed (domain/correlation.ts), else the trace id of the request's trace (its
 * W3C `traceparent`, or the span the API opened), else a new UUID. The answer echoes it in
 * `X-Request-Id`; every log line written for the request carries it (config/log-context.ts), and
 * the Temporal client sends it with each start, update and signal (a header the workflow and
 * its activities log under the same id).
 */
import { randomUUID } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { Headers, Next, WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { Request, RequestHandler } from 'express';
import { currentLogContext, withLogContext } from '../config/log-context';
import { isRequestId } from '../domain/correlation';
import { requestIdHeader } from '../workflows/correlation';

export const REQUEST_ID_RESPONSE_HEADER = 'X-Request-Id';

/** W3C trace context, version 00 (and later versions' first four fields): the trace id, unless it is invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The trace id of a `traceparent` header, or undefined when it is not a valid one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  return traceId;
}

/** The id a request is known by (see above). */
export function requestIdOf(req: Request): string {
  const given = req.get('X-Request-Id');
  if (isRequestId(given)) return given;
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) ? span.traceId : (traceIdOf(req.get('traceparent')) ?? randomUUID());
}

/** Gives each request its id: echoed in `X-Request-Id`, set as `req.id` (pino-http logs it), on every log line written for it. */
export function requestCorrelation(): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdOf(req);
    (req as Request & { id?: unknown }).id = requestId;
    res.set(REQUEST_ID_RESPONSE_HEADER, requestId);
    withLogContext({ requestId }, next);
  };
}

/**
 * A span per HTTP request (tracing on): the child of the client's `traceparent` when it sent one,
 * named after the route once it is known, with the status and the case key. Whatever the request
 * does runs inside it, so the Temporal client's spans are its children.
 */
export function requestSpans(tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } }, parent);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = (req.route?.path as string | undefined) ?? undefined;
      if (route) span.updateName(`${req.method} ${route}`).setAttribute('http.route', route);
      const caseKey = (res.locals as { caseKey?: unknown }).caseKey;
      if (typeof caseKey === 'string') span.setAttribute('case.key', caseKey);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}

/** `headers` plus the request id of the request being served, if any. */
function withRequestId(headers: Headers): Headers {
  const requestId = currentLogContext()?.requestId;
  return requestId ? { ...headers, ...requestIdHeader(requestId) } : headers;
}

/** Sends the request id of the request being served with every start, update and signal (a Temporal header). */
export const correlationClientInterceptor: WorkflowClientInterceptor = {
  start: (input, next: Next<WorkflowClientInterceptor, 'start'>) => next({ ...input, headers: withRequestId(input.headers) }),
  startWithDetails: (input, next: Next<WorkflowClientInterceptor, 'startWithDetails'>) => next({ ...input, headers: withRequestId(input.headers) }),
  startUpdate: (input, next: Next<WorkflowClientInterceptor, 'startUpdate'>) => next({ ...input, headers: withRequestId(input.headers) }),
  startUpdateWithStart: (input, next: Next<WorkflowClientInterceptor, 'startUpdateWithStart'>) =>
    next({ ...input, workflowStartHeaders: withRequestId(input.workflowStartHeaders), updateHeaders: withRequestId(input.updateHeaders) }),
  signal: (input, next: Next<WorkflowClientInterceptor, 'signal'>) => next({ ...input, headers: withRequestId(input.headers) }),
  signalWithStart: (input, next: Next<WorkflowClientInterceptor, 'signalWithStart'>) => next({ ...input, headers: withRequestId(input.headers) }),
};

/** The interceptors of the API's Temporal client: OpenTelemetry's (tracing on) and the request id's. */
export function caseClientInterceptors(tracing: boolean): WorkflowClientInterceptor[] {
  return [...(tracing ? [new OpenTelemetryWorkflowClientInterceptor()] : []), correlationClientInterceptor];
}
