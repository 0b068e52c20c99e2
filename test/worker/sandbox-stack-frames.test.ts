/**
 * Workflow code keeps the stack frames WORKFLOW_STACK_FRAMES says (workflows/sandbox-stack-frames.ts):
 * none by default, and then the SDK's per-promise stack recording is not installed at all
 * (worker/workflow-threads.ts); with frames, the Temporal UI's Stack Trace tab (the `__stack_trace`
 * query) shows where a case waits. The worker's
 * own stacks, outside the sandbox, keep V8's default either way.
 */
import { publishTemplate } from '../../db/templates';
import type { Actor } from '../../domain/actor';
import { validateTemplate } from '../../domain/template-validation';
import { caseWorkflowId } from '../../workflows/messages';
import { startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

const hr: Actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' };

/** A freshly opened case of the stack's worker. */
async function openCase(stack: TestStack): Promise<string> {
  const validation = validateTemplate(onboardingTemplate());
  if (!validation.ok) throw new Error('example template invalid');
  const template = await publishTemplate(stack.db, { definition: validation.template, publishedBy: 'test' });
  const caseKey = `SF-${Date.now() % 1_000_000}`;
  await stack.cases.open({ caseKey, template, start: { title: 'Stack frames', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Jane Doe' }, actor: hr } }, []);
  return caseKey;
}

/** Where a case waits, as the Temporal UI's Stack Trace tab shows it. */
function stackTrace(stack: TestStack, caseKey: string): Promise<string> {
  return stack.client.workflow.getHandle(caseWorkflowId(caseKey)).query<string>('__stack_trace');
}

test('by default, workflow code records no stacks: the Stack Trace tab says so, and the worker keeps its own frames', async () => {
  const stack = await startTestStack();
  try {
    // The SDK's promise hook is not installed in the workflow threads (worker/workflow-threads.ts):
    // the worker refuses the query ("stack traces are not enabled"; the failure converter encodes
    // the message), while the case answers its own queries.
    const caseKey = await openCase(stack);
    await expect(stackTrace(stack, caseKey)).rejects.toThrow(/Encoded failure|stack traces are not enabled/);
    expect((await stack.cases.view(caseKey)).status).toBe('open');
    // The worker's process, outside the sandbox, keeps its frames.
    expect(new Error('here').stack).toMatch(/\bat .*sandbox-stack-frames\.test\.ts/);
  } finally {
    await stack.close();
  }
}, 120_000);

test('with WORKFLOW_STACK_FRAMES, the Stack Trace tab shows where the case waits', async () => {
  const stack = await startTestStack({ env: { WORKFLOW_STACK_FRAMES: '10' } });
  try {
    expect(await stackTrace(stack, await openCase(stack))).toMatch(/CaseRun\.run .*case-run\.ts/);
  } finally {
    await stack.close();
  }
}, 120_000);
