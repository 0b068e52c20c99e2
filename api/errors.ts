import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import { COUNT } from '../domain/limits';
import type { MissingCriteria, Rejection, RejectionCode } from '../domain/rejections';
import { isDatabaseUnavailable } from '../db/errors';
import { redactSecrets, safeError } from '../config/logger';

/** Stable error codes of the HTTP API; each maps to exactly one status. */
export const problemStatus = {
  // domain rejections
  invalid_command: 422,
  invalid_fields: 422,
  unknown_stage: 422,
  reason_required: 422,
  no_change: 422,
  forbidden: 403,
  transition_not_allowed: 409,
  case_not_open: 409,
  case_open: 409,
  already_in_stage: 409,
  task_not_found: 404,
  task_already_completed: 409,
  task_not_completed: 409,
  participant_not_found: 404,
  participant_exists: 409,
  unknown_slot: 404,
  document_not_found: 404,
  unsupported_content_type: 415,
  already_reviewed: 409,
  not_latest_version: 409,
  no_clock: 409,
  clock_paused: 409,
  clock_not_paused: 409,
  migration_blocked: 409,
  limit_exceeded: 422,
  command_too_large: 413,
  case_busy: 503,
  // transport and resources
  validation_failed: 422,
  invalid_template: 422,
  malformed_json: 400,
  /** Bad percent-encoding in the URL path, or a NUL (%00) in it. */
  malformed_uri: 400,
  /** A documented header (Idempotency-Key, Prefer) that is too long or holds a NUL. */
  invalid_header: 400,
  /** A body nested deeper than LOGIC.bodyDepth. */
  nesting_too_deep: 422,
  /** Any other 4xx a library refused the request with (an aborted or unreadable body, …). */
  bad_request: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  not_found: 404,
  case_not_found: 404,
  template_not_found: 404,
  notification_not_found: 404,
  view_not_found: 404,
  prefix_taken: 409,
  idempotency_key_reused: 422,
  payload_undecodable: 422,
  case_archived: 409,
  /** A bulk action or migration that does not exist or that the caller may not see. */
  batch_not_found: 404,
  /** Cancelling a bulk action or migration that has already finished. */
  batch_finished: 409,
  // documents and the portal
  malformed_multipart: 400,
  invalid_file_name: 400,
  unknown_document_template: 404,
  portal_link_not_found: 404,
  not_external_participant: 422,
  // availability and admission control (answered with Retry-After)
  /** Temporal or PostgreSQL cannot be reached (`dependency` says which); was `temporal_unavailable`. */
  dependency_unavailable: 503,
  case_unavailable: 503,
  overloaded: 503,
  shutting_down: 503,
  too_many_requests: 429,
  command_timeout: 504,
  start_timeout: 504,
  internal_error: 500,
} as const satisfies Record<RejectionCode | string, number>;

export type ProblemCode = keyof typeof problemStatus;

export interface ProblemFieldError {
  path: string;
  message: string;
}

type ProblemExtra = { errors?: ProblemFieldError[]; errorCount?: number; missing?: MissingCriteria; [key: string]: unknown };

/**
 * How much of the input a refusal may echo: a refusal must stay small and fast whatever was
 * sent (a PATCH with 50,000 unknown keys, a 1 MB string in a path), so lists are cut to
 * COUNT.problemsListed (with `errorCount` saying how many there were) and texts are clipped.
 */
export const PROBLEM_TEXT = { detail: 1000, path: 300, message: 300, instance: 500 } as const;

/** `text`, cut to `max` characters with an ellipsis when longer. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function boundedErrors(extra: ProblemExtra): ProblemExtra {
  const { errors, errorCount, ...rest } = extra;
  if (!errors) return extra;
  const listed = errors.slice(0, COUNT.problemsListed).map((e) => ({ path: clip(String(e.path), PROBLEM_TEXT.path), message: clip(String(e.message), PROBLEM_TEXT.message) }));
  const total = Math.max(errorCount ?? 0, errors.length);
  return { ...rest, errors: listed, ...(total > listed.length ? { errorCount: total } : {}) };
}

/** An error the API answers with an RFC 9457 problem document. */
export class Problem extends Error {
  readonly detail: string;
  readonly extra: ProblemExtra;

  constructor(
    readonly code: ProblemCode,
    detail: string,
    extra: ProblemExtra = {},
  ) {
    const bounded = clip(detail, PROBLEM_TEXT.detail);
    super(bounded);
    this.detail = bounded;
    this.extra = boundedErrors(extra);
  }

  get status(): number {
    return problemStatus[this.code];
  }

  static fromRejection(rejection: Rejection): Problem {
    const { code, detail, ...extra } = rejection;
    return new Problem(code, detail, extra);
  }

  /** Field errors of a zod failure; only the first COUNT.problemsListed are turned into text. Headers are a 400, the rest a 422. */
  static fromZod(error: z.ZodError, where: 'body' | 'query' | 'params' | 'headers' = 'body'): Problem {
    const errors = error.issues.slice(0, COUNT.problemsListed).map((issue) => ({
      path: clip(issue.path.map(String).join('.'), PROBLEM_TEXT.path) || where,
      message: clip(issue.message, PROBLEM_TEXT.message),
    }));
    const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    const more = error.issues.length > errors.length ? ` (and ${error.issues.length - errors.length} more)` : '';
    return new Problem(where === 'headers' ? 'invalid_header' : 'validation_failed', `The request ${where} ${where === 'headers' ? 'are' : 'is'} invalid: ${summary}${more}`, {
      errors,
      errorCount: error.issues.length,
    });
  }
}

