/**
 * Correlation: the id of the HTTP request (`X-Request-Id`) that caused something, carried from the
 * API through Temporal to the workflow and the activities it leads to, so one id finds every log
 * line of one request. Shared by the API (which validates it) and the workflow (which guards what
 * other clients may have sent).
 */

/** Longest request id taken from a client; a longer one is replaced by a generated id. */
export const REQUEST_ID_MAX_LENGTH = 128;

/**
 * Letters, digits and the punctuation of common id formats (UUIDs, ULIDs, base64, `Root=1-…`):
 * nothing that could break a log line, a header or a query (no spaces, quotes, control characters).
 */
const REQUEST_ID = /^[A-Za-z0-9._:/+=@-]+$/;

/** Whether a client's request id can be logged and passed on as it is. */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= REQUEST_ID_MAX_LENGTH && REQUEST_ID.test(value);
}

/**
 * What caused a message or an effect: the request id, and the W3C trace context of the request
 * (`traceparent`, `tracestate`) when tracing is on. The workflow records it with each effect, so
 * the e-mail or webhook that a command causes later, in the workflow's own loop, carries the id
 * of that command, across continue-as-new too.
 */
export interface Cause {
  requestId?: string;
  trace?: Record<string, string>;
}
