import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { systemActor, type Actor } from '../../domain/actor';
import { react } from '../../domain/automations';
import { applyDrafts, emptyState, type CaseState } from '../../domain/case-state';
import { toCaseView, type CommandResult } from '../../domain/case-view';
import { checkActor, checkCommandRequest, type CommandRequest, type ParsedCommandRequest } from '../../domain/commands';
import { busyRejection, commandBudgetProblem, keepProcessed, keepRecent } from '../../domain/budgets';
import { decide, decideStart, findDocument } from '../../domain/decide';
import type { Effect } from '../../domain/effects';
import type { CaseEvent, EventDraft } from '../../domain/events';
import { BYTES, EVENTS_PER_RUN, RECENT_EVENTS, formatBytes, jsonBytes } from '../../domain/limits';
import { reject, type Rejection } from '../../domain/rejections';
import { renderTemplate } from '../../domain/render';
import { caseDueAt, dueTimerEvents, nextWakeAt } from '../../domain/sla';
import { commandRefusal, reviewRefusal } from '../../domain/visibility';
import {
  COMMAND_REJECTED,
  caseViewQuery,
  checkCommandQuery,
  commandSignal,
  commandUpdate,
  recentTimelineQuery,
  type CaseWorkflowInput,
  type ProcessedRequest,
} from '../messages';
import { Backlog } from '../backlog';
import { documents, messaging, projectCase, webhooks } from '../activity-proxies';
import { pinnedDefinition } from '../pinned-definition';
import { CaseDueAt, CaseKey, CaseOwner, CaseStage, CaseStatus, CaseTemplate } from '../search-attributes';

/** Histories recorded before deadlines and automations existed replay without timers or effects. */
const AUTOMATION_PATCH = 'sla-and-automations';
/**
 * Runs started before byte and logic budgets existed replay without them: a command, signal or
 * condition those budgets would now refuse was accepted then, and its history must replay as it ran.
 */
const BUDGETS_PATCH = 'case-budgets';

const DEFAULT_ARCHIVE_AFTER_MS = 30 * 24 * 3600 * 1000;

/**
 * The case workflow as it ran before `CaseRun` (workflows/case-run.ts): kept, unchanged, so runs
 * recorded before the `case-run` patch replay exactly as they ran (workflows/case-workflow.ts
 * routes them here). Their next continue-as-new starts a run of today's code. Do not edit: delete
 * it (and deprecate the patch) once no such run is open — see README "Workflow versions".
 */
