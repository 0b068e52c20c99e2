import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowBundleOptions } from '../../worker/create-worker';

const root = path.resolve(__dirname, '../..');

function sourceHash(): string {
  const hash = createHash('sha1');
  hash.update(fs.readFileSync(path.join(root, 'worker/preloaded-modules.ts')));
  hash.update(fs.readFileSync(path.join(root, 'worker/create-worker.ts')));
  for (const dir of ['workflows', 'domain', 'temporal']) {
    for (const file of fs.readdirSync(path.join(root, dir), { recursive: true }).map(String).sort()) {
      if (file.endsWith('.ts')) hash.update(file).update(fs.readFileSync(path.join(root, dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Bundling the workflows takes seconds: do it once per source version and share the file
 * between test files (each jest file has its own module registry).
 */
export async function testWorkflowBundle(opts: { tracing?: boolean; stackFrames?: number } = {}): Promise<{ codePath: string }> {
  const frames = opts.stackFrames === undefined ? '' : `-frames${opts.stackFrames}`;
  const codePath = path.join(root, 'test-output', `workflow-bundle-${sourceHash()}${opts.tracing ? '-otel' : ''}${frames}.js`);
  if (!fs.existsSync(codePath)) {
    // Exactly what the worker bundles: failure converter, interceptors (OpenTelemetry's with tracing on), preloaded domain modules.
    const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
      ...workflowBundleOptions(!!opts.tracing, opts.stackFrames),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    });
    fs.mkdirSync(path.dirname(codePath), { recursive: true });
    const tmp = `${codePath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bundle.code);
    fs.renameSync(tmp, codePath);
  }
  return { codePath };
}
