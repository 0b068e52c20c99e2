import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ApplicationFailure,
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  log,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { systemActor, type Actor } from '../domain/actor';
import { react } from '../domain/automations';
import { busyRejection, keepProcessed, type ProcessedRequest } from '../domain/budgets';
import { applyDrafts, emptyState, foldEvents, type CaseState } from '../domain/case-state';
import { toCaseView, type CaseView, type CommandResult } from '../domain/case-view';
import { commandAccessRefusal, commandVerdict, type CommandVerdict } from '../domain/command-verdict';
import { checkActor, type CommandRequest } from '../domain/commands';
import { decideStart } from '../domain/decide';
import { effectOutcomeEvents, outcomeDepth, type EffectOutcome } from '../domain/effect-outcomes';
import type { Effect } from '../domain/effects';
import type { CaseEvent, EventDraft } from '../domain/events';
import { BYTES, CALLER_PROJECTION_GRACE_MS, EVENTS_PER_RUN, PROMPT_PROJECTION_BYTES, SEARCH_ATTRIBUTES_EVERY_MS, formatBytes, jsonBytes } from '../domain/limits';
import { decideMigration, type MigrationDecision } from '../domain/migration';
import { runDetails } from '../domain/run-details';
import { reject, type Rejection } from '../domain/rejections';
import { caseDueAt, dueTimerEvents, nextWake } from '../domain/sla';
import type { TemplateDefinition, PublishedTemplate } from '../domain/template';
import { callEffect, projectCase } from './activity-proxies';
import { Backlog } from './backlog';
import { currentCause, withCause } from './correlation';
import { CASE_INPUT_VERSION, COMMAND_REJECTED, type CaseWorkflowInput, type MigrateRequest } from './messages';
import { RecentEvents } from './recent-events';
import { caseSearchAttributes, searchAttributesOf } from './search-attributes';
import { WakeTimer } from './wake-timer';

const DEFAULT_ARCHIVE_AFTER_MS = 30 * 24 * 3600 * 1000;
/** The input version from which a run takes `written` on commands (see `acknowledgeWritten`). */
const TAKES_WRITTEN_SINCE = 5;
/** The input version from which held search attributes go with the next command (see `armAttributesTimer`). */
const FLUSHES_HELD_WITH_COMMANDS_SINCE = 6;

/**
 * One run of a case: its state and everything the run does with it. The workflow function
 * (case-workflow.ts) wires Temporal's messages to these methods and runs `run()`.
 *
 * A command costs one workflow task: the update's validator decides it (the handler reuses that
 * verdict) and the handler records its events. Its caller, which gets them in the answer, writes
 * them to the read model; the run writes (through an activity) only what no caller has — signals,
 * deadlines, effects — and, after a grace, anything a caller may have failed to write.
 */
export class CaseRun {
  private state: CaseState;
  /** The newest events (count- and byte-bounded): the recent-timeline query and idempotent replies. */
  private readonly recent: RecentEvents;
  /** Events not yet in the read model; over its byte budget, new commands are refused (`case_busy`). */
  private readonly backlog: Backlog;
  private processed: ProcessedRequest[];
  /** Effects asked for by automations and not finished yet; carried across continue-as-new. */
  private effects: Effect[];
  /** Signals refused while even refusals could not be recorded (backlog over its hard budget). */
  private droppedSignals: number;
  private readonly running = new Set<string>();
  private readonly timer = new WakeTimer();
  /** The pinned template; a migration (`migrate`) swaps it for another version. */
  private template: PublishedTemplate;
  /** The run's current details in the Temporal UI (domain/run-details.ts), as last set. */
  private details = '';
  /** Search attributes last upserted (serialized): upserted again only when they change. */
  private published = '';
  /** When search attributes were last upserted (workflow time). */
  private publishedAt = Number.NEGATIVE_INFINITY;
  /** Search attributes changed within `attributesEveryMs` of the last upsert (and serialized): upserted once that has passed. */
  private heldAttributes: { pairs: SearchAttributeUpdatePair[]; serialized: string } | undefined;
  private readonly attributesTimer = new WakeTimer();
  /** Search attributes were upserted since the loop last set their timer (runs since version 6 then cancel it). */
  private upsertedSinceArmed = false;
  /** The validator's verdict on the update now running, for its handler (same task, same state). */
  private verdict: { updateId: string; seq: number; verdict: CommandVerdict } | undefined;
  /** The view of the state at `seq` and time `at`: the update's answer and the projection share it. */
  private cachedView: { seq: number; at: string; view: CaseView } | undefined;
  /** Events the caller does not have (signals, deadlines, effects, the opening) wait in the backlog: project now. */
  private projectNow = false;
  /** The newest event that waits for the run's own projection (`projectNow` until it is written). */
  private promptThrough = 0;
  /** When events left to an update's caller are projected by the run anyway (the caller may have failed). */
  private projectBy: number | undefined;
  /** The opening's events, until the start's `opened` update takes them to the read model (first run only). */
  private opening: CaseEvent[] | undefined;

