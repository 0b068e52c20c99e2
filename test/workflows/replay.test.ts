import fs from 'node:fs';
import path from 'node:path';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../config/env';
import { temporalDataConverter } from '../../temporal/data-converter';
import { historiesDir } from '../support/histories';
import { TEST_PAYLOAD_ENV } from '../support/temporal';
import { testWorkflowBundle } from '../support/workflow-bundle';

// Recorded runs of caseWorkflow (regenerate with RECORD_HISTORIES=1 npm test). Replaying them
// through the current code fails with a DeterminismViolationError when a change would break
// running cases; guard such changes with patched() instead. `v1-*` were recorded before CaseRun
// (no `case-run` patch marker): they replay on workflows/legacy/case-workflow-v1.ts; the others
// on CaseRun. Keep both sets while runs of either may be open. `started-*` were started with
// `caseRun` in their input: CaseRun without the patch's marker. `batch-*` are bulk actions and
// migrations (workflows/batch-workflow.ts).
const files = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

/** Whether a recorded history carries the `case-run` patch marker (patch ids ride base64 JSON payloads). */
function runsCaseRun(history: { events: Array<{ markerRecordedEventAttributes?: { details?: Record<string, { payloads?: Array<{ data?: string }> }> } }> }): boolean {
  return history.events.some((e) =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) => d.payloads?.some((p) => Buffer.from(p.data ?? '', 'base64').toString().includes('"case-run"'))),
  );
}

test('both workflow versions have recorded histories, told apart by the case-run marker', () => {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(historiesDir, f), 'utf8'));
  const v1 = files.filter((f) => f.startsWith('v1-'));
  const current = files.filter((f) => f.startsWith('case-'));
  expect(v1.length).toBeGreaterThanOrEqual(2);
  expect(current.length).toBeGreaterThanOrEqual(2);
  for (const f of v1) expect([f, runsCaseRun(read(f))]).toEqual([f, false]);
  for (const f of current) expect([f, runsCaseRun(read(f))]).toEqual([f, true]);
});

test('runs started with caseRun in their input have recorded histories, without the marker', () => {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(historiesDir, f), 'utf8'));
  const started = files.filter((f) => f.startsWith('started-'));
  expect(started.length).toBeGreaterThanOrEqual(1);
  for (const f of started) expect([f, runsCaseRun(read(f))]).toEqual([f, false]);
});

// The worker's codec: histories recorded before payload encryption are plain JSON and pass through
// it; histories recorded since are encrypted with the tests' key and decrypt with it.
const dataConverter = temporalDataConverter(loadConfig({ NODE_ENV: 'test', ...TEST_PAYLOAD_ENV }));

test('bulk actions and migrations have a recorded history', () => {
  expect(files.filter((f) => f.startsWith('batch-')).length).toBeGreaterThanOrEqual(1);
});

test.each(files)('replays %s deterministically', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle(), dataConverter }, history, `replay-${file}`);
});

// Tracing can be turned on (or off) under open cases: the OpenTelemetry workflow interceptors must
// not change a single command, so every history recorded without them replays with them
// (workflows/tracing-interceptors.ts says how the library's own did not).
test.each(files)('replays %s with tracing on', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8'));
  const sinks = { exporter: makeWorkflowExporter(new SimpleSpanProcessor(new InMemorySpanExporter()), new Resource({})) };
  await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle({ tracing: true }), sinks, dataConverter }, history, `replay-traced-${file}`);
});