export async function caseWorkflowV1(input: CaseWorkflowInput): Promise<CaseState> {
  // A case pins the definition it started with, read through today's schema by the API (or, for
  // cases started before it did, here). One that no longer fits it (automation actions written
  // before they were validated) keeps running, without automations.
  const { definition, current } = pinnedDefinition(input);
  const template = { ...input.template, definition };
  // patched() first and always: whether a history has the marker must not depend on today's schema.
  const patchedRun = patched(AUTOMATION_PATCH);
  const budgeted = patched(BUDGETS_PATCH);
  const automated = patchedRun && current;
  if (!current) log.warn('template no longer fits the schema: automations and SLA timers are off for this case', { caseKey: input.caseKey });
  let state: CaseState;
  /** The newest events (count- and byte-bounded): the recent-timeline query and idempotent replies. */
  let recent: CaseEvent[];
  /** Events not yet in the read model; over its byte budget, new commands are refused (`case_busy`). */
  let backlog: Backlog;
  let processed: ProcessedRequest[];
  /** Signals refused while even refusals could not be recorded (backlog over its hard budget). */
  let droppedSignals: number;
  /** Effects asked for by automations and not finished yet; carried across continue-as-new. */
  let effects: Effect[];
  const running = new Set<string>();
  let published = '';

  const now = () => new Date().toISOString();

  function record(events: CaseEvent[]) {
    recent = keepRecent([...recent, ...events]);
    backlog.push(events);
  }

  /** Applies events, then lets automations react to them (`depth` steps into a chain). */
  function append(drafts: EventDraft[], actor: Actor, depth = 0): CaseEvent[] {
    const applied = applyDrafts(state, drafts, actor, now());
    state = applied.state;
    record(applied.events);
    if (!automated) return applied.events;
    const reaction = react(state, definition, applied.events, now(), depth, { unbounded: !budgeted });
    state = reaction.state;
    record(reaction.events);
    if (!budgeted) {
      effects.push(...reaction.effects);
      return [...applied.events, ...reaction.events];
    }
    return [...applied.events, ...reaction.events, ...admitEffects(reaction.effects)];
  }

  /**
   * Queues effects within the byte budget of pending effects (they are carried across
   * continue-as-new); one that does not fit is an `automation.failed` on the timeline instead.
   */
  function admitEffects(asked: Effect[]): CaseEvent[] {
    const drafts: EventDraft[] = [];
    let pending = effects.length ? jsonBytes(effects) : 0;
    for (const effect of asked) {
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
      effects.push(effect);
      pending += size;
    }
    if (!drafts.length) return [];
    const applied = applyDrafts(state, drafts, systemActor, now());
    state = applied.state;
    record(applied.events);
    return applied.events;
  }

  function remember(requestId: string | undefined, events: CaseEvent[]) {
    if (!requestId || events.length === 0) return;
    processed = keepProcessed([...processed, { requestId, firstSeq: events[0]!.seq, lastSeq: events[events.length - 1]!.seq }], !budgeted);
  }

  function afterChange() {
    const dueAt = automated ? caseDueAt(state) : null;
    const attributes = {
      key: state.key,
      template: state.templateKey,
      stage: state.stage,
      status: state.status,
      owner: state.owner ?? '',
      dueAt,
    };
    const serialized = JSON.stringify(attributes);
    if (serialized === published) return;
    published = serialized;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: CaseKey, value: attributes.key },
      { key: CaseTemplate, value: attributes.template },
      { key: CaseStage, value: attributes.stage },
      { key: CaseStatus, value: attributes.status },
      // null removes the attribute: an unowned case has no owner to filter by.
      { key: CaseOwner, value: state.owner },
    ];
    if (automated) pairs.push({ key: CaseDueAt, value: dueAt ? new Date(dueAt) : null });
    upsertSearchAttributes(pairs);
  }

  if (input.carried) {
    ({ state, recent, processed } = input.carried);
    backlog = new Backlog(input.carried.unprojected);
    effects = input.carried.effects ?? [];
    droppedSignals = input.carried.droppedSignals ?? 0;
  } else {
    state = emptyState(input.caseKey);
    recent = [];
    backlog = new Backlog();
    processed = [];
    effects = [];
    droppedSignals = 0;
    const { actor, requestId, ...start } = input.start;
    const opening = decideStart(definition, start, state, now());
    if (!opening.ok) {
      throw ApplicationFailure.create({ type: COMMAND_REJECTED, message: opening.rejection.detail, details: [opening.rejection], nonRetryable: true });
    }
    remember(requestId, append(opening.events, actor));
  }

  const view = () => toCaseView(state, template, now());
  // Declared before the handlers: an update delivered with the start runs as soon as its handler is set.
  afterChange();

  function duplicateOf(requestId: string | undefined): ProcessedRequest | undefined {
    return requestId ? processed.find((p) => p.requestId === requestId) : undefined;
  }

  type Checked = { ok: true; request: ParsedCommandRequest; drafts: EventDraft[] } | { ok: false; rejection: Rejection };

  /**
   * The verdict on a command, the same in the update's validator and handler and for signals:
   * its shape and size, the case's backlog, the domain rules, then the byte budgets of what it
   * would record and leave behind.
   */
  function check(raw: CommandRequest): Checked {
    const parsed = checkCommandRequest(raw, budgeted ? {} : { maxBytes: Infinity });
    if (!parsed.ok) {
      const detail = parsed.tooLarge ? `the command ${parsed.problems[0]?.message ?? 'is too large'}` : 'the command is malformed';
      return { ok: false, rejection: parsed.tooLarge ? reject('command_too_large', detail) : reject('invalid_command', detail, { errors: parsed.problems }) };
    }
    if (budgeted && backlog.busy) return { ok: false, rejection: busyRejection(backlog.bytes) };
    const { command, actor } = parsed.request;
    const decision = decide(state, definition, command, actor, now());
    if (!decision.ok) return decision;
    if (!budgeted) return { ok: true, request: parsed.request, drafts: decision.events };
    const applied = applyDrafts(state, decision.events, actor, now());
    const overBudget = commandBudgetProblem(state, applied.state, applied.events);
    return overBudget ? { ok: false, rejection: overBudget } : { ok: true, request: parsed.request, drafts: decision.events };
  }

  /**
   * Whether the sender may command this case at all: one who may not see it is refused as if it
   * did not exist, an auditor as read-only. Asked in the update's validator and the dry run only —
   * never in the handlers, which replay recorded histories; a signal sent around the API (the
   * Temporal UI, another system) is trusted as it always was.
   */
  function accessRefusal(raw: CommandRequest | undefined): Rejection | undefined {
    const actor = checkActor(raw?.actor);
    // A malformed actor is the command's problem: `check` reports it.
    if (!actor) return undefined;
    const refused = commandRefusal(actor, state.key, { owner: state.owner, participants: Object.values(state.participants) }, definition);
    if (refused) return refused;
    const command = raw?.command;
    const reviewed = command?.type === 'reviewDocument' && typeof command.documentId === 'string' ? findDocument(state, command.documentId) : undefined;
    return reviewed ? reviewRefusal(actor, definition, reviewed.item.slot) : undefined;
  }

  function rejectionFailure(rejection: Rejection) {
    return ApplicationFailure.create({ type: COMMAND_REJECTED, message: rejection.detail, details: [rejection], nonRetryable: true });
  }

  setHandler(
    commandUpdate,
    (raw): CommandResult => {
      const earlier = duplicateOf(raw.requestId);
      if (earlier) {
        const events = recent.filter((e) => e.seq >= earlier.firstSeq && e.seq <= earlier.lastSeq);
        return { case: view(), events };
      }
      const checked = check(raw);
      if (!checked.ok) throw rejectionFailure(checked.rejection);
      const events = append(checked.drafts, checked.request.actor);
      remember(checked.request.requestId, events);
      afterChange();
      return { case: view(), events };
    },
    {
      // Runs before the update is written to history: a refused command leaves no trace.
      validator: (raw) => {
        // Before the duplicate check: a retried key must not show the case to one who may not see it.
        const refused = accessRefusal(raw);
        if (refused) throw rejectionFailure(refused);
        if (duplicateOf(raw.requestId)) return;
        const checked = check(raw);
        if (!checked.ok) throw rejectionFailure(checked.rejection);
      },
    },
  );

  setHandler(commandSignal, (raw) => {
    if (duplicateOf(raw?.requestId)) return;
    const checked = check(raw);
    if (checked.ok) {
      remember(checked.request.requestId, append(checked.drafts, checked.request.actor));
      afterChange();
      return;
    }
    // A bad signal must never fail the workflow task: record why it was refused instead — a
    // small event, and none at all once the backlog is over its hard budget (then only counted).
    if (budgeted && backlog.full) {
      droppedSignals++;
      return;
    }
    const requestId = typeof raw?.requestId === 'string' ? raw.requestId.slice(0, 200) : undefined;
    const command = typeof raw?.command?.type === 'string' ? raw.command.type.slice(0, 100) : 'unknown';
    const actor: Actor = checkActor(raw?.actor) ?? { id: 'unknown', name: 'Unknown sender', roles: [], kind: 'system' };
    const detail = checked.rejection.detail.slice(0, 500);
    const rejected = append([{ type: 'command.rejected', data: { command, code: checked.rejection.code, detail, ...(requestId ? { requestId } : {}) } }], actor);
    remember(requestId, rejected);
  });

  /** Once the backlog has drained, says on the timeline how many signals were dropped uncounted. */
  function reportDroppedSignals() {
    if (droppedSignals === 0 || backlog.busy) return;
    const n = droppedSignals;
    droppedSignals = 0;
    append(
      [{ type: 'command.rejected', data: { command: 'signal', code: 'case_busy', detail: `${n} signalled command${n === 1 ? ' was' : 's were'} refused while the case's backlog was over its budget` } }],
      systemActor,
    );
  }

  setHandler(caseViewQuery, view);
  setHandler(checkCommandQuery, (raw) => {
    const refused = accessRefusal(raw);
    if (refused) return refused;
    if (duplicateOf(raw?.requestId)) return null;
    const checked = check(raw);
    return checked.ok ? null : checked.rejection;
  });
  setHandler(recentTimelineQuery, (limit?: number) => recent.slice(-Math.max(1, Math.min(limit ?? RECENT_EVENTS, RECENT_EVENTS))));

  /** Runs one effect to its end and records the outcome; a failure never fails the workflow. */
  async function runEffect(effect: Effect): Promise<void> {
    const ref = effect.ref;
    try {
      switch (effect.kind) {
        case 'email': {
          const sent = await messaging.sendEmail(effect);
          const subject = renderTemplate(effect.subject, effect.context, 'text', { unbounded: !budgeted }).slice(0, 500);
          append([{ type: 'email.sent', data: { ...ref, to: effect.to.email, subject, emailId: sent.emailId, delivery: sent.delivery } }], systemActor, effect.depth);
          break;
        }
        case 'notify': {
          const notified = await messaging.notifyUser(effect);
          append([{ type: 'notification.sent', data: { ...ref, userId: effect.to.userId, notificationId: notified.notificationId } }], systemActor, effect.depth);
          break;
        }
        case 'webhook': {
          const delivered = await webhooks.callWebhook(effect);
          append([{ type: 'webhook.delivered', data: { ...ref, url: effect.url, deliveryId: delivered.deliveryId, status: delivered.status } }], systemActor, effect.depth);
          break;
        }
        case 'generateDocument': {
          const doc = await documents.generateDocument(effect);
          const upload = { type: 'uploadDocument' as const, slot: effect.template.slot, ...doc, generatedFrom: effect.template.key };
          const decision = decide(state, definition, upload, systemActor, now());
          append(
            decision.ok
              ? decision.events
              : [{ type: 'automation.failed', data: { ...ref, action: 'generateDocument', reason: `${decision.rejection.code}: ${decision.rejection.detail}` } }],
            systemActor,
            effect.depth,
          );
          break;
        }
      }
    } catch (err) {
      append([{ type: 'automation.failed', data: { ...ref, action: effect.kind, reason: failureReason(err) } }], systemActor);
    }
    afterChange();
  }

  function startEffects() {
    for (const effect of effects) {
      if (running.has(effect.key)) continue;
      running.add(effect.key);
      void runEffect(effect).finally(() => {
        running.delete(effect.key);
        effects = effects.filter((e) => e.key !== effect.key);
      });
    }
  }

  const archiveAfterMs = input.archiveAfterMs ?? DEFAULT_ARCHIVE_AFTER_MS;

  /** Time for a fresh run: the server suggests it, or this run's history passed the case's own limits. */
  const runIsLong = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (budgeted && (info.historyLength > EVENTS_PER_RUN || info.historySize > BYTES.historyPerRun));
  };

  for (;;) {
    // Checked first: under a steady stream of commands there is always something to project.
    if (runIsLong()) {
      await condition(allHandlersFinished);
      // Effects still running are abandoned and started again by the next run: their keys make that safe.
      return continueAsNew<typeof caseWorkflowV1>({
        ...input,
        template,
        templateCurrent: current,
        carried: { state, recent, unprojected: backlog.toArray(), processed, effects, droppedSignals },
      });
    }

    if (automated) {
      const due = dueTimerEvents(state, definition, now());
      if (due.length > 0) {
        append(due, systemActor);
        afterChange();
        continue;
      }
      startEffects();
    }

    if (backlog.length > 0) {
      const batch = backlog.batch(!budgeted);
      try {
        await projectCase({ caseKey: state.key, view: view(), events: batch });
        backlog.acknowledge(batch[batch.length - 1]!.seq);
        reportDroppedSignals();
      } catch (err) {
        // Only a non-retryable failure gets here; keep the events and try again later.
        log.error('projection failed; retrying in a minute', { caseKey: state.key, error: String(err) });
        await sleep('1 minute');
      }
      continue;
    }

    const seen = state.lastSeq;
    const wake = () => backlog.length > 0 || state.lastSeq !== seen || runIsLong() || effects.some((e) => !running.has(e.key));
    // The next SLA target, escalation, task due date or inactivity limit, as a durable timer.
    const wakeAt = automated ? nextWakeAt(state, definition) : undefined;
    const timerMs = wakeAt ? Math.max(1, Date.parse(wakeAt) - Date.now()) : undefined;
    if (state.status === 'open' || !state.closedAt) {
      await (timerMs === undefined ? condition(wake) : condition(wake, timerMs));
      continue;
    }
    const remaining = Date.parse(state.closedAt) + archiveAfterMs - Date.now();
    if (remaining > 0 && (await condition(wake, remaining))) continue;
    if (effects.length > 0) {
      await condition(wake);
      continue;
    }
    if (backlog.length === 0) {
      await condition(allHandlersFinished);
      return state;
    }
  }
}

function failureReason(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 2000);
}