  /**
   * @param current whether the pinned definition fits today's template schema: one that does not
   * (automation actions written before they were validated) runs without automations and timers.
   */
  constructor(
    private readonly input: CaseWorkflowInput,
    private definition: TemplateDefinition,
    private current: boolean,
  ) {
    this.template = { ...input.template, definition };
    const carried = input.carried;
    this.state = carried?.state ?? emptyState(input.caseKey);
    this.recent = new RecentEvents(carried?.recent);
    this.backlog = new Backlog(carried?.unprojected);
    this.processed = carried?.processed ?? [];
    this.effects = carried?.effects ?? [];
    this.droppedSignals = carried?.droppedSignals ?? 0;
    // What the run started with (the API's start, or the previous run): upserted only if it differs.
    this.published = serializeAttributes(caseSearchAttributes.map((key) => ({ key, value: workflowInfo().typedSearchAttributes.get(key) ?? null })));
    if (!carried) this.open();
    // Carried events may have been left to callers of the last run: give them the same grace.
    else if (this.backlog.length > 0) this.projectBy = Date.now() + this.callerGraceMs;
    this.afterChange();
  }

  /** The first run of a case: its opening events (refused openings fail the workflow). */
  private open(): void {
    const { actor, requestId, ...start } = this.input.start;
    const decided = this.input.opening;
    if (decided && isOpening(decided)) return this.adopt(decided, requestId);
    const opening = decideStart(this.definition, start, this.state, now());
    if (!opening.ok) throw rejectionFailure(opening.rejection);
    // Left to the API, which started the case with `opened` and writes what it answers (see `opened`).
    this.opening = this.commit(applyDrafts(this.state, opening.events, actor, now()), 0, true);
    this.remember(requestId, this.opening);
    // The API writes the opening before it answers the start, so no grace is kept for it: an API that
    // died before writing it left a start it never acknowledged, and the case's next write (a
    // command's, refused for the gap and so signalled; an effect's) brings the opening along. Runs
    // started before `caseRun` kept the grace, and replay as they ran.
    if (this.input.caseRun) this.projectBy = undefined;
  }

