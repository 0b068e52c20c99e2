/**
 * The request id (and trace context) of the message a case workflow is handling, from Temporal
 * headers: the API's client interceptor writes them, workflows/interceptors.ts reads them around
 * each handler, CaseRun records them with the effects the message asks for, and the outbound
 * interceptor hands them to the activities those effects run in. Module state is per workflow
 * (each workflow has its own copy of its modules) and derives from the history only (headers are
 * recorded with the start, the update and the signal), so it is the same on replay.
 */
import { defaultPayloadConverter, type Headers, type Payload } from '@temporalio/common';
import { isRequestId, type Cause } from '../domain/correlation';

/** Temporal header with the request id (`X-Request-Id`) of the HTTP request that sent a message or caused an activity. */
export const REQUEST_ID_HEADER = 'requestId';

/**
 * The header in which `@temporalio/interceptors-opentelemetry` carries the W3C trace context
 * (its `TRACE_HEADER`; test/workflows/correlation.test.ts checks the two stay equal). Named here
 * so the workflow bundle does not load OpenTelemetry when tracing is off.
 */
export const TRACE_HEADER = '_tracer-data';

/** The W3C trace-context keys worth keeping with an effect, and how long each may be. */
const TRACE_KEYS: Record<string, number> = { traceparent: 55, tracestate: 512 };

function decode(payload: Payload | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    // A header some other client wrote in a form we do not read: not ours to fail on.
    return undefined;
  }
}

/** The header carrying a request id, for a client or a workflow to send with a message or an activity. */
export function requestIdHeader(requestId: string): Headers {
  return { [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) };
}

/** The request id in headers, if one is there and well-formed (any client may send headers). */
export function requestIdFrom(headers: Headers): string | undefined {
  const value = decode(headers[REQUEST_ID_HEADER]);
  return isRequestId(value) ? value : undefined;
}

/** What caused a message: its request id and trace context, if its sender gave them. */
export function causeFrom(headers: Headers): Cause | undefined {
  const requestId = requestIdFrom(headers);
  const carrier = decode(headers[TRACE_HEADER]);
  let trace: Record<string, string> | undefined;
  if (carrier && typeof carrier === 'object') {
    for (const [key, max] of Object.entries(TRACE_KEYS)) {
      const value = (carrier as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.length <= max) (trace ??= {})[key] = value;
    }
  }
  if (!requestId && !trace?.traceparent) return undefined;
  return { ...(requestId ? { requestId } : {}), ...(trace?.traceparent ? { trace } : {}) };
}

/**
 * Headers for an activity run on behalf of `cause`: its request id, and — when the worker traces
 * (the OpenTelemetry interceptor has put its header on) — its trace context in place of the
 * workflow's, so the activity's span joins the trace of the request that caused it.
 */
export function causeHeaders(headers: Headers, cause: Cause): Headers {
  const out: Headers = { ...headers };
  if (cause.requestId) out[REQUEST_ID_HEADER] = defaultPayloadConverter.toPayload(cause.requestId);
  if (cause.trace && headers[TRACE_HEADER]) out[TRACE_HEADER] = defaultPayloadConverter.toPayload(cause.trace);
  return out;
}

let current: Cause | undefined;

/** The cause of the message being handled, or of the effect being run, if any. */
export function currentCause(): Cause | undefined {
  return current;
}

/**
 * Runs `fn` with `cause` as the current cause. Only the synchronous part of `fn` sees it: handlers
 * record it with what they ask for (effects) before their first await, which keeps this exact.
 */
export function withCause<T>(cause: Cause | undefined, fn: () => T): T {
  if (cause === current) return fn();
  const previous = current;
  current = cause;
  try {
    return fn();
  } finally {
    current = previous;
  }
}
