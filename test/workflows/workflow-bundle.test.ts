/**
 * Every case workflow evaluates its own copy of the modules it imports, so what the workflow
 * bundle loads is paid per open case (zod alone: ~0.7 MB). This bundle replaces zod and luxon by a
 * module that throws when it is evaluated: a case started the way the API starts it must run
 * commands, automations (JSONLogic conditions, mustache texts) and a wall-clock SLA without ever
 * loading them. A case without `templateCurrent` (started before the API read templates for the
 * workflow) does load zod: the control proves the trap springs.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../../activities';
import { CaseClient } from '../../api/case-client';
import { loadConfig } from '../../config/env';
import type { Actor } from '../../domain/actor';
import { readPinnedDefinition } from '../../domain/schemas/template';
import type { PublishedTemplate } from '../../domain/template';
import { validateTemplate } from '../../domain/template-validation';
import type { caseWorkflow } from '../../workflows';
import { caseViewQuery, caseWorkflowId, type CaseWorkflowInput } from '../../workflows/messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually } from '../support/stack';
import { preloadedModules } from '../../worker/preloaded-modules';
import { temporalConnectionOptions } from '../../temporal/connection-options';
import { temporalDataConverter } from '../../temporal/data-converter';
import { TEST_PAYLOAD_ENV, testNamespace, testTemporalAddress } from '../support/temporal';

const EventType = temporal.api.enums.v1.EventType;
const forbidden = path.resolve(__dirname, '../support/forbidden-in-workflows.js');
const actor: Actor = { id: 'ada', name: 'Ada Admin', roles: ['admin'], kind: 'user' };

let database: TestDatabase;
let nativeConnection: NativeConnection;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
let client: Client;
let cases: CaseClient;
let taskQueue: string;
let template: PublishedTemplate;

beforeAll(async () => {
  try {
    // The control case fails its workflow task on purpose: keep the SDK's warnings about it quiet.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  } catch {
    // installed already in this process
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    // As the worker bundles: the domain modules shared among workflows (evaluated before any case starts).
    preloadModules: preloadedModules(),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), zod: forbidden, luxon: forbidden } } }),
  });
  expect(code).toContain('was loaded in a case workflow');
  database = await createTestDatabase();
  taskQueue = `bundle-${randomUUID()}`;
  const config = loadConfig({ NODE_ENV: 'test', TEMPORAL_NAMESPACE: testNamespace(), ...TEST_PAYLOAD_ENV });
  nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config, testTemporalAddress()));
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: testNamespace(),
    taskQueue,
    workflowBundle: { code },
    dataConverter: temporalDataConverter(config),
    activities: createActivities({ db: database.db, config, log: pino({ level: 'silent' }) }),
  });
  running = worker.run();
  connection = await Connection.connect(temporalConnectionOptions(config, testTemporalAddress()));
  client = new Client({ connection, namespace: testNamespace(), dataConverter: temporalDataConverter(config) });
  cases = new CaseClient(client, taskQueue);

  const validation = validateTemplate({
    key: 'light',
    name: 'Light',
    prefix: 'LIT',
    roles: ['hr'],
    fields: [
      { key: 'fullName', type: 'text', required: true },
      { key: 'startDate', type: 'date' },
      { key: 'level', type: 'number' },
    ],
    stages: [
      { key: 'intake', sla: { goal: '1h', deadline: '2h' }, tasks: [{ key: 'check', title: 'Check', due: '30m' }] },
      { key: 'done', terminal: true },
    ],
    automations: [
      {
        on: 'field.changed',
        field: 'level',
        if: { '>': [{ var: 'fields.level' }, 3] },
        do: [{ createTask: { title: 'Escalate {{fields.fullName}} (level {{fields.level}})' } }, { notify: { to: 'user:ada', subject: '{{case.key}} escalated' } }],
      },
    ],
  });
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  template = { key: 'light', version: 1, prefix: 'LIT', definition: validation.template, publishedAt: new Date().toISOString() };
});

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await nativeConnection?.close();
  await connection?.close();
  await database?.close();
});

function input(caseKey: string, current: boolean | undefined): CaseWorkflowInput {
  const { definition, current: fits } = readPinnedDefinition(template.definition);
  return {
    caseKey,
    template: { ...template, definition },
    ...(current === undefined ? {} : { templateCurrent: current && fits }),
    start: { title: 'Bundle test', templateKey: template.key, templateVersion: 1, fields: { fullName: 'Jane Doe' }, actor },
  };
}

async function failedTasks(workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length;
}

test('a case started the way the API starts it never loads zod or luxon', async () => {
  const caseKey = `LIT-${Date.now() % 1_000_000}`;
  expect((await cases.open(input(caseKey, true), [])).stage.key).toBe('intake');
  await cases.execute(caseKey, { actor, command: { type: 'setFields', values: { startDate: '2027-01-04', level: 5 } } });
  await cases.execute(caseKey, { actor, command: { type: 'comment', text: 'Hello @ada' } });
  await cases.accept(caseKey, { actor, command: { type: 'createTask', title: 'For a 202' } });
  const result = await cases.execute(caseKey, { actor, command: { type: 'advance', to: 'done' } });
  expect(result.case.stage.key).toBe('done');
  const view = await client.workflow.getHandle(caseWorkflowId(caseKey)).query(caseViewQuery);
  expect(view.tasks.map((t) => t.title)).toEqual(expect.arrayContaining(['Check', 'Escalate Jane Doe (level 5)', 'For a 202']));
  expect(await failedTasks(caseWorkflowId(caseKey))).toBe(0);
});

test('control: a case without templateCurrent reads its template with zod, and here fails its task', async () => {
  const caseKey = `LIT-${(Date.now() % 1_000_000) + 1}`;
  // Started bare: the first task fails, so Update-with-Start would only wait for it.
  await client.workflow.start<typeof caseWorkflow>('caseWorkflow', { taskQueue, workflowId: caseWorkflowId(caseKey), args: [input(caseKey, undefined)] });
  await eventually(async () => (await failedTasks(caseWorkflowId(caseKey))) > 0, 30_000, 'a failed workflow task');
  // A case whose workflow task keeps failing answers 503 case_unavailable, never 500.
  const fast = new CaseClient(client, taskQueue, { callTimeoutMs: 2_000, commandTimeoutMs: 3_000 });
  await expect(fast.view(caseKey)).rejects.toMatchObject({ code: 'case_unavailable', status: 503 });
  await expect(fast.execute(caseKey, { actor, command: { type: 'comment', text: 'hello?' } })).rejects.toMatchObject({ code: 'case_unavailable', status: 503 });
  await client.workflow.getHandle(caseWorkflowId(caseKey)).terminate('test done');
});