  /**
   * The opening as the API decided, answered and wrote it (`opening` in the input): the case holds
   * exactly what its starter was told, and nobody waits for this task to learn it.
   */
  private adopt(decided: CaseEvent[], requestId: string | undefined): void {
    const events = this.record({ state: foldEvents(this.state.key, decided), events: decided }, true);
    // The API saw no automation react to the opening. One that does here (rules newer than the
    // API's, mid-deploy) records events the API never had: those are the run's to write.
    const reacted = this.reactTo(events, 0, false);
    this.remember(requestId, [...events, ...reacted]);
    this.projectBy = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  /**
   * The start's answer (Update-with-Start): the case view, and the first time its opening events,
   * for the API to write to the read model. A retried start gets the view alone.
   */
  opened(): CommandResult {
    const events = this.opening ?? [];
    this.opening = undefined;
    return { case: this.view(), events, ...(events.length ? { project: true } : {}), ...this.writtenOffer() };
  }

  view(): CaseView {
    const at = now();
    if (this.cachedView?.seq !== this.state.lastSeq || this.cachedView.at !== at) {
      this.cachedView = { seq: this.state.lastSeq, at, view: toCaseView(this.state, this.template, at) };
    }
    return this.cachedView.view;
  }

  recentTimeline(limit?: number): CaseEvent[] {
    return this.recent.newest(limit);
  }

  /**
   * Runs before the update is written to history: a refused command leaves no trace. `named`: the
   * update was sent under a command type's name, which must be the command's own.
   */
  validateCommand(raw: CommandRequest, named?: string): void {
    if (named !== undefined && raw?.command?.type !== named) throw rejectionFailure(reject('invalid_command', `the update "${named}" carries a command of another type`));
    // Before the duplicate check: a retried key must not show the case to one who may not see it.
    const refused = commandAccessRefusal(this.state, this.definition, raw);
    if (refused) throw rejectionFailure(refused);
    if (this.duplicateOf(raw.requestId)) return;
    const verdict = commandVerdict(this.state, this.definition, raw, now(), this.backlog);
    if (!verdict.ok) throw rejectionFailure(verdict.rejection);
    const updateId = currentUpdateInfo()?.id;
    if (updateId) this.verdict = { updateId, seq: this.state.lastSeq, verdict };
  }

  executeCommand(raw: CommandRequest): CommandResult {
    this.acknowledgeWritten(raw.written);
    const earlier = this.duplicateOf(raw.requestId);
    if (earlier) return { case: this.view(), events: this.recent.between(earlier.firstSeq, earlier.lastSeq), ...this.writtenOffer() };
    // The caller writes them. If older events still wait for the run's own projection, that write
    // is refused as not contiguous, and the run's next batch carries these too.
    const events = this.applyCommand(raw, true);
    return { case: this.view(), events, project: true, ...this.writtenOffer() };
  }

  /** A command sent for a 202: applied like an update's, its events projected by the run itself. */
  acceptCommand(raw: CommandRequest): void {
    this.acknowledgeWritten(raw.written);
    if (this.duplicateOf(raw.requestId)) return;
    this.applyCommand(raw, false);
  }

  /** Applies a command update's verdict (the validator's, same task) and remembers its request id. */
  private applyCommand(raw: CommandRequest, leftToCaller: boolean): CaseEvent[] {
    const verdict = this.validatedVerdict() ?? commandVerdict(this.state, this.definition, raw, now(), this.backlog);
    if (!verdict.ok) throw rejectionFailure(verdict.rejection);
    const events = this.commit(verdict.applied, 0, leftToCaller);
    this.remember(verdict.request.requestId, events);
    this.afterChange();
    return events;
  }

  /** Refuses a migration the case cannot take now, before anything is written (see `executeMigration`). */
  validateMigration(raw: MigrateRequest): void {
    if (this.duplicateOf(raw?.requestId)) return;
    const decision = this.migrationDecision(raw);
    if (!decision.ok) throw rejectionFailure(decision.rejection);
  }

  /**
   * Moves the case to the template version the request carries, in one step: its events (the
   * move, the re-armed SLA clock) are recorded and the pinned template swapped together, so a case
   * is never half-migrated. A retried request gets the first answer's events again.
   */
  executeMigration(raw: MigrateRequest): CommandResult {
    const earlier = this.duplicateOf(raw.requestId);
    if (earlier) return { case: this.view(), events: this.recent.between(earlier.firstSeq, earlier.lastSeq) };
    const decision = this.migrationDecision(raw);
    if (!decision.ok) throw rejectionFailure(decision.rejection);
    this.template = raw.template;
    this.definition = raw.template.definition;
    this.current = true;
    // Written by the run itself: the migration's caller is a workflow's activity, not the API.
    const events = this.commit(decision.applied);
    this.remember(raw.requestId, events);
    this.afterChange();
    return { case: this.view(), events };
  }

  /** The migration's events, or why the case cannot take it now (its shape, the sender, the backlog, the checks). */
  private migrationDecision(raw: MigrateRequest): MigrationDecision {
    const actor = checkActor(raw?.actor);
    const template = raw?.template;
    const plan = raw?.plan;
    if (!actor || typeof raw.requestId !== 'string' || !plan || !template?.definition || template.key !== plan.templateKey || template.version !== plan.toVersion) {
      return { ok: false, rejection: reject('invalid_command', 'a migration names its actor, request id, plan and the target template version it carries') };
    }
    if (this.backlog.busy) return { ok: false, rejection: busyRejection(this.backlog.bytes) };
    return decideMigration(this.state, template.definition, plan, actor, now());
  }

  /** A fire-and-forget command: a refused one is recorded on the timeline, never fails the task. */
  signalCommand(raw: CommandRequest): void {
    if (this.duplicateOf(raw?.requestId)) return;
    const verdict = commandVerdict(this.state, this.definition, raw, now(), this.backlog);
    if (verdict.ok) {
      this.remember(verdict.request.requestId, this.commit(verdict.applied));
      this.afterChange();
      return;
    }
    // A small event, and none at all once the backlog is over its hard budget (then only counted).
    if (this.backlog.full) {
      this.droppedSignals++;
      return;
    }
    const requestId = typeof raw?.requestId === 'string' ? raw.requestId.slice(0, 200) : undefined;
    const command = typeof raw?.command?.type === 'string' ? raw.command.type.slice(0, 100) : 'unknown';
    const actor: Actor = checkActor(raw?.actor) ?? { id: 'unknown', name: 'Unknown sender', roles: [], kind: 'system' };
    const detail = verdict.rejection.detail.slice(0, 500);
    this.remember(requestId, this.append([{ type: 'command.rejected', data: { command, code: verdict.rejection.code, detail, ...(requestId ? { requestId } : {}) } }], actor));
  }

  /** A caller could not write what it was answered: write what waits now (see `projectBacklogSignal`). */
  projectBacklog(): void {
    if (this.backlog.length === 0) return;
    this.projectNow = true;
    this.promptThrough = this.state.lastSeq;
  }

  /** Whether this run's input is of `version` or newer: what that version turned on, it does (CASE_INPUT_VERSION). */
  private runsSince(version: number): boolean {
    return (this.input.inputVersion ?? 0) >= version;
  }

  /** Runs started since input version 5 take `written` on commands: the caller says how far it has written. */
  private get takesWritten(): boolean {
    return this.runsSince(TAKES_WRITTEN_SINCE);
  }

  /** What an answer says about `written`: that this run takes it (older runs say nothing). */
  private writtenOffer(): { takesWritten?: true } {
    return this.takesWritten ? { takesWritten: true } : {};
  }

  /**
   * Drops the waiting events the caller has written to the read model (it writes only right after
   * what is stored there, so everything up to `written` is). A case taking commands back to back
   * then never writes its callers' events a second time; what the last callers do not confirm
   * still waits for their grace, as before.
   */
  private acknowledgeWritten(written: unknown): void {
    if (!this.takesWritten || typeof written !== 'number' || !Number.isInteger(written)) return;
    const oldest = this.backlog.oldestSeq;
    if (oldest === undefined || oldest > written) return;
    const through = Math.min(written, this.state.lastSeq);
    this.backlog.acknowledge(through);
    if (this.backlog.length === 0 || this.promptThrough <= through) this.projectNow = false;
  }

  /** How long events left to a caller wait for it (the run's input says; runs started before it: 2 s). */
  private get callerGraceMs(): number {
    return this.input.callerGraceMs ?? CALLER_PROJECTION_GRACE_MS;
  }

  /** A dry run of a command against the live case (the API asks before it signals one). */
  checkCommand(raw: CommandRequest): Rejection | null {
    const refused = commandAccessRefusal(this.state, this.definition, raw);
    if (refused) return refused;
    if (this.duplicateOf(raw?.requestId)) return null;
    const verdict = commandVerdict(this.state, this.definition, raw, now(), this.backlog);
    return verdict.ok ? null : verdict.rejection;
  }

  // ---------------------------------------------------------------------------------------------
  // The run

  /** Applies due deadlines, runs effects, projects, and waits for work until the case is archived. */
  async run(): Promise<CaseState> {
    // Started without `opened` (another client, the Temporal UI): nobody else writes the opening.
    if (this.opening) {
      this.promptThrough = this.opening[this.opening.length - 1]?.seq ?? 0;
      this.opening = undefined;
      this.projectNow = true;
    }
    for (;;) {
      // The run's own commands (deadlines, effects, projection, timer) come after the updates of
      // the task have completed. Otherwise their order in history followed how the task's jobs
      // were batched (signals first, for one): a task whose replay saw other jobs than it ran with
      // (a burst of updates, some refused by their validator and so absent from history) replayed
      // in another order — a nondeterminism error that failed the case's workflow task for good.
      // Runs started before `waitsForUpdates` replay as they ran.
      if (this.input.waitsForUpdates && !allHandlersFinished()) await condition(allHandlersFinished);
      if (this.heldAttributes && Date.now() >= this.attributesDueAt()) this.upsertAttributes(this.heldAttributes);
      // Checked first: under a steady stream of commands there is always something to project.
      if (this.runIsLong()) return this.continueAsNew();
      if (this.current) {
        const due = dueTimerEvents(this.state, this.definition, now());
        if (due.length > 0) {
          this.append(due, systemActor);
          this.afterChange();
          continue;
        }
        this.startEffects();
      }
      const archiveAt = this.archiveAt();
      const archived = archiveAt !== undefined && archiveAt <= Date.now();
      if (this.backlog.length > 0 && (archived || this.projectionDue())) {
        await this.project();
        continue;
      }
      // Written by their callers meanwhile (`written`), the events the grace waited for are gone: it ends with nothing to write.
      if (this.takesWritten && this.projectBy !== undefined && this.backlog.length === 0 && Date.now() >= this.projectBy) this.projectBy = undefined;
      if (archived && this.effects.length === 0) {
        await condition(allHandlersFinished);
        if (this.heldAttributes) this.upsertAttributes(this.heldAttributes);
        return this.state;
      }
      const wake = this.nextWake(archiveAt, archived);
      this.timer.arm(wake?.at, wake?.label);
      this.armAttributesTimer();
      const seen = this.state.lastSeq;
      await condition(
        () => this.timer.fired || this.attributesTimer.fired || this.projectNow || this.state.lastSeq !== seen || this.runIsLong() || this.effects.some((e) => !this.running.has(e.key)),
      );
      this.timer.consume();
      this.attributesTimer.consume();
    }
  }

  /** When the run must wake next, and why (the timer's label in the Temporal UI). */
  private nextWake(archiveAt: number | undefined, archived: boolean): { at: string; label: string } | undefined {
    const due =
      archiveAt === undefined
        ? this.current
          ? nextWake(this.state, this.definition)
          : undefined
        : archived
          ? undefined
          : { at: new Date(archiveAt).toISOString(), label: 'retention over: the closed case completes' };
    if (this.projectBy === undefined || (due && Date.parse(due.at) <= this.projectBy)) return due;
    return { at: new Date(this.projectBy).toISOString(), label: 'grace over: project what callers left' };
  }

  /** Events wait no longer: some the caller does not have, too many bytes of them, or the grace is over. */
  private projectionDue(): boolean {
    return this.projectNow || this.backlog.bytes > PROMPT_PROJECTION_BYTES || (this.projectBy !== undefined && Date.now() >= this.projectBy);
  }

  /** When a closed case is archived (its workflow completes), or undefined while it is open. */
  private archiveAt(): number | undefined {
    if (this.state.status === 'open' || !this.state.closedAt) return undefined;
    return Date.parse(this.state.closedAt) + (this.input.archiveAfterMs ?? DEFAULT_ARCHIVE_AFTER_MS);
  }

  /** Time for a fresh run: the server suggests it, or this run's history passed the case's own limits. */
  private runIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > EVENTS_PER_RUN || info.historySize > BYTES.historyPerRun;
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    // The next run starts with this run's attributes: bring them up to date first.
    if (this.heldAttributes) this.upsertAttributes(this.heldAttributes);
    // Effects still running are abandoned and started again by the next run: their keys make that safe.
    const { opening: _opening, ...input } = this.input;
    return continueAsNew<(input: CaseWorkflowInput) => Promise<CaseState>>({
      ...input,
      inputVersion: CASE_INPUT_VERSION,
      waitsForUpdates: true,
      attributesEveryMs: input.attributesEveryMs ?? SEARCH_ATTRIBUTES_EVERY_MS,
      template: this.template,
      templateCurrent: this.current,
      carried: {
        state: this.state,
        recent: this.recent.toArray(),
        unprojected: this.backlog.toArray(),
        processed: this.processed,
        effects: this.effects,
        droppedSignals: this.droppedSignals,
      },
    });
  }

