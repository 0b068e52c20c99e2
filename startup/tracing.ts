/**
 * OpenTelemetry tracing, on when OTEL_EXPORTER_OTLP_ENDPOINT is set: a tracer provider registered
 * for the whole process (context kept across awaits, W3C `traceparent` propagation), exporting
 * spans in batches over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`. The API opens a span per HTTP
 * request and its Temporal client one per call; the worker traces workflow tasks, updates,
 * signals and activities through `@temporalio/interceptors-opentelemetry` (worker/interceptors.ts).
 * Unset, nothing is registered and nothing of this runs.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config/env';

export interface Tracing {
  /** Where the API opens its HTTP request spans. */
  tracer: Tracer;
  /** For the worker's workflow span exporter (workflow spans are made in the sandbox and exported through a sink). */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Exports the spans still buffered (at shutdown, or in a test). */
  flush(): Promise<void>;
}

/** One provider per process: under `npm start` the API and the worker share it. */
let installed: Tracing | undefined;

/** The OTLP/HTTP traces URL of an OTLP base endpoint, as the OpenTelemetry specification builds it. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/** Starts tracing for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (once; later calls return the same). */
export function startTracing(config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>): Tracing | undefined {
  if (installed || !config.OTEL_EXPORTER_OTLP_ENDPOINT) return installed;
  const resource = new Resource({ 'service.name': config.OTEL_SERVICE_NAME });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  installed = { tracer: trace.getTracer('case-orchestrator'), spanProcessor, resource, flush: () => provider.forceFlush() };
  return installed;
}
