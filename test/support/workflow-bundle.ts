import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../temporal/data-converter';
import { workflowInterceptorModules } from '../../worker/interceptors';

const root = path.resolve(__dirname, '../..');

function sourceHash(): string {
  const hash = createHash('sha1');
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
export async function testWorkflowBundle(opts: { tracing?: boolean } = {}): Promise<{ codePath: string }> {
  const codePath = path.join(root, 'test-output', `workflow-bundle-${sourceHash()}${opts.tracing ? '-otel' : ''}.js`);
  if (!fs.existsSync(codePath)) {
    const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      // As the worker bundles them: failures raised in workflow code are encoded (and so encrypted).
      failureConverterPath: FAILURE_CONVERTER_PATH,
      // What the worker bundles (worker/interceptors.ts): the request-id interceptors, and OpenTelemetry's with tracing on.
      workflowInterceptorModules: workflowInterceptorModules(!!opts.tracing),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    });
    fs.mkdirSync(path.dirname(codePath), { recursive: true });
    const tmp = `${codePath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bundle.code);
    fs.renameSync(tmp, codePath);
  }
  return { codePath };
}
