import {
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Rejection } from '../domain/rejections';
import { COMMAND_REJECTED } from '../workflows/messages';

/**
 * What a failed Temporal call means for the API, decided by the error's class and its gRPC
 * status (never by matching message text, which the server may reword):
 * - `rejected`: the case refused the command (its validator or handler), with the domain reason;
 * - `not_found`: no such workflow (or, for an update, one that has completed);
 * - `already_started`: a start of a case key that exists;
 * - `workflow_task_failing`: FAILED_PRECONDITION — the case's workflow task is failing, no worker
 *   polls its queue, or an update was dropped by a failed task (worth resending once or twice);
 * - `update_not_handled`: the workflow has no handler for the update's name (a run on older code:
 *   the SDK rejects it with a plain `Error`-typed ApplicationFailure, which no handler here throws);
 * - `busy`: RESOURCE_EXHAUSTED — too many updates in flight on the workflow, or a rate limit;
 * - `timeout`: DEADLINE_EXCEEDED or cancelled — the server or the case did not answer in time
 *   (which one is not knowable from the error: the caller probes the server);
 * - `unavailable`: UNAVAILABLE — the server cannot be reached;
 * - `query_not_registered`: the workflow does not know the query (an older worker);
 * - `unknown`: anything else (a bug: answered 500 and logged).
 */
export type TemporalErrorKind =
  | 'rejected'
  | 'update_not_handled'
  | 'not_found'
  | 'already_started'
  | 'workflow_task_failing'
  | 'busy'
  | 'timeout'
  | 'unavailable'
  | 'query_not_registered'
  | 'unknown';

export interface ClassifiedTemporalError {
  kind: TemporalErrorKind;
  /** The domain refusal, for `rejected`. */
  rejection?: Rejection;
  /** The gRPC status found on the error or its causes, if any. */
  grpcCode?: number;
}

/** gRPC status codes (fixed by the gRPC spec) that the API tells apart. */
export const grpcStatus = { CANCELLED: 1, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, UNAVAILABLE: 14 } as const;

/** The gRPC status code on an error or anywhere down its `cause` chain. */
export function grpcCodeOf(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && code >= 0 && code <= 16) return code;
  }
  return undefined;
}

export function classifyTemporalError(err: unknown): ClassifiedTemporalError {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === COMMAND_REJECTED) {
    const rejection = err.cause.details?.[0] as Rejection | undefined;
    if (rejection?.code) return { kind: 'rejected', rejection };
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === 'Error') return { kind: 'update_not_handled' };
  if (err instanceof WorkflowNotFoundError) return { kind: 'not_found' };
  if (err instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'already_started' };
  const grpcCode = grpcCodeOf(err);
  if (err instanceof QueryNotRegisteredError) return { kind: 'query_not_registered', ...(grpcCode !== undefined ? { grpcCode } : {}) };
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { kind: 'timeout', ...(grpcCode !== undefined ? { grpcCode } : {}) };
  switch (grpcCode) {
    case grpcStatus.FAILED_PRECONDITION:
      return { kind: 'workflow_task_failing', grpcCode };
    case grpcStatus.RESOURCE_EXHAUSTED:
      return { kind: 'busy', grpcCode };
    case grpcStatus.DEADLINE_EXCEEDED:
    case grpcStatus.CANCELLED:
      return { kind: 'timeout', grpcCode };
    case grpcStatus.UNAVAILABLE:
      return { kind: 'unavailable', grpcCode };
    case grpcStatus.NOT_FOUND:
      return { kind: 'not_found', grpcCode };
    default:
      return { kind: 'unknown', ...(grpcCode !== undefined ? { grpcCode } : {}) };
  }
}
