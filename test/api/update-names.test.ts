/**
 * Commands go to a case under an update named after their type; a run of older code, which has
 * only the `command` update, still gets them (the client resends under `command`). Commands sent
 * for a 202 go as the `commandAsync` update; such a run gets them as the `command` signal.
 */
import { CaseClient } from '../../api/case-client';
import { loadConfig } from '../../config/env';
import { startActivityWorker, type ActivityWorker } from '../support/activity-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { Client, Connection } from '@temporalio/client';
import { temporalRetryInterceptor } from '../../api/temporal-retry';
import { temporalDataConverter } from '../../temporal/data-converter';
import { releaseSignal, signalledQuery } from '../support/command-only-workflow';
import { testNamespace, testTemporalAddress } from '../support/temporal';

let database: TestDatabase;
let worker: ActivityWorker;

beforeAll(async () => {
  database = await createTestDatabase();
  worker = await startActivityWorker({ db: database.db, config: loadConfig({ NODE_ENV: 'test' }), workflowsPath: require.resolve('../support/command-only-workflow') });
}, 60_000);
afterAll(async () => {
  await worker?.close();
  await database?.close();
});

test('a run that only knows the `command` update still takes a command', async () => {
  const client = worker.client;
  await client.workflow.start('caseWorkflow', { taskQueue: worker.taskQueue, workflowId: 'case-OLD-1', args: [] });
  const cases = new CaseClient(client, worker.taskQueue);
  const result = await cases.execute('OLD-1', { actor: { id: 'ada', name: 'Ada', roles: ['admin'], kind: 'user' }, command: { type: 'comment', text: 'hello' } });
  expect(result.case).toMatchObject({ id: 'OLD-1', commandType: 'comment' });
  const history = await client.workflow.getHandle('case-OLD-1').fetchHistory();
  const names = (history.events ?? []).flatMap((e) => (e.workflowExecutionUpdateAcceptedEventAttributes ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name] : []));
  expect(names).toEqual(['command']);
});

test('a command sent for a 202 reaches such a run as a signal', async () => {
  const client = worker.client;
  await client.workflow.start('caseWorkflow', { taskQueue: worker.taskQueue, workflowId: 'case-OLD-2', args: [] });
  const cases = new CaseClient(client, worker.taskQueue);
  const requestId = await cases.accept('OLD-2', { actor: { id: 'ada', name: 'Ada', roles: ['admin'], kind: 'user' }, command: { type: 'comment', text: 'later' }, requestId: 'k-1' });
  expect(requestId).toBe('k-1');
  const signalled = await client.workflow.getHandle('case-OLD-2').query(signalledQuery);
  expect(signalled).toEqual([expect.objectContaining({ requestId: 'k-1', command: { type: 'comment', text: 'later' } })]);
  await client.workflow.getHandle('case-OLD-2').terminate('test done');
});

test('a command sent for a 202 to a case with too many updates in flight goes as a signal', async () => {
  // The API's client: it resends an update the server turns away as busy for ~0.5 s, then gives up.
  const connection = await Connection.connect({ address: testTemporalAddress(), interceptors: [temporalRetryInterceptor()] });
  try {
    const client = new Client({ connection, namespace: testNamespace(), dataConverter: temporalDataConverter(loadConfig({ NODE_ENV: 'test' })) });
    await client.workflow.start('busyCaseWorkflow', { taskQueue: worker.taskQueue, workflowId: 'case-BUSY-1', args: [] });
    const cases = new CaseClient(client, worker.taskQueue);
    const actor = { id: 'ada', name: 'Ada', roles: ['admin'], kind: 'user' as const };
    // The server holds at most 10 updates in flight per workflow: these take them all and wait.
    const held = Array.from({ length: 10 }, (_, i) => cases.accept('BUSY-1', { actor, command: { type: 'comment', text: `held ${i}` }, requestId: `held-${i}` }));
    await new Promise((r) => setTimeout(r, 1_000));
    await expect(cases.accept('BUSY-1', { actor, command: { type: 'comment', text: 'over the limit' }, requestId: 'over-1' })).resolves.toBe('over-1');
    const handle = client.workflow.getHandle('case-BUSY-1');
    await expect(handle.query(signalledQuery)).resolves.toEqual([expect.objectContaining({ requestId: 'over-1' })]);
    await handle.signal(releaseSignal);
    await expect(Promise.all(held)).resolves.toEqual(Array.from({ length: 10 }, (_, i) => `held-${i}`));
  } finally {
    await connection.close();
  }
});