  /**
   * Writes the oldest waiting events and the current view to the read model, through an activity
   * retried until PostgreSQL takes them; commands keep being answered meanwhile. (Not a local
   * activity: under floods of updates, local activities in the same task made the SDK's core fail
   * workflow tasks with "History is out of order".)
   */
  private async project(): Promise<void> {
    const events = this.backlog.batch();
    try {
      await projectCase({ caseKey: this.state.key, view: this.view(), events });
    } catch (err) {
      // Only a non-retryable failure gets here; keep the events and try again later.
      log.error('projection failed; retrying in a minute', { caseKey: this.state.key, error: failureReason(err) });
      await sleep('1 minute');
      return;
    }
    const through = events[events.length - 1]!.seq;
    this.backlog.acknowledge(through);
    // Only what waited for the run itself keeps it projecting at once: callers' events keep their grace.
    this.projectNow = this.backlog.length > 0 && this.promptThrough > through;
    if (this.backlog.length === 0) this.projectBy = undefined;
    this.reportDroppedSignals();
  }

  // ---------------------------------------------------------------------------------------------
  // Effects

  private startEffects(): void {
    for (const effect of this.effects) {
      if (this.running.has(effect.key)) continue;
      this.running.add(effect.key);
      void this.runEffect(effect).finally(() => {
        this.running.delete(effect.key);
        this.effects = this.effects.filter((e) => e.key !== effect.key);
      });
    }
  }

