/**
 * A worker caches a bounded number of case workflows (WORKER_MAX_CACHED_WORKFLOWS); cases beyond
 * it are evicted and replayed from history on their next task. Here the cache holds 2 while 10
 * cases are driven in turns: every command must still be applied once, in order.
 */
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  stack = await startTestStack({ env: { WORKER_MAX_CACHED_WORKFLOWS: '2' } });
  const template = {
    key: 'evict',
    name: 'Eviction',
    prefix: 'EVI',
    fields: [{ key: 'counter', type: 'number' }],
    stages: [{ key: 'open', sla: { deadline: '2h' } }, { key: 'done', terminal: true }],
  };
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(template)).status).toBe(201);
});
afterAll(() => stack?.close());

test('ten cases through a cache of two: every command applied once, in order', async () => {
  expect(stack.worker.options.maxCachedWorkflows).toBe(2);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const res = await stack.http().post('/v1/cases').set(auth(stack.tokens.admin)).send({ template: 'evict', title: `Evicted ${i}` });
    expect(res.status).toBe(201);
    ids.push(res.body.id);
  }
  let maxCached = 0;
  for (let round = 1; round <= 3; round++) {
    for (const id of ids) {
      const res = await stack.http().patch(`/v1/cases/${id}/fields`).set(auth(stack.tokens.admin)).send({ counter: round });
      expect({ id, status: res.status }).toEqual({ id, status: 200 });
      expect(res.body.case.fields.counter).toBe(round);
      maxCached = Math.max(maxCached, stack.worker.getStatus().numCachedWorkflows);
    }
  }
  expect(maxCached).toBeLessThanOrEqual(2);
  for (const id of ids) {
    const view = (await stack.http().get(`/v1/cases/${id}`).set(auth(stack.tokens.admin))).body;
    expect(view.fields.counter).toBe(3);
    // three field changes after the opening events, none twice
    const timeline = await eventually(async () => {
      const res = await stack.http().get(`/v1/cases/${id}/timeline?type=field.changed`).set(auth(stack.tokens.admin));
      return res.body.items?.length === 3 ? res.body.items : undefined;
    });
    expect(timeline.map((e: { data: { new: number } }) => e.data.new)).toEqual([1, 2, 3]);
  }
});
