import {
  QueryNotRegisteredError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { classifyTemporalError, grpcStatus } from '../../api/temporal-errors';
import { COMMAND_REJECTED } from '../../workflows/messages';

/** A ServiceError the way the client throws one: the gRPC error (with its status code) as the cause. */
function serviceError(code: number, details = 'whatever the server says') {
  return new ServiceError('Failed', { cause: Object.assign(new Error(`${code} ${details}`), { code, details }) });
}

describe('classifyTemporalError', () => {
  test('by class', () => {
    const rejection = { code: 'forbidden', detail: 'no' };
    const rejected = new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: COMMAND_REJECTED, message: 'no', details: [rejection] }));
    expect(classifyTemporalError(rejected)).toEqual({ kind: 'rejected', rejection });
    // What the SDK answers an update whose name the run has no handler for (older code).
    const unhandled = new WorkflowUpdateFailedError('update failed', ApplicationFailure.nonRetryable('No registered handler for update: advance'));
    expect(classifyTemporalError(unhandled)).toEqual({ kind: 'update_not_handled' });
    expect(classifyTemporalError(new WorkflowNotFoundError('gone', 'case-X-1', undefined)).kind).toBe('not_found');
    expect(classifyTemporalError(new WorkflowExecutionAlreadyStartedError('dup', 'case-X-1', 'caseWorkflow')).kind).toBe('already_started');
    expect(classifyTemporalError(new WorkflowUpdateRPCTimeoutOrCancelledError('slow', { cause: Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4 }) })).kind).toBe('timeout');
    expect(classifyTemporalError(new QueryNotRegisteredError('unknown query', 3)).kind).toBe('query_not_registered');
  });

  test('by gRPC status, whatever the message says', () => {
    expect(classifyTemporalError(serviceError(grpcStatus.FAILED_PRECONDITION, 'Workflow Task in failed state')).kind).toBe('workflow_task_failing');
    expect(classifyTemporalError(serviceError(grpcStatus.FAILED_PRECONDITION, 'unexpected workflow task failure')).kind).toBe('workflow_task_failing');
    expect(classifyTemporalError(serviceError(grpcStatus.FAILED_PRECONDITION, 'no poller seen')).kind).toBe('workflow_task_failing');
    expect(classifyTemporalError(serviceError(grpcStatus.UNAVAILABLE, 'reworded by a new server')).kind).toBe('unavailable');
    expect(classifyTemporalError(serviceError(grpcStatus.DEADLINE_EXCEEDED)).kind).toBe('timeout');
    expect(classifyTemporalError(serviceError(grpcStatus.RESOURCE_EXHAUSTED)).kind).toBe('busy');
    // The old text matching read "UNAVAILABLE" in the message; a message alone means nothing now.
    expect(classifyTemporalError(new Error('14 UNAVAILABLE: connect ECONNREFUSED')).kind).toBe('unknown');
    // An update that failed for another reason than a refusal is not a refusal.
    expect(classifyTemporalError(new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: 'Other', message: 'x' }))).kind).toBe('unknown');
  });
});
