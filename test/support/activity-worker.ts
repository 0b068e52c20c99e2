import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ActivityFailure, ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../../activities';
import type { Config } from '../../config/env';
import type { Database } from '../../db/connection';
import { temporalDataConverter } from '../../temporal/data-converter';
import { testNamespace, testTemporalAddress } from './temporal';

const root = path.resolve(__dirname, '../..');

/**
 * Bundles one workflow module (whose imports besides @temporalio/workflow are type-only) and
 * caches the bundle by the module's content, shared across test files.
 */
async function bundleOf(workflowsPath: string): Promise<{ codePath: string }> {
  const hash = createHash('sha1').update(workflowsPath).update(fs.readFileSync(workflowsPath)).digest('hex').slice(0, 16);
  const codePath = path.join(root, 'test-output', `bundle-${path.basename(workflowsPath, '.ts')}-${hash}.js`);
  if (!fs.existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    });
    fs.mkdirSync(path.dirname(codePath), { recursive: true });
    const tmp = `${codePath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, codePath);
  }
  return { codePath };
}

export interface ActivityWorker {
  client: Client;
  taskQueue: string;
  /** Runs a workflow of the bundled module to completion on this worker's task queue. */
  execute<T>(workflowType: string, args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

/**
 * A real worker on its own task queue against the suite's Temporal server, running the real
 * activities over `db` and `config` and the workflows of `workflowsPath`.
 */
export async function startActivityWorker(opts: { db: Database; config: Config; workflowsPath: string }): Promise<ActivityWorker> {
  try {
    // ERROR: expected activity failures (the point of these tests) would otherwise flood the output.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  } catch {
    // installed already in this file
  }
  const address = testTemporalAddress();
  const namespace = testNamespace();
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundle: await bundleOf(opts.workflowsPath),
    dataConverter: temporalDataConverter(opts.config),
    activities: createActivities({ db: opts.db, config: opts.config, log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) }),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter: temporalDataConverter(opts.config) });
  return {
    client,
    taskQueue,
    execute: <T>(workflowType: string, args: unknown[]) =>
      client.workflow.execute(workflowType, { taskQueue, workflowId: `${workflowType}-${randomUUID()}`, args }) as Promise<T>,
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** The ApplicationFailure an activity ended its (test) workflow with; fails the test otherwise. */
export async function activityFailureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }
  throw new Error('expected the workflow to fail');
}