const titles: Partial<Record<ProblemCode, string>> = {
  transition_not_allowed: 'Transition not allowed',
  forbidden: 'Forbidden',
  unauthorized: 'Unauthorized',
  validation_failed: 'Invalid request',
  invalid_template: 'Invalid template',
  malformed_json: 'Malformed JSON',
  payload_too_large: 'Payload too large',
  internal_error: 'Internal server error',
};

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().meta({ description: 'Stable machine-readable error code' }),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    errorCount: z.number().int().optional().meta({ description: `How many errors there were, when more than the ${COUNT.problemsListed} listed` }),
    missing: z
      .object({ fields: z.array(z.string()), documents: z.array(z.string()), tasks: z.array(z.string()) })
      .optional()
      .meta({ description: 'For transition_not_allowed: what the stage being left still needs' }),
  })
  .meta({ id: 'Problem' });

function problemBody(problem: Problem, instance: string, extra: ProblemExtra = problem.extra) {
  return {
    type: `urn:case-orchestrator:problem:${problem.code}`,
    title: titles[problem.code] ?? problem.code.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    // A URL can be as long as the server's header limit: it is echoed clipped, and without credentials sent in it.
    instance: clip(redactSecrets(instance), PROBLEM_TEXT.instance),
    ...extra,
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new Problem('not_found', `No route for ${req.method} ${req.path}`));
};

/** The 4xx status an error from a library carries (the router, body-parser, multer, http-errors), if any. */
export function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500 ? value : undefined;
}

const codeByStatus: Partial<Record<number, ProblemCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** Seconds a client should wait before retrying, when the problem does not say. */
const DEFAULT_RETRY_AFTER: Partial<Record<number, number>> = { 429: 1, 503: 2, 504: 2 };

/** Logs a dependency outage once per interval, not once per request that meets it. */
function throttled(intervalMs: number) {
  const last = new Map<string, number>();
  return (key: string) => {
    const now = Date.now();
    if (now - (last.get(key) ?? 0) < intervalMs) return false;
    last.set(key, now);
    return true;
  };
}

/**
 * A library's 4xx as a problem: the router's failed percent-decoding of a path parameter
 * (URIError, status 400) is `malformed_uri`; other statuses keep their code, or become
 * `bad_request`. Never a 500: the client sent something wrong and nothing was done.
 */
function fromClientError(err: Error, status: number): Problem {
  if (err instanceof URIError) return new Problem('malformed_uri', 'The URL path has malformed percent-encoding');
  return new Problem(codeByStatus[status] ?? 'bad_request', `The request was refused: ${String(err.message)}`);
}

/** The one place errors become HTTP answers: problem+json, never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  const logOutage = throttled(10_000);
  return (err, req, res, _next) => {
    let problem: Problem;
    const clientStatus = clientErrorStatus(err);
    if (err instanceof Problem) problem = err;
    else if (isDatabaseUnavailable(err)) {
      if (logOutage('database')) log.error({ err: safeError(err) }, 'database unavailable');
      problem = new Problem('dependency_unavailable', 'The database is unreachable; try again shortly', { dependency: 'database' });
    }
    else if (err instanceof z.ZodError) problem = Problem.fromZod(err);
    else if (err?.type === 'entity.parse.failed') problem = new Problem('malformed_json', `The body is not valid JSON: ${err.message}`);
    else if (err?.type === 'entity.too.large') problem = new Problem('payload_too_large', `The body exceeds the limit of ${err.limit} bytes`);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') {
      problem = new Problem('unsupported_media_type', err.message);
    } else if (clientStatus !== undefined && err instanceof Error) {
      problem = fromClientError(err, clientStatus);
    } else {
      // Never the error as thrown: a failed query carries its parameters (values, tokens) in its message.
      log.error({ err: safeError(err), path: req.path }, 'unhandled error');
      problem = new Problem('internal_error', 'Something went wrong on our side; it has been logged.');
    }
    if (problem.status >= 500 && problem.code !== 'internal_error' && logOutage(`${problem.code}:${String(problem.extra.dependency ?? problem.extra.caseKey ?? '')}`)) {
      log.warn({ code: problem.code, detail: problem.detail }, 'request failed');
    }
    // Retry-After and Location travel as headers, not in the body.
    const { retryAfter, location, ...extra } = problem.extra;
    const wait = typeof retryAfter === 'number' ? retryAfter : DEFAULT_RETRY_AFTER[problem.status];
    if (wait !== undefined) res.set('Retry-After', String(wait));
    if (typeof location === 'string') res.set('Location', location);
    // RFC 6750: a 401 names the scheme it expects.
    if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer realm="case-orchestrator"');
    res.status(problem.status).type('application/problem+json').json(problemBody(problem, req.originalUrl, extra));
  };
}
