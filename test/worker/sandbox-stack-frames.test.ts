/**
 * Workflow code keeps the stack frames WORKFLOW_STACK_FRAMES says (workflows/sandbox-stack-frames.ts):
 * none by default, which spares the SDK's per-promise stack recording its cost; with frames, the
 * Temporal UI's Stack Trace tab (the `__stack_trace` query) shows where a case waits. The worker's
 * own stacks, outside the sandbox, keep V8's default either way.
 */
import { publishTemplate } from '../../db/templates';
import type { Actor } from '../../domain/actor';
import { validateTemplate } from '../../domain/template-validation';
import { caseWorkflowId } from '../../workflows/messages';
import { startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

const hr: Actor = { id: 'hana', name: 'Hana HR', roles: ['hr'], kind: 'user' };

/** Where a freshly opened case of the stack's worker waits, as the Temporal UI's Stack Trace tab shows it. */
async function stackTraceOfOpenCase(stack: TestStack): Promise<string> {
  const validation = validateTemplate(onboardingTemplate());
  if (!validation.ok) throw new Error('example template invalid');
  const template = await publishTemplate(stack.db, { definition: validation.template, publishedBy: 'test' });
  const caseKey = `SF-${Date.now() % 1_000_000}`;
  await stack.cases.open({ caseKey, template, start: { title: 'Stack frames', templateKey: template.key, templateVersion: template.version, fields: { fullName: 'Jane Doe' }, actor: hr } }, []);
  return stack.client.workflow.getHandle(caseWorkflowId(caseKey)).query<string>('__stack_trace');
}

test('by default, stacks taken in workflow code keep no frames: the Stack Trace tab names no code', async () => {
  const stack = await startTestStack();
  try {
    const trace = await stackTraceOfOpenCase(stack);
    expect(trace).not.toMatch(/case-run|CaseRun/);
    expect(trace).not.toMatch(/\bat /);
    // The worker's process, outside the sandbox, keeps its frames.
    expect(new Error('here').stack).toMatch(/\bat .*sandbox-stack-frames\.test\.ts/);
  } finally {
    await stack.close();
  }
}, 120_000);

test('with WORKFLOW_STACK_FRAMES, the Stack Trace tab shows where the case waits', async () => {
  const stack = await startTestStack({ env: { WORKFLOW_STACK_FRAMES: '10' } });
  try {
    expect(await stackTraceOfOpenCase(stack)).toMatch(/CaseRun\.run .*case-run\.ts/);
  } finally {
    await stack.close();
  }
}, 120_000);
