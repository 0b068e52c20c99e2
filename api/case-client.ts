import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { CaseView, CommandResult } from '../domain/case-view';
import type { CommandRequest } from '../domain/commands';
import type { Rejection } from '../domain/rejections';
import {
  COMMAND_REJECTED,
  caseViewQuery,
  caseWorkflowId,
  commandSignal,
  commandUpdate,
  type CaseWorkflowInput,
} from '../workflows/messages';
import { CaseKey, CaseOwner, CaseStage, CaseStatus, CaseTemplate } from '../workflows/search-attributes';
import { Problem } from './errors';

/**
 * The server drops updates admitted into a workflow task it then fails — typically when a signal
 * arrives while the case is continuing as new ("unhandled command"). Such an update was never
 * applied, so sending it again under the same update id is safe and applies it once.
 */
function abortedByWorkflowTask(err: unknown): boolean {
  const text = `${String((err as Error)?.message ?? '')} ${String(((err as Error)?.cause as Error | undefined)?.message ?? '')}`;
  return /FAILED_PRECONDITION/.test(text) && /workflow task failure/i.test(text);
}

const UPDATE_ATTEMPTS = 5;

function isUnavailable(err: unknown): boolean {
  const text = String((err as Error)?.message ?? err);
  return /UNAVAILABLE|ECONNREFUSED|DEADLINE_EXCEEDED|Connection dropped|failed to connect/i.test(text);
}

function toProblem(err: unknown, caseKey: string): unknown {
  if (/already completed/i.test(String((err as Error)?.message))) {
    return new Problem('case_archived', `Case ${caseKey} is archived: it stayed closed past its retention and can no longer change`);
  }
  if (err instanceof WorkflowNotFoundError) return new Problem('case_not_found', `No case ${caseKey}`);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === COMMAND_REJECTED) {
    const rejection = err.cause.details?.[0] as Rejection | undefined;
    if (rejection?.code) return Problem.fromRejection(rejection);
  }
  if (isUnavailable(err)) return new Problem('temporal_unavailable', 'The workflow service is unreachable; try again shortly');
  return err;
}

/** The API's view of case workflows: start, query and command them through the Temporal client. */
export class CaseClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  private handle(caseKey: string) {
    return this.client.workflow.getHandle(caseWorkflowId(caseKey));
  }

  /** Starts the case workflow; a repeated start of the same key (an idempotent retry) is not an error. */
  async start(input: CaseWorkflowInput): Promise<void> {
    const { caseKey, template, start } = input;
    try {
      await this.client.workflow.start('caseWorkflow', {
        taskQueue: this.taskQueue,
        workflowId: caseWorkflowId(caseKey),
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${caseKey} · ${start.title}`,
        staticDetails: `Case **${caseKey}** from template *${template.definition.name}* (${template.key} v${template.version}), opened by ${start.actor.name}.`,
        typedSearchAttributes: [
          { key: CaseKey, value: caseKey },
          { key: CaseTemplate, value: template.key },
          { key: CaseStage, value: template.definition.stages[0]?.key ?? '' },
          { key: CaseStatus, value: 'open' },
          ...(start.owner ? [{ key: CaseOwner, value: start.owner }] : []),
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw toProblem(err, caseKey);
    }
  }

  async view(caseKey: string): Promise<CaseView> {
    try {
      return await this.handle(caseKey).query(caseViewQuery);
    } catch (err) {
      throw toProblem(err, caseKey);
    }
  }

  /** The case view right after a start: the first workflow task may still be running. */
  async viewWhenReady(caseKey: string, timeoutMs = 30_000): Promise<CaseView> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      try {
        return await this.view(caseKey);
      } catch (err) {
        // Until its first task completes a new workflow may be unknown, or fail or time out a
        // query (a busy worker): only a definite answer ends the wait early.
        if (err instanceof Problem && err.code !== 'case_not_found' && err.code !== 'temporal_unavailable') throw err;
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Sends a command and waits for the verdict; the request id doubles as the update id. */
  async execute(caseKey: string, request: CommandRequest): Promise<CommandResult> {
    const requestId = request.requestId ?? randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.handle(caseKey).executeUpdate(commandUpdate, { args: [{ ...request, requestId }], updateId: requestId });
      } catch (err) {
        if (attempt < UPDATE_ATTEMPTS && abortedByWorkflowTask(err)) {
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
          continue;
        }
        throw toProblem(err, caseKey);
      }
    }
  }

  /** Fire-and-forget: a refused command shows up on the timeline as `command.rejected`. */
  async signal(caseKey: string, request: CommandRequest): Promise<string> {
    const requestId = request.requestId ?? randomUUID();
    try {
      await this.handle(caseKey).signal(commandSignal, { ...request, requestId });
      return requestId;
    } catch (err) {
      throw toProblem(err, caseKey);
    }
  }
}
