/**
 * OpenTelemetry's workflow interceptors (`@temporalio/interceptors-opentelemetry`), bundled only
 * when tracing is on (worker/interceptors.ts), with their spans made in place: the library wraps
 * the workflow, each update, signal and activity in `async` helpers that settle a few microtasks
 * after what they wrap. That moves an update's completion behind commands the case's run loop
 * issues meanwhile, so histories recorded with tracing off did not replay with it on (and the
 * reverse): a case could not survive turning tracing on. Here each span starts before and ends
 * after the very promise it wraps, which is returned unchanged. The replay test replays every
 * recorded history both ways.
 */
import * as otel from '@opentelemetry/api';
import { ACTIVITY_ID_ATTR_KEY, UPDATE_ID_ATTR_KEY, extractContextFromHeaders, headersWithContext } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor } from '@temporalio/interceptors-opentelemetry/lib/workflow';
import { ApplicationFailure, ContinueAsNew, workflowInfo } from '@temporalio/workflow';
import type * as wf from '@temporalio/workflow';

/** Runs `fn` inside a new span (a child of `parent`, else of the active context) and ends the span when its promise settles. */
function inSpan<T>(tracer: otel.Tracer, name: string, parent: otel.Context | undefined, attributes: otel.Attributes, fn: () => Promise<T>, benign?: (err: unknown) => boolean): Promise<T> {
  const context = parent ?? otel.context.active();
  const span = tracer.startSpan(name, { attributes }, context);
  const settled = otel.context.with(otel.trace.setSpan(context, span), fn);
  settled.then(
    () => {
      span.setStatus({ code: otel.SpanStatusCode.OK });
      span.end();
    },
    (err: unknown) => {
      if (benign?.(err)) span.setStatus({ code: otel.SpanStatusCode.OK });
      else {
        const expected = err instanceof ApplicationFailure && err.category === 'BENIGN';
        span.setStatus({ code: expected ? otel.SpanStatusCode.UNSET : otel.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        if (err instanceof Error) span.recordException(err);
      }
      span.end();
    },
  );
  return settled;
}

class InPlaceTracingInbound extends OpenTelemetryInboundInterceptor {
  override execute(input: wf.WorkflowExecuteInput, next: wf.Next<wf.WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    return inSpan(this.tracer, `RunWorkflow:${workflowInfo().workflowType}`, extractContextFromHeaders(input.headers), {}, () => next(input), (err) => err instanceof ContinueAsNew);
  }

  override handleSignal(input: wf.SignalInput, next: wf.Next<wf.WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    return inSpan(this.tracer, `HandleSignal:${input.signalName}`, extractContextFromHeaders(input.headers), {}, () => next(input));
  }

  override handleUpdate(input: wf.UpdateInput, next: wf.Next<wf.WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    return inSpan(this.tracer, `HandleUpdate:${input.name}`, extractContextFromHeaders(input.headers), { [UPDATE_ID_ATTR_KEY]: input.updateId }, () => next(input));
  }
}

class InPlaceTracingOutbound extends OpenTelemetryOutboundInterceptor {
  override scheduleActivity(input: wf.ActivityInput, next: wf.Next<wf.WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    return inSpan(this.tracer, `StartActivity:${input.activityType}`, undefined, { [ACTIVITY_ID_ATTR_KEY]: input.options.activityId ?? String(input.seq) }, () => next({ ...input, headers: headersWithContext(input.headers) }));
  }
}

export const interceptors: wf.WorkflowInterceptorsFactory = () => ({
  inbound: [new InPlaceTracingInbound()],
  outbound: [new InPlaceTracingOutbound()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
