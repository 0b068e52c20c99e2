import { patched, setHandler } from '@temporalio/workflow';
import type { CaseState } from '../domain/case-state';
import { CaseRun } from './case-run';
import { caseWorkflowV1 } from './legacy/case-workflow-v1';
import { CASE_INPUT_VERSION, caseViewQuery, checkCommandQuery, commandAsyncUpdate, commandSignal, commandTypes, commandUpdate, commandUpdateOf, migrateUpdate, openedUpdate, projectBacklogSignal, recentTimelineQuery, type CaseWorkflowInput } from './messages';
import { pinnedDefinition } from './pinned-definition';

/**
 * Runs recorded before `CaseRun` (one workflow task per command, local projection, one timer)
 * have no marker for this patch and replay on the frozen code that recorded them; runs started
 * after it and before `caseRun` was in the input record it (and so does the next run of an old
 * case after its continue-as-new). Runs started since carry `caseRun` and ask nothing.
 */
const CASE_RUN_PATCH = 'case-run';

/**
 * One case, alive for as long as the case is: applies commands through the pure domain rules,
 * runs the template's automations and SLA clocks, carries out their effects through activities,
 * projects its events to the read model, keeps its search attributes current, and continues as
 * new when the history grows long. State and behaviour live in `CaseRun`; this wires Temporal's
 * messages to it.
 */
export async function caseWorkflow(input: CaseWorkflowInput): Promise<CaseState> {
  // Thrown as a plain error, this fails the workflow task, not the case: the task is retried until
  // a worker with code as new as the input takes it (a deploy that upgraded the API first).
  if ((input.inputVersion ?? 0) > CASE_INPUT_VERSION) {
    throw new Error(`this run's input is version ${input.inputVersion}; this worker's case workflow code reads up to version ${CASE_INPUT_VERSION}: upgrade the workers`);
  }
  if (!input.caseRun && !patched(CASE_RUN_PATCH)) return caseWorkflowV1(input);
  // A case pins the definition it started with, read through today's schema by the API. One that
  // no longer fits it (automation actions written before they were validated) runs without automations.
  const { definition, current } = pinnedDefinition(input);
  const run = new CaseRun(input, definition, current);

  // Every handler is set before the first await: an update sent with the start runs in the first task.
  setHandler(commandUpdate, (raw) => run.executeCommand(raw), { validator: (raw) => run.validateCommand(raw) });
  for (const type of commandTypes) {
    setHandler(commandUpdateOf(type), (raw) => run.executeCommand(raw), { validator: (raw) => run.validateCommand(raw, type) });
  }
  setHandler(commandSignal, (raw) => run.signalCommand(raw));
  setHandler(commandAsyncUpdate, (raw) => run.acceptCommand(raw), { validator: (raw) => run.validateCommand(raw) });
  setHandler(projectBacklogSignal, () => run.projectBacklog());
  setHandler(openedUpdate, () => run.opened());
  setHandler(migrateUpdate, (raw) => run.executeMigration(raw), { validator: (raw) => run.validateMigration(raw) });
  setHandler(caseViewQuery, () => run.view());
  setHandler(checkCommandQuery, (raw) => run.checkCommand(raw));
  setHandler(recentTimelineQuery, (limit) => run.recentTimeline(limit));

  return run.run();
}
