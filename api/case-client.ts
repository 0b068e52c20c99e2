import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { CaseView, CommandResult } from '../domain/case-view';
import type { CommandRequest } from '../domain/commands';
import type { CaseEvent } from '../domain/events';
import type { Rejection } from '../domain/rejections';
import { BYTES, formatBytes, jsonBytes } from '../domain/limits';
import type { BatchWorkflowInput } from '../domain/batch';
import { batchWorkflow, caseWorkflow } from '../workflows';
import { caseViewQuery, caseWorkflowId, checkCommandQuery, commandAsyncUpdate, commandSignal, commandUpdate, commandUpdateOf, openedUpdate, projectBacklogSignal, type CaseWorkflowInput } from '../workflows/messages';
import { Admission, AdmissionRefused } from './admission';
import type { CaseMetrics } from '../metrics/case-metrics';
import type { AnswerProjection } from './answer-projection';
import { AnswerBatches } from './answer-batches';
import { caseNotFound } from './case-access';
import { Problem } from './errors';
import { classifyTemporalError, type ClassifiedTemporalError, type TemporalErrorKind } from './temporal-errors';

export interface CaseClientOptions {
  /** Queries, signals and starts: how long the server may take to answer (503 after). */
  callTimeoutMs: number;
  /** A synchronous command: how long to wait for the case's verdict (504 after). */
  commandTimeoutMs: number;
  /** A start: how long to wait for the new case's first view (504 after, with the case key). */
  startTimeoutMs: number;
  /** Bounds Temporal calls in flight in this process. */
  admission: Admission;
  /** Writes a command's answer to the read model (api/answer-projection.ts); the workflow does otherwise. */
  projectAnswer?: AnswerProjection;
  /** How long a command's answer waits for more answers of its case before they are written as one (api/answer-batches.ts). */
  answerWindowMs: number;
  /** Counts every command sent (`case_commands_total`): routes, document uploads and reviews, the portal's form. */
  metrics?: CaseMetrics;
  log?: Logger;
}

/** The client's timeouts and admission bound, from the configuration. */
export function caseClientOptions(
  config: Pick<Config, 'TEMPORAL_CALL_TIMEOUT_MS' | 'COMMAND_TIMEOUT_MS' | 'START_TIMEOUT_MS' | 'TEMPORAL_MAX_INFLIGHT' | 'ADMISSION_WAIT_MS' | 'ANSWER_WRITE_WINDOW_MS'>,
  log?: Logger,
  projectAnswer?: AnswerProjection,
  metrics?: CaseMetrics,
): CaseClientOptions {
  return {
    ...(projectAnswer ? { projectAnswer } : {}),
    ...(metrics ? { metrics } : {}),
    callTimeoutMs: config.TEMPORAL_CALL_TIMEOUT_MS,
    commandTimeoutMs: config.COMMAND_TIMEOUT_MS,
    startTimeoutMs: config.START_TIMEOUT_MS,
    answerWindowMs: config.ANSWER_WRITE_WINDOW_MS,
    admission: new Admission(config.TEMPORAL_MAX_INFLIGHT, config.ADMISSION_WAIT_MS),
    ...(log ? { log } : {}),
  };
}

const defaults = (): CaseClientOptions => ({
  callTimeoutMs: 4_000,
  commandTimeoutMs: 15_000,
  startTimeoutMs: 15_000,
  answerWindowMs: 4,
  admission: new Admission(64, 1_000),
});

/**
 * How long to keep resending an update the server dropped with a failed workflow task (see
 * `execute`): a case continuing as new is ready again within ~100 ms, so resends are quick and
 * evenly spaced (25, 50, 75, 100, 100… ms) rather than doubling into seconds.
 */
const UPDATE_RESEND_MS = 2_000;
/** Thrown by `sendUpdate` when the caller asked to send the command another way after such an error. */
class SendAnotherWay extends Error {}
/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_S = 2;

