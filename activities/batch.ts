import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { finishBatch, recordBatchItem } from '../db/batches';
import type { Database } from '../db/connection';
import type { CaseMetrics } from '../metrics/case-metrics';
import { writeAnswer } from '../db/answers';
import { getProjectedCaseView } from '../db/read-model';
import { getPinnedDefinition, getTemplate, toPublishedTemplate } from '../db/templates';
import type { Actor } from '../domain/actor';
import { batchRequestId, type BatchItemResult, type BatchMessage, type BatchStatus } from '../domain/batch';
import type { CommandResult } from '../domain/case-view';
import type { CaseEvent } from '../domain/events';
import type { Rejection } from '../domain/rejections';
import { readPinnedDefinition } from '../domain/schemas/template';
import type { PublishedTemplate } from '../domain/template';
import { maySeeCase } from '../domain/visibility';
import { caseWorkflowId, COMMAND_REJECTED, commandUpdate, migrateUpdate, projectBacklogSignal } from '../workflows/messages';

export interface BatchItemInput {
  batchId: string;
  caseKey: string;
  actor: Actor;
  message: BatchMessage;
}

/** `ApplicationFailure.type` of an item the case could not take yet (its backlog is full): retried later. */
export const CASE_BUSY_RETRY = 'BatchCaseBusy';

/**
 * One case of a bulk action or migration: sends it the command (or the migration) as the actor who
 * asked, under a request id of the batch and case (so a retried attempt — a worker killed mid-item
 * — is applied once), stores the outcome, and returns it. Temporal being unreachable is thrown and
 * retried; a refusal is an outcome, not a failure.
 */
export function applyBatchItemActivity(deps: { db: Database; log: Logger; metrics?: CaseMetrics }) {
  /** Target versions read through today's schema once per process (published versions never change). */
  const targets = new Map<string, Promise<PublishedTemplate>>();
  const target = (key: string, version: number) => {
    const id = `${key}@${version}`;
    let found = targets.get(id);
    if (!found) {
      found = getTemplate(deps.db, key, version).then((stored) => {
        if (!stored) throw ApplicationFailure.nonRetryable(`template ${key} v${version} does not exist`, 'BatchTemplateMissing');
        return { ...toPublishedTemplate(stored), definition: readPinnedDefinition(stored.definition).definition };
      });
      found.catch(() => targets.delete(id));
      targets.set(id, found);
    }
    return found;
  };

  return async (input: BatchItemInput): Promise<BatchItemResult> => {
    const result = await send(input);
    await recordBatchItem(deps.db, input.batchId, result);
    countCommand(input.message, result);
    return result;
  };

  /** `case_commands_total`, as the API counts the commands it sends (a thrown attempt is counted by the retry that settles it). */
  function countCommand(message: BatchMessage, result: BatchItemResult): void {
    const command = message.type === 'command' ? message.command.type : 'migrate';
    if (result.outcome === 'applied') deps.metrics?.commandFinished(command, 'applied');
    else if (result.outcome === 'not_visible') deps.metrics?.commandFinished(command, 'rejected', 'case_not_found');
    else if (result.outcome === 'refused') deps.metrics?.commandFinished(command, 'rejected', result.code);
  }

  async function send({ batchId, caseKey, actor, message }: BatchItemInput): Promise<BatchItemResult> {
    const handle = Context.current().client.workflow.getHandle(caseWorkflowId(caseKey));
    const requestId = batchRequestId(batchId, caseKey);
    try {
      const answer: CommandResult =
        message.type === 'command'
          ? await handle.executeUpdate(commandUpdate, { args: [{ requestId, actor, command: message.command }], updateId: requestId })
          : await handle.executeUpdate(migrateUpdate, {
              args: [{ requestId, actor, plan: message.plan, template: await target(message.plan.templateKey, message.plan.toVersion) }],
              updateId: requestId,
            });
      await writeAnswerOf(caseKey, answer);
      return { caseKey, outcome: 'applied' };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) return refusal(caseKey, err);
      if (err instanceof WorkflowNotFoundError) return archivedOrMissing(caseKey, actor);
      throw err;
    }
  }

  function refusal(caseKey: string, err: WorkflowUpdateFailedError): BatchItemResult {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type === COMMAND_REJECTED) {
      const rejection = cause.details?.[0] as Rejection | undefined;
      if (rejection?.code === 'case_busy') throw ApplicationFailure.retryable(rejection.detail, CASE_BUSY_RETRY);
      if (rejection?.code === 'case_not_found') return { caseKey, outcome: 'not_visible' };
      return { caseKey, outcome: 'refused', code: rejection?.code ?? 'refused', detail: rejection?.detail ?? cause.message };
    }
    // A run recorded before migrations existed has no `migrate` handler; its next run will.
    return { caseKey, outcome: 'refused', code: 'update_failed', detail: cause?.message ?? err.message };
  }

  /** No running workflow: an archived case (if the actor may see it) or no case at all — answered alike to outsiders. */
  async function archivedOrMissing(caseKey: string, actor: Actor): Promise<BatchItemResult> {
    const view = await getProjectedCaseView(deps.db, caseKey);
    if (!view) return { caseKey, outcome: 'not_visible' };
    const template = await getPinnedDefinition(deps.db, view.template.key, view.template.version);
    if (!template || !maySeeCase(actor, view, template)) return { caseKey, outcome: 'not_visible' };
    return { caseKey, outcome: 'refused', code: 'case_archived', detail: `case ${caseKey} is archived: it can no longer change` };
  }

  /** Writes a command's events to the read model at once, as the API does (db/answers.ts); the case workflow does it otherwise. */
  async function writeAnswerOf(caseKey: string, answer: CommandResult): Promise<void> {
    let inserted: CaseEvent[] | undefined;
    try {
      inserted = await writeAnswer(deps.db, caseKey, answer);
    } catch (err) {
      deps.log.warn({ err, caseKey }, 'writing a bulk command to the read model failed; the case workflow writes it');
    }
    // Counted here, where they are stored first: the workflow's later write of them stores nothing.
    if (inserted) deps.metrics?.eventsStored(answer.case.template.key, inserted, 'worker');
    // Not written: the case writes it now rather than after its grace (and after it, should this signal be lost).
    else await Context.current().client.workflow.getHandle(caseWorkflowId(caseKey)).signal(projectBacklogSignal).catch(() => undefined);
  }
}

/** Stores the outcome of an item whose activity gave up (the batch workflow records it as failed). */
export function recordBatchItemActivity(db: Database) {
  return async (input: { batchId: string; result: BatchItemResult }): Promise<void> => {
    await recordBatchItem(db, input.batchId, input.result);
  };
}

/** Marks a batch finished (completed, or cancelled with the cases it never reached). */
export function finishBatchActivity(db: Database) {
  return async (input: { batchId: string; status: Exclude<BatchStatus, 'running'> }): Promise<void> => {
    await finishBatch(db, input.batchId, input.status);
  };
}
