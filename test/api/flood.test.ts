/**
 * Trying to break one case, the way the issue tried as an attacker would: a token with no role
 * floods it with maximum-size asynchronous and synchronous comments from many clients at once,
 * oversized field changes, and field values that grow the case toward its byte budget. Afterwards
 * the case still answers reads and commands, no run of its workflow was terminated or failed a
 * workflow task, and every acknowledged command is on the timeline exactly once.
 */
import { temporal } from '@temporalio/proto';
import { BYTES, TEXT, jsonBytes } from '../../domain/limits';
import { caseWorkflowId } from '../../workflows/messages';
import { eventually, startTestStack, type TestStack } from '../support/stack';

const EventType = temporal.api.enums.v1.EventType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const cjk = (n: number) => '案'.repeat(n);
const options = Array.from({ length: 200 }, (_, i) => `tag-${i}`);

beforeAll(async () => {
  stack = await startTestStack({ env: { BODY_LIMIT: '1mb' } });
  const template = {
    key: 'flood',
    name: 'Flood',
    prefix: 'FLD',
    // The flooding user's role may start cases; they own the one they flood.
    roles: ['sales'],
    fields: [
      { key: 'a', type: 'longtext' },
      { key: 'b', type: 'longtext' },
      { key: 'c', type: 'longtext' },
      { key: 'd', type: 'longtext' },
      { key: 'e', type: 'longtext' },
      { key: 'tags', type: 'multiselect', options },
      { key: 'hits', type: 'number' },
    ],
    stages: [{ key: 'intake' }, { key: 'done', terminal: true }],
    automations: [
      // Cheap when published (nothing to iterate), 20,000 steps over 200 tags: over its budget.
      {
        name: 'expensive',
        on: 'field.changed',
        field: 'tags',
        if: { some: [{ var: 'fields.tags' }, { some: [Array.from({ length: 100 }, (_, i) => i), { '==': [{ var: '' }, -1] }] }] },
        do: [{ setField: { field: 'hits', value: 1 } }],
      },
    ],
  };
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(template)).status).toBe(201);
});
afterAll(() => stack?.close());

/** Runs `n` requests, `concurrency` at a time. */
async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await task(i);
    }),
  );
  return out;
}

/**
 * Workflow tasks of a run that failed for a reason of the workflow's own, read in small pages (a
 * page of big events can pass gRPC's 4 MB). Not counted: UnhandledCommand, the server's way of
 * giving the workflow a signal that arrived while the run was continuing as new — the task is
 * retried with the signal in it; nothing in the workflow failed.
 */