  /** Runs one effect to its end and records the outcome; a failure never fails the workflow. */
  private async runEffect(effect: Effect): Promise<void> {
    let outcome: EffectOutcome;
    try {
      // Under the cause of the request that asked for it: the activity logs (and traces) under its id.
      outcome = { ok: true, result: await withCause(effect.cause, () => callEffect(effect)) };
    } catch (err) {
      outcome = { ok: false, reason: failureReason(err) };
    }
    // Effects its outcome leads to (an automation chain) keep the same cause.
    withCause(effect.cause, () => this.append(effectOutcomeEvents(this.state, this.definition, effect, outcome, now()), systemActor, outcomeDepth(effect, outcome)));
    this.afterChange();
  }

  /**
   * Queues effects within the byte budget of pending effects (they are carried across
   * continue-as-new); one that does not fit is an `automation.failed` on the timeline instead.
   */
  private admitEffects(asked: Effect[], leftToCaller: boolean): CaseEvent[] {
    const drafts: EventDraft[] = [];
    let pending = this.effects.length ? jsonBytes(this.effects) : 0;
    // The request whose handler is running (or whose effect's outcome this is), recorded with each effect.
    const cause = currentCause();
    for (const asking of asked) {
      const effect = cause ? { ...asking, cause } : asking;
      const size = jsonBytes(effect);
      const why =
        size > BYTES.effect
          ? `the ${effect.kind} would carry ${formatBytes(size)}; one effect may carry at most ${formatBytes(BYTES.effect)}`
          : pending + size > BYTES.pendingEffects
            ? `${formatBytes(pending)} of effects are still waiting to run (limit ${formatBytes(BYTES.pendingEffects)})`
            : undefined;
      if (why) {
        drafts.push({ type: 'automation.failed', data: { ...effect.ref, action: effect.kind, reason: why } });
        continue;
      }
      this.effects.push(effect);
      pending += size;
    }
    return drafts.length ? this.record(applyDrafts(this.state, drafts, systemActor, now()), leftToCaller) : [];
  }

