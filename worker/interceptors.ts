/**
 * What the worker wraps around workflows and activities: the request id of the HTTP request that
 * caused each activity goes on the activity's log lines (the Temporal header the case workflow
 * sets, workflows/interceptors.ts), and with tracing on, OpenTelemetry spans for workflow tasks,
 * updates, signals and activities (`@temporalio/interceptors-opentelemetry`; in the workflow, its
 * interceptors with their spans made in place: workflows/tracing-interceptors.ts).
 */
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter, type OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { withLogContext } from '../config/log-context';
import type { Tracing } from '../startup/tracing';
import { requestIdFrom } from '../workflows/correlation';

/** Puts the activity's request id (from its headers) on every log line the activity writes. */
export const correlationActivityInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    execute: (input, next) => {
      const requestId = requestIdFrom(input.headers);
      return requestId ? withLogContext({ requestId }, () => next(input)) : next(input);
    },
  },
});

/**
 * Workflow interceptor modules, bundled into the workflow code: the request id's (always, a few
 * hundred bytes) and, with tracing on, OpenTelemetry's first — outside ours, so ours can hand an
 * effect's activity the trace context of the request that caused it. OpenTelemetry's is left out
 * when tracing is off: it would add its libraries to every case workflow's first task (README,
 * "Logs, request ids and traces").
 */
export function workflowInterceptorModules(tracing: boolean): string[] {
  return [...(tracing ? [require.resolve('../workflows/tracing-interceptors')] : []), require.resolve('../workflows/interceptors')];
}

/** The worker's interceptors; `workflowModules` applies only when the worker bundles its workflows itself. */
export function workerInterceptors(tracing?: Tracing): WorkerInterceptors {
  return {
    activity: [
      ...(tracing ? [((ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })) satisfies ActivityInterceptorsFactory] : []),
      correlationActivityInterceptor,
    ],
    workflowModules: workflowInterceptorModules(!!tracing),
  };
}

/** The sink through which the workflow interceptors of OpenTelemetry export their spans. */
export function workerSinks(tracing?: Tracing): InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }> | undefined {
  return tracing ? { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : undefined;
}
