import path from 'node:path';
import type { Actor } from '../../domain/actor';
import type { CommandRequest } from '../../domain/commands';
import type { PublishedTemplate } from '../../domain/template';
import { validateTemplate } from '../../domain/template-validation';
import { getTimeline } from '../../db/read-model';
import { publishTemplate } from '../../db/templates';
import { ensureTemporalCli } from '../../scripts/temporal-cli';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal-dev-server';
import { caseViewQuery, caseWorkflowId, commandSignal, commandUpdate } from '../../workflows/messages';
import { recordHistory } from '../support/histories';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

// A server of its own that suggests continue-as-new after 40 history events, so a case of a
// few hundred commands goes through several runs.
let server: TemporalDevServer;
let stack: TestStack;
let template: PublishedTemplate;
const hr: Actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' };

beforeAll(async () => {
  server = await startTemporalDevServer({
    cliPath: await ensureTemporalCli(),
    headless: true,
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 },
    logFile: path.resolve(__dirname, '../../test-output/temporal-continue-as-new.log'),
  });
  stack = await startTestStack({ address: server.address });
  const validation = validateTemplate(onboardingTemplate());
  if (!validation.ok) throw new Error('example template invalid');
  template = await publishTemplate(stack.db, { definition: validation.template, publishedBy: 'test' });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await server?.stop();
});

test('a case driven through hundreds of commands continues as new and loses nothing', async () => {
  const caseKey = 'CAN-1';
  await stack.cases.open(
    {
      caseKey,
      template,
      start: { title: 'Long-lived case', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Jane' }, actor: hr },
    },
    [],
  );
  const handle = stack.client.workflow.getHandle(caseWorkflowId(caseKey));
  const firstRunId = (await handle.describe()).runId;
  const comment = (text: string, requestId?: string): CommandRequest => ({ actor: hr, command: { type: 'comment', text }, ...(requestId ? { requestId } : {}) });

  // Updates and signals interleaved, in small concurrent bursts, so some arrive while a run is ending.
  // Updates go through the API's CaseClient: when the server drops one admitted into a workflow
  // task it failed (a signal arrived as the run was ending), the client sends it again, applied once.
  const update = (request: CommandRequest) => stack.cases.execute(caseKey, request);
  const total = 300;
  for (let i = 0; i < total; i += 6) {
    await Promise.all([
      update(comment(`u${i}`, `req-${i}`)),
      update(comment(`u${i + 1}`)),
      handle.signal(commandSignal, comment(`s${i + 2}`)),
      handle.signal(commandSignal, comment(`s${i + 3}`, `sig-${i + 3}`)),
      update(comment(`u${i + 4}`)),
      handle.signal(commandSignal, comment(`s${i + 5}`)),
    ]);
  }
  // Retries of requests the workflow saw runs ago are recognised and applied once.
  await handle.executeUpdate(commandUpdate, { args: [comment('u0', 'req-0')], updateId: 'req-0' });
  await handle.signal(commandSignal, comment('s3', 'sig-3'));
  await handle.executeUpdate(commandUpdate, {
    args: [{ actor: hr, command: { type: 'setFields', values: { startDate: '2027-01-04', contractType: 'employee' } } }],
  });
  const moved = await handle.executeUpdate(commandUpdate, { args: [{ actor: hr, command: { type: 'advance', to: 'review' } }] });
  expect(moved.case.stage.key).toBe('review');

  const view = await handle.query(caseViewQuery);
  expect(view.comments).toBe(total);
  const describe = await handle.describe();
  expect(describe.runId).not.toBe(firstRunId);

  // Every event reached the read model exactly once, seq 1..N without gaps.
  const events = await eventually(
    async () => {
      const page = await getTimeline(stack.db, caseKey, { limit: 500 });
      const rest = page.nextCursor ? await getTimeline(stack.db, caseKey, { after: page.nextCursor, limit: 500 }) : { items: [] };
      const all = [...page.items, ...rest.items];
      return all.length === view.lastSeq ? all : undefined;
    },
    30_000,
    'the projection to catch up',
  );
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: view.lastSeq }, (_, i) => i + 1));
  expect(events.filter((e) => e.type === 'comment.added')).toHaveLength(total);

  // Count the runs: the chain went through several continue-as-new hops.
  let runs = 0;
  for await (const _ of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs++;
  expect(runs).toBeGreaterThan(3);

  // The first run starts the case and ends by continuing as new: a history worth replaying.
  await recordHistory(server.address, handle.workflowId, firstRunId, 'case-first-run-continued-as-new');
}, 240_000);