async function failedTasks(workflowId: string, runId: string): Promise<string[]> {
  const failures: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await stack.client.workflowService.getWorkflowExecutionHistory({
      namespace: stack.config.TEMPORAL_NAMESPACE,
      execution: { workflowId, runId },
      maximumPageSize: 5,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const e of page.history?.events ?? []) {
      const failed = e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ? e.workflowTaskFailedEventAttributes : undefined;
      if (failed && failed.cause !== Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) failures.push(`${Cause[failed.cause ?? 0]}: ${failed.failure?.message ?? ''}`);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return failures;
}

interface Sent {
  status: number;
  code?: string;
  retryAfter?: string;
  /** A 504's: the command may still be applied; resent under it as Idempotency-Key, it is answered with its outcome. */
  requestId?: string;
  bytes: number;
}

type Req = ReturnType<ReturnType<TestStack['http']>['post']>;

test('a flood of maximum-size commands leaves the case answering, unterminated and exact', async () => {
  const start = await stack.http().post('/v1/cases').set(auth(stack.tokens.outsider)).send({ template: 'flood', title: 'Under siege', owner: 'olga' });
  expect(start.status).toBe(201);
  const id: string = start.body.id;
  const send = async (req: Req): Promise<Sent> => {
    const res = await req;
    return { status: res.status, code: res.body?.code, retryAfter: res.headers['retry-after'], requestId: res.body?.requestId, bytes: JSON.stringify(res.body ?? '').length };
  };
  // A synchronous command the case did not answer within COMMAND_TIMEOUT_MS gets 504 with its
  // request id (under a flood the server can lose a workflow task, which it retries only after
  // its 10 s timeout — see the README's Limits). As its detail says, the client sends it again
  // with that Idempotency-Key: the answer is its outcome, applied once.
  const sendSync = async (make: () => Req): Promise<Sent> => {
    const first = await send(make());
    if (first.status !== 504) return first;
    expect(first).toMatchObject({ code: 'command_timeout', retryAfter: expect.any(String), requestId: expect.any(String) });
    return eventually(async () => {
      const again = await send(make().set('Idempotency-Key', first.requestId!));
      return again.status === 503 || again.status === 504 ? undefined : again;
    }, 60_000);
  };
  const comment = (async_: boolean) => {
    const req = () => stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.outsider)).send({ text: cjk(TEXT.comment) });
    return async_ ? send(req().set('Prefer', 'respond-async')) : sendSync(req);
  };
  const unknownKeys = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 'x']));

  const [asyncComments, syncComments, hugePatches, growing, expensive] = await Promise.all([
    pool(200, 16, () => comment(true)),
    pool(40, 8, () => comment(false)),
    pool(6, 3, (i) => {
      const req = stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.outsider)).send(unknownKeys);
      return send(i % 2 ? req.set('Prefer', 'respond-async') : req);
    }),
    // 20,000 CJK characters (60 KB) per field: the case's state fills up toward its budget.
    pool(12, 2, (i) => sendSync(() => stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.outsider)).send({ [['a', 'b', 'c', 'd', 'e'][i % 5]!]: `${i}${cjk(TEXT.longtextField - 2)}` }))),
    // The expensive rule, fired again and again: every time an automation.failed, never a stuck case.
    pool(10, 2, (i) => sendSync(() => stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.outsider)).send({ tags: i % 2 ? options : options.slice(1) }))),
  ]);

  // Every answer (a 504's once settled) is a verdict or a refusal with Retry-After; none is an error of ours.
  const all = [...asyncComments, ...syncComments, ...hugePatches, ...growing, ...expensive];
  for (const r of all) {
    expect([200, 202, 413, 422, 429, 503]).toContain(r.status);
    if (r.status === 429 || r.status === 503) expect(r.retryAfter).toBeDefined();
    expect(r.bytes).toBeLessThan(300_000);
  }
  // Oversized field changes are refused up front and cheaply, synchronous or not.
  for (const r of hugePatches) expect([413, 422]).toContain(r.status);
  // Once the flood has drained, field values grow the case until its byte budget refuses more.
  const grown: Sent[] = [];
  for (const field of ['a', 'b', 'c', 'd', 'e']) {
    const res = await eventually(async () => {
      const r = await sendSync(() => stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.outsider)).send({ [field]: `${field}${cjk(TEXT.longtextField - 1)}` }));
      return r.status === 503 ? undefined : r;
    }, 60_000);
    grown.push(res);
    if (res.status !== 200) break;
  }
  expect(grown.at(-1)).toMatchObject({ status: 422, code: 'limit_exceeded' });

  // Each time the expensive rule ran it failed on its budget, with the reason on the timeline
  // (once more after the flood, so it has surely run).
  const once = await eventually(async () => {
    const r = await sendSync(() => stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.outsider)).send({ tags: options.slice(2) }));
    return r.status === 503 ? undefined : r;
  }, 60_000);
  expect(once.status).toBe(200);
  const ranExpensive = expensive.filter((r) => r.status === 200).length + 1;
  const budgetFailures = await eventually(async () => {
    const res = await stack.http().get(`/v1/cases/${id}/timeline?type=automation.failed&limit=500`).set(auth(stack.tokens.admin));
    const items = res.body.items?.filter((e: { data: { reason: string } }) => /budget of 10,000 steps/.test(e.data.reason));
    return items?.length === ranExpensive ? items : undefined;
  }, 60_000);
  expect(budgetFailures.length).toBe(ranExpensive);

  // Afterwards the case answers reads and commands (a busy backlog drains within seconds).
  const view = await eventually(async () => {
    const res = await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.admin));
    return res.status === 200 ? res.body : undefined;
  }, 60_000);
  expect(jsonBytes(view)).toBeLessThan(BYTES.state + 16 * 1024);
  const after = await eventually(async () => {
    const res = await stack.http().post(`/v1/cases/${id}/comments`).set(auth(stack.tokens.admin)).send({ text: 'Still here' });
    return res.status === 200 ? res.body : undefined;
  }, 60_000);
  expect(after.events[0].type).toBe('comment.added');

  // Nothing acknowledged is lost or doubled: every 200/202 comment is a comment, or (a signal that
  // met a full backlog on arrival) a command.rejected on the timeline.
  const acknowledged = asyncComments.filter((r) => r.status === 202).length + syncComments.filter((r) => r.status === 200).length + 1;
  const final = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.admin))).body;
  const rejected = await eventually(async () => {
    const res = await stack.http().get(`/v1/cases/${id}/timeline?type=command.rejected&limit=500`).set(auth(stack.tokens.admin));
    return res.status === 200 ? res.body.items.filter((e: { data: { command: string } }) => e.data.command === 'comment').length : undefined;
  });
  expect(final.comments + rejected).toBe(acknowledged);

  // No run of the case's workflow was terminated or failed, and none failed a workflow task.
  const runs: Array<{ runId: string; status: string }> = [];
  for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${caseWorkflowId(id)}'` })) runs.push({ runId: wf.runId, status: wf.status.name });
  expect(runs.length).toBeGreaterThan(0);
  for (const run of runs) expect(['RUNNING', 'CONTINUED_AS_NEW']).toContain(run.status);
  for (const run of runs) expect({ run: run.runId, failedTasks: await failedTasks(caseWorkflowId(id), run.runId) }).toEqual({ run: run.runId, failedTasks: [] });
}, 300_000);
