/**
 * The contract between the API and the case workflow: message definitions, ids, and the
 * workflow's input. Both sides import this one module, so names cannot drift.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../domain/actor';
import type { CaseState } from '../domain/case-state';
import type { CaseView, CommandResult } from '../domain/case-view';
import { commandShapes, type CaseCommandType, type CommandRequest } from '../domain/commands';
import type { StartRequest } from '../domain/decide';
import type { Effect } from '../domain/effects';
import type { CaseEvent } from '../domain/events';
import type { ProcessedRequest } from '../domain/budgets';
import type { MigrationPlan } from '../domain/migration';
import type { Rejection } from '../domain/rejections';
import type { PublishedTemplate } from '../domain/template';

/** Workflow id of a case: readable in the Temporal UI, unique per case key. */
export function caseWorkflowId(caseKey: string): string {
  return `case-${caseKey}`;
}

/**
 * A command the caller waits for: rejected by the validator before anything is written. The API
 * sends each under an update named after its type (`commandUpdateOf`), so the Temporal UI shows
 * `advance`, `setFields` … rather than `command`; `command` itself stays for runs of older code
 * and other senders.
 */
export const commandUpdate = defineUpdate<CommandResult, [CommandRequest]>('command');

/** The update a command of this type is sent as (named after the type). */
export function commandUpdateOf(type: CaseCommandType) {
  return defineUpdate<CommandResult, [CommandRequest]>(type);
}

/** Every command type: the case workflow registers an update under each. */
export const commandTypes = Object.keys(commandShapes) as CaseCommandType[];
/** The same command, fire-and-forget: a refused one lands on the timeline as `command.rejected`. */
export const commandSignal = defineSignal<[CommandRequest]>('command');
/** A command answered once the case has accepted it (Prefer: respond-async): the case writes its events itself. */
export const commandAsyncUpdate = defineUpdate<void, [CommandRequest]>('commandAsync');
/**
 * From a caller whose write of what it was answered failed (the database refused or did not
 * answer): the case writes what waits for the read model now, not after its grace.
 */
export const projectBacklogSignal = defineSignal('projectBacklog');
export const caseViewQuery = defineQuery<CaseView>('view');
/**
 * Sent with the start (Update-with-Start), it answers the new case's first view and its opening
 * events in the same round trip — no polling until the first workflow task has run — and the API
 * writes them to the read model (`project`), so the first workflow task runs no activity.
 */
export const openedUpdate = defineUpdate<CommandResult>('opened');
/**
 * A dry run of a command against the live case: the refusal it would get now, or null. The API
 * asks before it sends a command as a signal, so an asynchronous command gets the same 403/422 up
 * front as a synchronous one (the workflow checks it again when the signal arrives).
 */
export const checkCommandQuery = defineQuery<Rejection | null, [CommandRequest]>('checkCommand');
/** The most recent timeline events held by the workflow (the full timeline is in the read model). */
export const recentTimelineQuery = defineQuery<CaseEvent[], [number?]>('recentTimeline');

/**
 * Moves the case to another version of its template (domain/migration.ts), answered like a
 * command. Sent by the migration and bulk workflows' activity, which reads `template` (the target
 * version) through today's template schema, as the API does for a start.
 */
export const migrateUpdate = defineUpdate<CommandResult, [MigrateRequest]>('migrate');

export interface MigrateRequest {
  /** Applied once per id: a retried activity gets the first answer again. */
  requestId: string;
  actor: Actor;
  plan: MigrationPlan;
  template: PublishedTemplate;
}

/** `ApplicationFailure.type` of a refused command; its first detail is the domain `Rejection`. */
export const COMMAND_REJECTED = 'CaseCommandRejected';

export type { ProcessedRequest } from '../domain/budgets';

/** What a run hands to the next one on continue-as-new. */
export interface CarriedState {
  state: CaseState;
  recent: CaseEvent[];
  unprojected: CaseEvent[];
  processed: ProcessedRequest[];
  /** Effects of automations not finished yet (absent in runs started before automations existed). */
  effects?: Effect[];
  /** Signals refused without a trace while the backlog was over its hard budget, to report once it drains. */
  droppedSignals?: number;
}

/**
 * The case workflow's input version: what the fields below ask of the code that runs them. Raise
 * it with every input field that changes what a run records (`caseRun`, `opening`,
 * `waitsForUpdates`, `attributesEveryMs`: 4), and with every behaviour a version turns on (5: the
 * run takes `written` on commands, see `CaseRun.acknowledgeWritten`; 6: held search attributes go
 * with the next command, see `CaseRun.armAttributesTimer`). The API stamps it on every start and a run on its
 * continue-as-new, and a worker whose code is older refuses the run's workflow task (see
 * `caseWorkflow`): otherwise an API deployed before the workers would have old code record a run
 * under an input that newer code later replays differently — a nondeterminism error.
 */
export const CASE_INPUT_VERSION = 6;

export interface CaseWorkflowInput {
  caseKey: string;
  /** CASE_INPUT_VERSION of the code that set this input; absent before it was stamped (then at most 4). */
  inputVersion?: number;
  template: PublishedTemplate;
  /**
   * Set by the API, which reads the pinned definition through today's template schema before it
   * starts a case (and carried on continue-as-new): whether the definition fits that schema.
   * Absent in cases started before; those read the definition in the workflow.
   */
  templateCurrent?: boolean;
  /** The opening of the case: used by the first run only. */
  start: StartRequest & { actor: Actor; requestId?: string };
  /**
   * The opening's events as the API decided them from `start` (seq 1…n), already answered to the
   * starter and written to the read model: the first run adopts them instead of deciding again, so
   * the case holds exactly what its starter was told. Set only when no automation reacts to the
   * opening (otherwise the case answers the start itself, through `opened`); absent in runs
   * started before, and in starts from other clients.
   */
  opening?: CaseEvent[];
  /** How long a closed or cancelled case stays reopenable before its workflow completes. */
  archiveAfterMs?: number;
  /**
   * How long events left to a command's caller wait before the case writes them itself (a caller
   * that died between its answer and its write; one whose write failed says so at once). Absent in
   * runs started before it was configurable: CALLER_PROJECTION_GRACE_MS.
   */
  callerGraceMs?: number;
  /**
   * Set by every start since: the run is a `CaseRun` without asking the `case-run` patch, whose
   * marker cost each run two history events and a visibility write (its `TemporalChangeVersion`
   * search attribute). Runs started before it carry no such field and are routed by the patch,
   * as they were recorded.
   */
  caseRun?: true;
  /**
   * Set by every start since, and on continue-as-new: the run's loop waits for the updates of a
   * task to complete before it adds commands of its own (see `CaseRun.run`). Runs without it
   * replay as they were recorded.
   */
  waitsForUpdates?: true;
  /**
   * How often, at most, the run upserts search attributes that keep changing (see
   * `CaseRun.afterChange`); 0 upserts every change at once. Set by every start since, and on
   * continue-as-new. Runs without it upserted every change at once and replay so.
   */
  attributesEveryMs?: number;
  carried?: CarriedState;
}