  // ---------------------------------------------------------------------------------------------
  // State changes

  /** Applies events, then lets automations react to them (`depth` steps into a chain). */
  private append(drafts: EventDraft[], actor: Actor, depth = 0): CaseEvent[] {
    return this.commit(applyDrafts(this.state, drafts, actor, now()), depth);
  }

  /**
   * Takes events already applied to the current state, then the automations' reaction to them.
   * `leftToCaller`: an update's caller gets them all in its answer and writes them to the read model.
   */
  private commit(applied: { state: CaseState; events: CaseEvent[] }, depth = 0, leftToCaller = false): CaseEvent[] {
    const events = this.record(applied, leftToCaller);
    return [...events, ...this.reactTo(events, depth, leftToCaller)];
  }

  /** The automations' reaction to events just recorded: their events, and effects queued for activities. */
  private reactTo(events: CaseEvent[], depth: number, leftToCaller: boolean): CaseEvent[] {
    if (!this.current) return [];
    const reaction = react(this.state, this.definition, events, now(), depth);
    const reacted = this.record(reaction, leftToCaller);
    return [...reacted, ...this.admitEffects(reaction.effects, leftToCaller)];
  }

  private record(applied: { state: CaseState; events: CaseEvent[] }, leftToCaller = false): CaseEvent[] {
    this.state = applied.state;
    this.recent.push(applied.events);
    this.backlog.push(applied.events);
    if (applied.events.length > 0) {
      if (leftToCaller) this.projectBy ??= Date.now() + this.callerGraceMs;
      else {
        this.projectNow = true;
        this.promptThrough = applied.events[applied.events.length - 1]!.seq;
      }
    }
    return applied.events;
  }

