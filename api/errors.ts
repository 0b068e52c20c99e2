import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { MissingCriteria, Rejection, RejectionCode } from '../domain/rejections';

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
  // transport and resources
  validation_failed: 422,
  invalid_template: 422,
  malformed_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  not_found: 404,
  case_not_found: 404,
  template_not_found: 404,
  notification_not_found: 404,
  prefix_taken: 409,
  idempotency_key_reused: 422,
  case_archived: 409,
  // documents and the portal
  malformed_multipart: 400,
  invalid_file_name: 400,
  unknown_document_template: 404,
  portal_link_not_found: 404,
  not_external_participant: 422,
  temporal_unavailable: 503,
  internal_error: 500,
} as const satisfies Record<RejectionCode | string, number>;

export type ProblemCode = keyof typeof problemStatus;

export interface ProblemFieldError {
  path: string;
  message: string;
}

/** An error the API answers with an RFC 9457 problem document. */
export class Problem extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { errors?: ProblemFieldError[]; missing?: MissingCriteria; [key: string]: unknown } = {},
  ) {
    super(detail);
  }

  get status(): number {
    return problemStatus[this.code];
  }

  static fromRejection(rejection: Rejection): Problem {
    const { code, detail, ...extra } = rejection;
    return new Problem(code, detail, extra);
  }

  static fromZod(error: z.ZodError, where: 'body' | 'query' | 'params' = 'body'): Problem {
    const errors = error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || where,
      message: issue.message,
    }));
    const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return new Problem('validation_failed', `The request ${where} is invalid: ${summary}`, { errors });
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
    missing: z
      .object({ fields: z.array(z.string()), documents: z.array(z.string()), tasks: z.array(z.string()) })
      .optional()
      .meta({ description: 'For transition_not_allowed: what the stage being left still needs' }),
  })
  .meta({ id: 'Problem' });

function problemBody(problem: Problem, instance: string) {
  return {
    type: `urn:case-orchestrator:problem:${problem.code}`,
    title: titles[problem.code] ?? problem.code.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    instance,
    ...problem.extra,
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new Problem('not_found', `No route for ${req.method} ${req.path}`));
};

/** The one place errors become HTTP answers: problem+json, never a stack trace. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: Problem;
    if (err instanceof Problem) problem = err;
    else if (err instanceof z.ZodError) problem = Problem.fromZod(err);
    else if (err?.type === 'entity.nul') problem = new Problem('validation_failed', err.message, { errors: [{ path: 'body', message: 'NUL characters are not allowed' }] });
    else if (err?.type === 'entity.parse.failed') problem = new Problem('malformed_json', `The body is not valid JSON: ${err.message}`);
    else if (err?.type === 'entity.too.large') problem = new Problem('payload_too_large', `The body exceeds the limit of ${err.limit} bytes`);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') {
      problem = new Problem('unsupported_media_type', err.message);
    } else {
      log.error({ err, path: req.path }, 'unhandled error');
      problem = new Problem('internal_error', 'Something went wrong on our side; it has been logged.');
    }
    if (problem.status >= 500 && problem.code !== 'internal_error') log.warn({ code: problem.code, detail: problem.detail }, 'request failed');
    res.status(problem.status).type('application/problem+json').json(problemBody(problem, req.originalUrl));
  };
}
