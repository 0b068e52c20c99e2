/**
 * OpenTelemetry with OTEL_EXPORTER_OTLP_ENDPOINT set: spans reach an OTLP/HTTP endpoint (a tiny
 * server here, reading the exporter's JSON), and one HTTP request's trace holds the API's span,
 * the Temporal client's, the workflow's handling of the update, and the e-mail activity the
 * command's automation ran later in the case's loop.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../config/env';
import { startTracing, tracesUrl, type Tracing } from '../../startup/tracing';
import { TRACE_HEADER } from '../../workflows/correlation';
import { TRACE_HEADER as LIBRARY_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { emailOnReviewTemplate } from '../support/templates';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

const received: OtlpSpan[] = [];
const paths: string[] = [];
let collector: http.Server;
let tracing: Tracing;
let stack: TestStack;
const admin = () => ({ Authorization: `Bearer ${stack.tokens.admin}` });

beforeAll(async () => {
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const payload = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
      for (const r of payload.resourceSpans) for (const s of r.scopeSpans) received.push(...s.spans);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  tracing = startTracing(loadConfig({ NODE_ENV: 'test', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'cases-under-test' }))!;
  stack = await startTestStack({ tracing });
  await stack
    .http()
    .post('/v1/templates')
    .set(admin())
    .send(emailOnReviewTemplate('traced', 'TRC'))
    .expect(201);
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => collector?.close(resolve));
});

test('the workflow interceptors name the header OpenTelemetry carries the trace in', () => {
  expect(TRACE_HEADER).toBe(LIBRARY_TRACE_HEADER);
  expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
});

test("one request's trace holds its HTTP span, the client's update, the workflow's handling and the e-mail activity it caused", async () => {
  const started = await stack.http().post('/v1/cases').set(admin()).send({ template: 'traced', title: 'Traced case' }).expect(201);
  const caseKey = started.body.id as string;
  const advanced = await stack.http().post(`/v1/cases/${caseKey}/advance`).set(admin()).send({ to: 'review' }).expect(200);
  await eventually(async () => {
    const res = await stack.http().get(`/v1/outbox?caseKey=${caseKey}`).set(admin()).expect(200);
    return res.body.items.length > 0;
  }, 30_000, 'the e-mail');

  const trace = await eventually(async () => {
    await tracing.flush();
    const server = received.find((s) => s.name === 'POST /v1/cases/:id/advance' && s.attributes?.some((a) => a.key === 'case.key' && a.value.stringValue === caseKey));
    if (!server) return undefined;
    const spans = received.filter((s) => s.traceId === server.traceId);
    const names = spans.map((s) => s.name);
    return ['StartWorkflowUpdate:advance', 'HandleUpdate:advance', 'RunActivity:sendEmail'].every((n) => names.includes(n)) ? { server, spans } : undefined;
  }, 30_000, 'the spans of the advance request');

  expect(paths.every((p) => p.startsWith('POST /v1/traces application/json'))).toBe(true);
  // Without X-Request-Id, the request id is the trace id: one id finds the logs and the trace.
  expect(advanced.headers['x-request-id']).toBe(trace.server.traceId);
  expect(trace.server.kind).toBe(2); // SERVER
  // Every span of the trace hangs off another of the same trace, up to the HTTP span.
  const ids = new Set(trace.spans.map((s) => s.spanId));
  for (const span of trace.spans) if (span !== trace.server) expect([span.name, ids.has(span.parentSpanId ?? '')]).toEqual([span.name, true]);
  const byName = (name: string) => trace.spans.find((s) => s.name === name)!;
  expect(byName('StartWorkflowUpdate:advance').parentSpanId).toBe(trace.server.spanId);
  expect(byName('HandleUpdate:advance').parentSpanId).toBe(byName('StartWorkflowUpdate:advance').spanId);
  // The e-mail ran later, in the case's own loop: it joins the trace of the command that caused it.
  expect(byName('RunActivity:sendEmail').parentSpanId).toBe(byName('StartWorkflowUpdate:advance').spanId);

  // The start's own trace: the API's span and the client's start (no automation reacts to this
  // template's opening, so the API decided it and the case adopts it: no update to wait for).
  const start = received.find((s) => s.name === 'POST /v1/cases' && s.traceId === started.headers['x-request-id']);
  expect(start).toBeDefined();
  const startNames = received.filter((s) => s.traceId === start!.traceId).map((s) => s.name);
  expect(startNames).toEqual(expect.arrayContaining(['POST /v1/cases', 'StartWorkflow:caseWorkflow']));
  expect(startNames).not.toContain('UpdateWithStartWorkflow:opened');
});