  private remember(requestId: string | undefined, events: CaseEvent[]): void {
    if (!requestId || events.length === 0) return;
    this.processed = keepProcessed([...this.processed, { requestId, firstSeq: events[0]!.seq, lastSeq: events[events.length - 1]!.seq }]);
  }

  private afterChange(): void {
    const details = runDetails(this.state, this.definition);
    if (details !== this.details) {
      this.details = details;
      setCurrentDetails(details);
    }
    const pairs = searchAttributesOf(this.state, this.current ? caseDueAt(this.state) : undefined);
    const serialized = serializeAttributes(pairs);
    if (serialized === this.published) {
      // Changed and changed back (a stage moved and moved back) before the held upsert: nothing to upsert.
      this.heldAttributes = undefined;
      return;
    }
    // Each upsert is a visibility write the next command waits behind: a case whose attributes keep
    // changing (a burst of stage moves) upserts at most once per `attributesEveryMs`, the latest values.
    if (this.input.attributesEveryMs && Date.now() < this.attributesDueAt()) {
      this.heldAttributes = { pairs, serialized };
      return;
    }
    this.upsertAttributes({ pairs, serialized });
  }

  /**
   * The timer that upserts held search attributes when no command comes to do it. Runs before
   * version 6 set it for the end of the interval and let it fire, which under a stream of commands
   * was a workflow task of its own about once a second, and the command that met it waited for it
   * (a command's p99 is 1 % of its commands). Since version 6 the first command after the interval
   * upserts what is held (the loop's first step, or the command's own change), and the timer, set
   * one interval later, is cancelled then: an event in that command's task instead of a task. Only
   * a case that went quiet meanwhile upserts by the timer, an interval later than before. Under a
   * stream: one upsert, one timer started and one cancelled per interval.
   */
  private armAttributesTimer(): void {
    const label = 'search attributes: upsert held changes';
    if (!this.runsSince(FLUSHES_HELD_WITH_COMMANDS_SINCE)) {
      // Armed while changes are held, and left to fire if they settle back, as these runs recorded it.
      if (this.heldAttributes) this.attributesTimer.arm(new Date(this.attributesDueAt()).toISOString(), label);
      return;
    }
    if (this.heldAttributes) {
      this.attributesTimer.arm(new Date(this.attributesDueAt() + (this.input.attributesEveryMs ?? 0)).toISOString(), label);
    } else if (this.upsertedSinceArmed) {
      // Upserted by a command: the timer has nothing left to do. (Changes that settled back leave it
      // armed: the next change, held again for the same instant, finds it set.)
      this.attributesTimer.arm(undefined);
    }
    this.upsertedSinceArmed = false;
  }

