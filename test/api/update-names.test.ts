/**
 * Commands go to a case under an update named after their type; a run of older code, which has
 * only the `command` update, still gets them (the client resends under `command`). Commands sent
 * for a 202 go as the `commandAsync` update; such a run gets them as the `command` signal.
 */
import { CaseClient } from '../../api/case-client';
import { loadConfig } from '../../config/env';
import { startActivityWorker, type ActivityWorker } from '../support/activity-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { signalledQuery } from '../support/command-only-workflow';

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
