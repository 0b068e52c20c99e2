/**
 * Workflow interceptors (loaded into the workflow bundle through `interceptors.workflowModules`,
 * worker/interceptors.ts): the request id of each start, update and signal becomes the current
 * cause while its handler runs (see correlation.ts), goes on the workflow's log lines, and is
 * handed to the activities run on its behalf. Each handled update and signal gets one log line,
 * so a request id finds the workflow task that applied it.
 */
import {
  log,
  type ActivityInput,
  type GetLogAttributesInput,
  type Next,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { causeFrom, causeHeaders, currentCause, withCause } from './correlation';

/** The command's type, for a message carrying one (the `command` update and signal). */
function commandType(args: unknown[]): string | undefined {
  const type = (args[0] as { command?: { type?: unknown } } | undefined)?.command?.type;
  return typeof type === 'string' ? type.slice(0, 100) : undefined;
}

class CorrelationInbound implements WorkflowInboundCallsInterceptor {
  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    // The workflow function's synchronous start (a case's opening and the effects it asks for) runs inside.
    return withCause(causeFrom(input.headers), () => next(input));
  }

  // The handler's own promise is returned as it is, and the log line hangs off a side branch: an
  // extra await here would complete the update a few microtasks later, after commands the run loop
  // issues meanwhile, and histories recorded without it would no longer replay.
  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const cause = causeFrom(input.headers);
    const handled = withCause(cause, () => next(input));
    const about = { updateName: input.name, updateId: input.updateId, command: commandType(input.args), ...(cause?.requestId ? { requestId: cause.requestId } : {}) };
    handled.then(
      () => log.info('update handled', about),
      (err: unknown) => log.info('update failed', { ...about, error: err instanceof Error ? err.message : String(err) }),
    );
    return handled;
  }

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const cause = causeFrom(input.headers);
    const handled = withCause(cause, () => next(input));
    const about = { signal: input.signalName, command: commandType(input.args), ...(cause?.requestId ? { requestId: cause.requestId } : {}) };
    handled.then(
      () => log.info('signal handled', about),
      () => undefined,
    );
    return handled;
  }
}

class CorrelationOutbound implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    const cause = currentCause();
    return next(cause ? { ...input, headers: causeHeaders(input.headers, cause) } : input);
  }

  getLogAttributes(input: GetLogAttributesInput, next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>): Record<string, unknown> {
    const requestId = currentCause()?.requestId;
    return next(requestId && input.requestId === undefined ? { ...input, requestId } : input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new CorrelationInbound()],
  outbound: [new CorrelationOutbound()],
});