  private attributesDueAt(): number {
    return this.publishedAt + (this.input.attributesEveryMs ?? 0);
  }

  private upsertAttributes({ pairs, serialized }: { pairs: SearchAttributeUpdatePair[]; serialized: string }): void {
    this.heldAttributes = undefined;
    this.upsertedSinceArmed = true;
    this.published = serialized;
    this.publishedAt = Date.now();
    upsertSearchAttributes(pairs);
  }

  /** Once the backlog has drained, says on the timeline how many signals were dropped uncounted. */
  private reportDroppedSignals(): void {
    if (this.droppedSignals === 0 || this.backlog.busy) return;
    const n = this.droppedSignals;
    this.droppedSignals = 0;
    this.append(
      [{ type: 'command.rejected', data: { command: 'signal', code: 'case_busy', detail: `${n} signalled command${n === 1 ? ' was' : 's were'} refused while the case's backlog was over its budget` } }],
      systemActor,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Verdicts

  private duplicateOf(requestId: string | undefined): ProcessedRequest | undefined {
    return requestId ? this.processed.find((p) => p.requestId === requestId) : undefined;
  }

  /** The validator's verdict, if it was given for this update on this very state. */
  private validatedVerdict(): CommandVerdict | undefined {
    const kept = this.verdict;
    this.verdict = undefined;
    const updateId = currentUpdateInfo()?.id;
    return kept && updateId === kept.updateId && kept.seq === this.state.lastSeq ? kept.verdict : undefined;
  }
}

const now = () => new Date().toISOString();

/** Events that can open a case: numbered from 1 without a gap, the first one its creation. */
function isOpening(events: CaseEvent[]): boolean {
  return Array.isArray(events) && events.length > 0 && events[0]!.type === 'case.created' && events.every((e, i) => e?.seq === i + 1);
}

/** Attribute values in a comparable form (keys in a fixed order, absent as null). */
function serializeAttributes(pairs: ReadonlyArray<{ key: { name: string }; value: unknown }>): string {
  const values = new Map<string, unknown>(pairs.map((p) => [p.key.name, p.value instanceof Date ? p.value.toISOString() : p.value]));
  return JSON.stringify(caseSearchAttributes.map((key) => values.get(key.name) ?? null));
}

function rejectionFailure(rejection: Rejection): ApplicationFailure {
  return ApplicationFailure.create({ type: COMMAND_REJECTED, message: rejection.detail, details: [rejection], nonRetryable: true });
}

function failureReason(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 2000);
}