const unavailable = () =>
  new Problem('dependency_unavailable', 'The workflow service (Temporal) is unreachable; try again shortly', { dependency: 'temporal', retryAfter: RETRY_AFTER_S });

/** The API's view of case workflows: start, query and command them through the Temporal client. */
export class CaseClient {
  private readonly options: CaseClientOptions;
  /** Cases whose unavailability was logged recently: logged once, not on every request. */
  private readonly reported = new Map<string, number>();
  /** Answers of commands on their way to the read model. */
  private readonly answers: AnswerBatches | undefined;

  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    options: Partial<CaseClientOptions> = {},
  ) {
    this.options = { ...defaults(), ...options };
    const write = this.options.projectAnswer;
    this.answers = write && new AnswerBatches(write, (caseKey) => this.askCaseToWrite(caseKey), this.options.answerWindowMs);
  }

  /** Writes the answers still held for the read model (before the process exits). */
  flushAnswers(): Promise<void> {
    return this.answers?.flush() ?? Promise.resolve();
  }

  private handle(caseKey: string) {
    return this.client.workflow.getHandle(caseWorkflowId(caseKey));
  }

  /** Runs a call to Temporal within this process's admission bound and a deadline. */
  private call<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    return this.options.admission
      .run(() => this.client.connection.withDeadline(Date.now() + timeoutMs, fn))
      .catch((err: unknown) => {
        if (err instanceof AdmissionRefused) {
          throw new Problem('overloaded', `The service is at capacity (${err.limit} calls to the workflow service in flight); retry shortly`, { retryAfter: 1 });
        }
        throw err;
      });
  }

  /**
   * Starts a case and answers its first view in one round trip (Update-with-Start: the `opened`
   * update rides with the start and is answered by the first workflow task). A repeated start of
   * the same key — an idempotent retry — answers the running case's view. Past START_TIMEOUT_MS
   * the answer is 504 with the case key: the case may exist, and a retry with the same
   * Idempotency-Key returns it.
   */
  async open(input: CaseWorkflowInput, searchAttributes: SearchAttributePair[]): Promise<CaseView> {
    const startWorkflowOperation = new WithStartWorkflowOperation(caseWorkflow, {
      ...this.startOptions(input, searchAttributes),
      // A retry attaches to the running case (and is answered its view); an archived one under the key is not started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      const opened = await this.call(this.options.startTimeoutMs, () => this.client.workflow.executeUpdateWithStart(openedUpdate, { startWorkflowOperation }));
      // Awaited, unlike a command's: whoever creates a case expects to find it in lists right away.
      // A retry is answered no events (the first try had them, and may have died before its write):
      // the case is asked to write what it holds.
      if (opened.events.length > 0) await this.project(input.caseKey, opened);
      else if (opened.case.status === 'open') await this.askCaseToWrite(input.caseKey);
      return opened.case;
    } catch (err) {
      return this.startFailed(err, input.caseKey);
    }
  }

  /**
   * Starts a case whose opening the API decided (`input.opening`; `view` is the case it makes):
   * answered as soon as Temporal holds the start, the case adopts those events in its first task.
   * A repeated start of the same key — an idempotent retry — answers the case's view as it is now.
   */
  async startDecided(input: CaseWorkflowInput & { opening: CaseEvent[] }, searchAttributes: SearchAttributePair[], view: CaseView): Promise<CaseView> {
    try {
      await this.call(this.options.startTimeoutMs, () =>
        this.client.workflow.start(caseWorkflow, { ...this.startOptions(input, searchAttributes), workflowIdConflictPolicy: 'FAIL' }),
      );
    } catch (err) {
      return this.startFailed(err, input.caseKey);
    }
    await this.project(input.caseKey, { case: view, events: input.opening, project: true });
    return view;
  }

  /** The start options of a case workflow: its id, input, and what the Temporal UI shows and filters on. */
  private startOptions(input: CaseWorkflowInput, searchAttributes: SearchAttributePair[]) {
    const { caseKey, template, start } = input;
    return {
      taskQueue: this.taskQueue,
      workflowId: caseWorkflowId(caseKey),
      args: [input] as [CaseWorkflowInput],
      workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
      staticSummary: `${caseKey} · ${start.title}`,
      staticDetails: `Case **${caseKey}** from template *${template.definition.name}* (${template.key} v${template.version}), opened by ${start.actor.name}.`,
      typedSearchAttributes: searchAttributes,
    };
  }

  /** A start that did not go through: the case may exist all the same (then its view), or a Problem. */
  private async startFailed(err: unknown, caseKey: string): Promise<CaseView> {
    const classified = classifyTemporalError(err);
    if (classified.kind === 'already_started') {
      // The key's case exists: a retry, or an archived case. The first try may have died between
      // the start and its write to the read model, so the case is asked to write what it holds.
      const view = await this.viewWhenReady(caseKey);
      if (view.status === 'open') await this.askCaseToWrite(caseKey);
      return view;
    }
    // A worker that predates `opened` refused the update after starting the case: it exists — read it.
    if (err instanceof WorkflowUpdateFailedError && classified.kind !== 'rejected') return this.viewWhenReady(caseKey);
    if (classified.kind === 'timeout' && (await this.serverAnswers())) throw startTimeout(caseKey, this.options.startTimeoutMs);
    throw await this.toProblem(err, classified, caseKey);
  }

  /**
   * Writes what the case answered to the read model (`projectAnswer`); one that could not be
   * written is the case's to write, and it is told so now rather than after its grace.
   */
  private async project(caseKey: string, result: CommandResult): Promise<void> {
    const write = this.options.projectAnswer;
    if (!write || !result.project) return;
    if (await write(caseKey, result)) {
      this.answers?.noteWrite(caseKey, result);
      return;
    }
    await this.askCaseToWrite(caseKey);
  }

  /** The request with how far this process has written the case (`written`), for a case that takes it. */
  private withWritten(caseKey: string, request: CommandRequest): CommandRequest {
    const written = this.answers?.writtenThrough(caseKey);
    return written === undefined ? request : { ...request, written };
  }

  /** Tells a case that what it answered could not be written by its caller: it writes it now. Never throws. */
  private async askCaseToWrite(caseKey: string): Promise<void> {
    try {
      await this.call(this.options.callTimeoutMs, () => this.handle(caseKey).signal(projectBacklogSignal));
    } catch (err) {
      // The case still writes them after its grace (PROJECTION_GRACE_MS).
      this.options.log?.warn({ caseKey, err }, 'could not ask the case to write what its caller could not; it does so after its grace');
    }
  }

  async view(caseKey: string): Promise<CaseView> {
    try {
      return await this.call(this.options.callTimeoutMs, () => this.handle(caseKey).query(caseViewQuery));
    } catch (err) {
      throw await this.toProblem(err, classifyTemporalError(err), caseKey);
    }
  }

  /**
   * The case view of a case just started without `opened` (see `open`): its first workflow task
   * may still be running. Past START_TIMEOUT_MS the answer is 504 with the case key.
   */
  async viewWhenReady(caseKey: string, timeoutMs = this.options.startTimeoutMs): Promise<CaseView> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      try {
        return await this.view(caseKey);
      } catch (err) {
        // Until its first task completes a new workflow may be unknown, or fail or time out a
        // query (a busy worker): only a definite answer ends the wait early.
        const waiting = err instanceof Problem && ['case_not_found', 'case_unavailable', 'dependency_unavailable', 'overloaded'].includes(err.code);
        if (!waiting) throw err;
        if (Date.now() + delay > deadline) throw startTimeout(caseKey, timeoutMs);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Sends a command and waits for the verdict; the request id, scoped to the sender, is the update
   * id, so a resend (ours, or the client's with the same Idempotency-Key) is applied once.
   */
  execute(caseKey: string, request: CommandRequest): Promise<CommandResult> {
    return this.counted(request.command.type, 'applied', () => this.update(caseKey, request));
  }

  private async update(caseKey: string, request: CommandRequest): Promise<CommandResult> {
    const message = commandMessage(this.withWritten(caseKey, request));
    const updateId = senderScoped(request, message.requestId);
    const send = (update: typeof commandUpdate, anotherWay: TemporalErrorKind[] = []) =>
      this.sendUpdate(caseKey, message.requestId, (handle) => handle.executeUpdate(update, { args: [message], updateId }), anotherWay);
    let result: CommandResult;
    try {
      // Under the command type's name (readable in the Temporal UI); as `command` to a run of older code.
      result = await send(commandUpdateOf(message.command.type), ['update_not_handled']);
    } catch (err) {
      if (!(err instanceof SendAnotherWay)) throw err;
      result = await send(commandUpdate);
    }
    // After the caller has its answer, with the case's other answers of the next few ms (answer-batches.ts).
    this.answers?.add(caseKey, result);
    return result;
  }

  /**
   * One command update, resent while the server drops it with a failed workflow task (a signal
   * arriving while the case continues as new: such an update was never applied, so resending it
   * under the same id is safe). After an error of a kind in `anotherWay` (the run does not know
   * the update, the case is busy), the caller sends the command another way. A task that keeps
   * failing ends as case_unavailable, a case that does not answer as command_timeout with the
   * request id.
   */
  private async sendUpdate<T>(
    caseKey: string,
    requestId: string,
    send: (handle: ReturnType<CaseClient['handle']>) => Promise<T>,
    /** Errors after which the caller sends the command another way (`SendAnotherWay` is thrown). */
    anotherWay: ReadonlyArray<TemporalErrorKind> = [],
  ): Promise<T> {
    const firstSent = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(this.options.commandTimeoutMs, () => send(this.handle(caseKey)));
      } catch (err) {
        const classified = classifyTemporalError(err);
        if (anotherWay.includes(classified.kind)) throw new SendAnotherWay();
        if (classified.kind === 'workflow_task_failing' && Date.now() - firstSent < UPDATE_RESEND_MS) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(25 * attempt, 100)));
          continue;
        }
        if (classified.kind === 'timeout' && (await this.serverAnswers())) {
          // A case whose workflow task keeps failing holds updates until the task succeeds: say so.
          if (await this.workflowTaskFailing(caseKey)) throw await this.toProblem(err, { kind: 'workflow_task_failing' }, caseKey, 'update');
          throw new Problem(
            'command_timeout',
            `Case ${caseKey} did not answer within ${Math.round(this.options.commandTimeoutMs / 1000)} s; the command may still be applied — send it again with Idempotency-Key ${requestId} to learn its outcome`,
            { caseKey, requestId, retryAfter: RETRY_AFTER_S },
          );
        }
        throw await this.toProblem(err, classified, caseKey, 'update');
      }
    }
  }

  /**
   * Sends a command for a 202 (`Prefer: respond-async`): answered once the case has checked it
   * and recorded it — one round trip, with the same refusals as a synchronous command — and the
   * case writes its events to the read model itself. Under its own update id (`…#async`), so a
   * synchronous resend with the same Idempotency-Key gets the events, not this empty answer.
   * A run of older code that does not know the update, and a case with too many updates in flight
   * (a burst), get the command as a signal instead, after a dry run (`sendSignal`): signals queue
   * in the case's backlog, within its budget, where updates would be refused.
   */
  accept(caseKey: string, request: CommandRequest): Promise<string> {
    return this.counted(request.command.type, 'accepted', async () => {
      const message = commandMessage(this.withWritten(caseKey, request));
      try {
        await this.sendUpdate(
          caseKey,
          message.requestId,
          // Accepted and applied in one workflow task, so waiting for its (empty) result costs nothing more.
          (handle) => handle.executeUpdate(commandAsyncUpdate, { args: [message], updateId: `${senderScoped(request, message.requestId)}#async` }),
          ['update_not_handled', 'busy'],
        );
        return message.requestId;
      } catch (err) {
        if (!(err instanceof SendAnotherWay)) throw err;
      }
      return this.sendSignal(caseKey, message);
    });
  }

  /**
   * The command as a signal (`accept`'s other way), after the same admission checks as a
   * synchronous command: the case is asked for a dry run first, so a command it would refuse gets
   * its 4xx now instead of a `command.rejected` on the timeline later.
   */
  private async sendSignal(caseKey: string, message: CommandRequest & { requestId: string }): Promise<string> {
    try {
      const refusal = await this.call(this.options.callTimeoutMs, () => this.handle(caseKey).query(checkCommandQuery, message)).catch((err: unknown) => {
        // A worker running an older version does not know the dry run: the workflow still checks.
        if (classifyTemporalError(err).kind === 'query_not_registered') return null;
        throw err;
      });
      if (refusal) throw fromRejection(refusal, caseKey);
      await this.call(this.options.callTimeoutMs, () => this.handle(caseKey).signal(commandSignal, message));
      return message.requestId;
    } catch (err) {
      if (err instanceof Problem) throw err;
      throw await this.toProblem(err, classifyTemporalError(err), caseKey);
    }
  }

  /** Sends a command and counts its outcome: `success`, or the problem it ended in (4xx: rejected by the case, else failed). */
  private async counted<T>(command: string, success: 'applied' | 'accepted', send: () => Promise<T>): Promise<T> {
    try {
      const sent = await send();
      this.options.metrics?.commandFinished(command, success);
      return sent;
    } catch (err) {
      const problem = err instanceof Problem ? err : undefined;
      this.options.metrics?.commandFinished(command, problem && problem.status < 500 ? 'rejected' : 'failed', problem?.code ?? 'internal_error');
      throw err;
    }
  }

  /**
   * Starts a bulk action or migration (`batchWorkflow`, id `batchId`). A retry attaches to the
   * running batch, and a finished one is not started again: either way the batch exists.
   */
  async startBatch(input: BatchWorkflowInput): Promise<void> {
    try {
      await this.call(this.options.callTimeoutMs, () =>
        this.client.workflow.start(batchWorkflow, {
          taskQueue: this.taskQueue,
          workflowId: input.batchId,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      );
    } catch (err) {
      const classified = classifyTemporalError(err);
      if (classified.kind === 'already_started') return;
      throw this.batchProblem(err, classified);
    }
  }

  /** Asks a running bulk action or migration to stop (the cases it has not reached keep their state). */
  async cancelBatch(batchId: string): Promise<void> {
    try {
      await this.call(this.options.callTimeoutMs, () => this.client.workflow.getHandle(batchId).cancel());
    } catch (err) {
      throw this.batchProblem(err, classifyTemporalError(err));
    }
  }

  /** A failed batch call: an unreachable or silent server is a fast 503; anything else stays as it is (a 500). */
  private batchProblem(err: unknown, classified: ClassifiedTemporalError): unknown {
    return classified.kind === 'unavailable' || classified.kind === 'timeout' ? unavailable() : err;
  }

  /** Whether the Temporal server answers a health check now (tells a slow case from a dead server). */
  async serverAnswers(timeoutMs = 1_000): Promise<boolean> {
    try {
      await this.client.connection.withDeadline(Date.now() + timeoutMs, () => this.client.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  }

  private async toProblem(err: unknown, classified: ClassifiedTemporalError, caseKey: string, call: 'update' | 'other' = 'other'): Promise<unknown> {
    if (err instanceof Problem) return err;
    switch (classified.kind) {
      case 'rejected':
        return fromRejection(classified.rejection!, caseKey);
      case 'not_found':
        // An update to a workflow that completed (an archived case) is "not found" too.
        return call === 'update' && (await this.hasCompleted(caseKey))
          ? new Problem('case_archived', `Case ${caseKey} is archived: it stayed closed past its retention and can no longer change`)
          : new Problem('case_not_found', `No case ${caseKey}`);
      case 'workflow_task_failing':
        this.reportUnavailable(caseKey, err);
        return new Problem('case_unavailable', `Case ${caseKey} cannot answer right now (its workflow task is failing, or no worker serves it); engineers have been told; try again later`, {
          caseKey,
          retryAfter: 30,
        });
      case 'busy':
        return new Problem('case_busy', `Case ${caseKey} has too many commands in flight; try again shortly`, { caseKey, retryAfter: 1 });
      case 'timeout':
        if (await this.serverAnswers()) {
          this.reportUnavailable(caseKey, err);
          return new Problem('case_unavailable', `Case ${caseKey} did not answer in time (its worker is busy or failing); try again shortly`, { caseKey, retryAfter: RETRY_AFTER_S });
        }
        return unavailable();
      case 'unavailable':
        return unavailable();
      default:
        return err;
    }
  }

  /** Whether the case's pending workflow task has failed before (the server retries it with backoff). */
  private async workflowTaskFailing(caseKey: string): Promise<boolean> {
    try {
      const description = await this.call(this.options.callTimeoutMs, () => this.handle(caseKey).describe());
      return (description.raw.pendingWorkflowTask?.attempt ?? 0) > 1;
    } catch {
      return false;
    }
  }

  private async hasCompleted(caseKey: string): Promise<boolean> {
    try {
      const description = await this.call(this.options.callTimeoutMs, () => this.handle(caseKey).describe());
      return description.status.name !== 'RUNNING';
    } catch {
      return false;
    }
  }

  /** Logs a case that cannot answer once per 10 minutes, not on every request that finds it so. */
  private reportUnavailable(caseKey: string, err: unknown): void {
    const now = Date.now();
    const last = this.reported.get(caseKey);
    if (last !== undefined && now - last < 10 * 60_000) return;
    if (this.reported.size > 1000) this.reported.clear();
    this.reported.set(caseKey, now);
    this.options.log?.error({ caseKey, err }, 'case unavailable: its workflow task is failing or no worker serves it');
  }
}

/**
 * A refusal of the case as a problem. A case that refuses the sender as one who may not see it
 * answers exactly like a case that does not exist.
 */
function fromRejection(rejection: Rejection, caseKey: string): Problem {
  return rejection.code === 'case_not_found' ? caseNotFound(caseKey) : Problem.fromRejection(rejection);
}

/**
 * The update id of a request: its id within the sender's own. The server answers a repeated update
 * id with the first outcome without asking the case, so one sender's key must never fetch another's
 * answer (the case view) for someone the case would refuse.
 */
function senderScoped(request: CommandRequest, requestId: string): string {
  return `${request.actor.kind}:${request.actor.id}:${requestId}`;
}

function startTimeout(caseKey: string, timeoutMs: number): Problem {
  return new Problem('start_timeout', `Case ${caseKey} was created but did not answer within ${Math.round(timeoutMs / 1000)} s; retry with the same Idempotency-Key, or GET /v1/cases/${caseKey}`, {
    caseKey,
    location: `/v1/cases/${caseKey}`,
    retryAfter: RETRY_AFTER_S,
  });
}

/** The message a command is sent as: its request id (the client's key, or a new one), within the byte budget. */
function commandMessage(request: CommandRequest): CommandRequest & { requestId: string } {
  const message = { ...request, requestId: request.requestId ?? randomUUID() };
  assertCommandSize(message);
  return message;
}

function assertCommandSize(message: CommandRequest): void {
  const bytes = jsonBytes(message);
  if (bytes > BYTES.command) {
    throw new Problem('command_too_large', `The command is ${formatBytes(bytes)}; a command may carry at most ${formatBytes(BYTES.command)}`, { limit: BYTES.command });
  }
}
