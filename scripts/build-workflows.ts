/**
 * Prebuilds the workflow bundle (`npm run build:workflows [file] [--tracing]`, default
 * dist/workflow-bundle.js). The image does this, and its worker loads the file (WORKFLOW_BUNDLE)
 * instead of running webpack at every start: seconds of CPU and a page of webpack output saved per
 * worker start. `--tracing` adds OpenTelemetry's workflow interceptors, which a worker with
 * OTEL_EXPORTER_OTLP_ENDPOINT set needs (it refuses a bundle without them, and the reverse).
 * The stack frames workflow code keeps are WORKFLOW_STACK_FRAMES's at build time (default 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@temporalio/common';
import { envSchema } from '../config/env';
import { buildWorkflowBundle } from '../worker/create-worker';

const args = process.argv.slice(2);
const tracing = args.includes('--tracing');
const stackFrames = envSchema.shape.WORKFLOW_STACK_FRAMES.parse(process.env.WORKFLOW_STACK_FRAMES);
const file = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'dist/workflow-bundle.js');
// Webpack's page of progress output is noise in an image build; its warnings and errors are not.
const quiet: Logger = { trace() {}, debug() {}, info() {}, log() {}, warn: (message) => console.warn(message), error: (message) => console.error(message) };

buildWorkflowBundle({ tracing, stackFrames, logger: quiet })
  .then((code) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole, then renamed: a worker starting meanwhile never reads half a bundle.
    fs.writeFileSync(`${file}.tmp`, code);
    fs.renameSync(`${file}.tmp`, file);
    console.log(`workflow bundle written to ${path.relative(process.cwd(), file)} (${(code.length / 2 ** 20).toFixed(1)} MiB${tracing ? ', with tracing' : ''}, ${stackFrames} stack frames)`);
  })
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
