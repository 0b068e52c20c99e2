/**
 * Runs the baseline entity workflow on its own task queue (benchmarks only):
 *   node --import tsx scripts/bench/baseline/worker.ts --address 127.0.0.1:7321 --task-queue bench-baseline
 * Default worker options, as a team starting with the raw SDK would have them.
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';

async function main() {
  const { values } = parseArgs({ options: { address: { type: 'string', default: '127.0.0.1:7233' }, 'task-queue': { type: 'string', default: 'bench-baseline' } } });
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
  const connection = await NativeConnection.connect({ address: values.address });
  const worker = await Worker.create({ connection, taskQueue: values['task-queue'], workflowsPath: require.resolve('./workflows') });
  console.log(`baseline worker ready on ${values['task-queue']}`);
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
