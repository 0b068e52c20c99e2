import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { systemActor, type Actor } from '../domain/actor';
import { react } from '../domain/automations';
import { applyDrafts, emptyState, type CaseState } from '../domain/case-state';
import { toCaseView, type CommandResult } from '../domain/case-view';
import { checkActor, checkCommandRequest, type CommandRequest, type ParsedCommandRequest } from '../domain/commands';
import { decide, decideStart } from '../domain/decide';
import type {
  Effect,
  EmailEffect,
  EmailResult,
  GenerateDocumentEffect,
  GeneratedDocument,
  NotifyEffect,
  NotifyResult,
  WebhookEffect,
  WebhookResult,
} from '../domain/effects';
import type { CaseEvent, EventDraft } from '../domain/events';
import type { Rejection } from '../domain/rejections';
import { renderTemplate } from '../domain/render';
import { caseDueAt, dueTimerEvents, nextWakeAt } from '../domain/sla';
import {
  COMMAND_REJECTED,
  caseViewQuery,
  commandSignal,
  commandUpdate,
  recentTimelineQuery,
  type CaseWorkflowInput,
  type ProcessedRequest,
} from './messages';
import { pinnedDefinition } from './pinned-definition';
import { CaseDueAt, CaseKey, CaseOwner, CaseStage, CaseStatus, CaseTemplate } from './search-attributes';

const { projectCase } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The activities automations' effects run through (registered by activities/index.ts). */
export interface EffectActivities {
  sendEmail(effect: EmailEffect): Promise<EmailResult>;
  notifyUser(effect: NotifyEffect): Promise<NotifyResult>;
  callWebhook(effect: WebhookEffect): Promise<WebhookResult>;
  generateDocument(effect: GenerateDocumentEffect): Promise<GeneratedDocument>;
}

// Each effect is idempotent by its key, so retries are safe; after the last attempt the failure
// is recorded on the timeline and the case carries on.
const messaging = proxyActivities<EffectActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});
const webhooks = proxyActivities<EffectActivities>({
  // Longer than the largest WEBHOOK_TIMEOUT_MS (2 minutes): the activity times its own call out.
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});
const documents = proxyActivities<EffectActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** Histories recorded before deadlines and automations existed replay without timers or effects. */
const AUTOMATION_PATCH = 'sla-and-automations';

/** Events kept in workflow state for the recent-timeline query; the read model has them all. */
const RECENT_EVENTS = 100;
/** Request ids remembered across continue-as-new so a late retry is still applied once. */
const PROCESSED_REQUESTS = 1000;
const PROJECTION_BATCH = 200;
const DEFAULT_ARCHIVE_AFTER_MS = 30 * 24 * 3600 * 1000;

/**
 * One case, alive for as long as the case is: applies commands through the pure domain rules,
 * runs the template's automations and SLA clocks, carries out their effects through activities,
 * projects its events to the read model, keeps its search attributes current, and continues as
 * new when the history grows long.
 */
export async function caseWorkflow(input: CaseWorkflowInput): Promise<CaseState> {
  // A case pins the definition it started with, read through today's schema by the API (or, for
  // cases started before it did, here). One that no longer fits it (automation actions written
  // before they were validated) keeps running, without automations.
  const { definition, current } = pinnedDefinition(input);
  const template = { ...input.template, definition };
  // patched() first and always: whether a history has the marker must not depend on today's schema.
  const patchedRun = patched(AUTOMATION_PATCH);
  const automated = patchedRun && current;
  if (!current) log.warn('template no longer fits the schema: automations and SLA timers are off for this case', { caseKey: input.caseKey });
  let state: CaseState;
  let recent: CaseEvent[];
  let unprojected: CaseEvent[];
  let processed: ProcessedRequest[];
  /** Effects asked for by automations and not finished yet; carried across continue-as-new. */
  let effects: Effect[];
  const running = new Set<string>();
  let published = '';

  const now = () => new Date().toISOString();

  function record(events: CaseEvent[]) {
    recent = [...recent, ...events].slice(-RECENT_EVENTS);
    unprojected.push(...events);
  }

  /** Applies events, then lets automations react to them (`depth` steps into a chain). */
  function append(drafts: EventDraft[], actor: Actor, depth = 0): CaseEvent[] {
    const applied = applyDrafts(state, drafts, actor, now());
    state = applied.state;
    record(applied.events);
    if (!automated) return applied.events;
    const reaction = react(state, definition, applied.events, now(), depth);
    state = reaction.state;
    record(reaction.events);
    effects.push(...reaction.effects);
    return [...applied.events, ...reaction.events];
  }

  function remember(requestId: string | undefined, events: CaseEvent[]) {
    if (!requestId || events.length === 0) return;
    processed.push({ requestId, firstSeq: events[0]!.seq, lastSeq: events[events.length - 1]!.seq });
    if (processed.length > PROCESSED_REQUESTS) processed = processed.slice(-PROCESSED_REQUESTS);
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
    ({ state, recent, unprojected, processed } = input.carried);
    effects = input.carried.effects ?? [];
  } else {
    state = emptyState(input.caseKey);
    recent = [];
    unprojected = [];
    processed = [];
    effects = [];
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

  function check(raw: CommandRequest): Checked {
    const parsed = checkCommandRequest(raw);
    if (!parsed.ok) return { ok: false, rejection: { code: 'invalid_command', detail: 'the command is malformed', errors: parsed.problems } };
    const decision = decide(state, definition, parsed.request.command, parsed.request.actor, now());
    return decision.ok ? { ok: true, request: parsed.request, drafts: decision.events } : decision;
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
    // A bad signal must never fail the workflow task: record why it was refused instead.
    const requestId = typeof raw?.requestId === 'string' ? raw.requestId.slice(0, 200) : undefined;
    const command = typeof raw?.command?.type === 'string' ? raw.command.type.slice(0, 100) : 'unknown';
    const actor: Actor = checkActor(raw?.actor) ?? { id: 'unknown', name: 'Unknown sender', roles: [], kind: 'system' };
    const rejected = append(
      [{ type: 'command.rejected', data: { command, code: checked.rejection.code, detail: checked.rejection.detail, ...(requestId ? { requestId } : {}) } }],
      actor,
    );
    remember(requestId, rejected);
  });

  setHandler(caseViewQuery, view);
  setHandler(recentTimelineQuery, (limit?: number) => recent.slice(-Math.max(1, Math.min(limit ?? RECENT_EVENTS, RECENT_EVENTS))));

  /** Runs one effect to its end and records the outcome; a failure never fails the workflow. */
  async function runEffect(effect: Effect): Promise<void> {
    const ref = effect.ref;
    try {
      switch (effect.kind) {
        case 'email': {
          const sent = await messaging.sendEmail(effect);
          const subject = renderTemplate(effect.subject, effect.context, 'text').slice(0, 500);
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

  for (;;) {
    // Checked first: under a steady stream of commands there is always something to project.
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // Effects still running are abandoned and started again by the next run: their keys make that safe.
      return continueAsNew<typeof caseWorkflow>({
        ...input,
        template,
        templateCurrent: current,
        carried: { state, recent, unprojected, processed, effects },
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

    if (unprojected.length > 0) {
      const batch = unprojected.slice(0, PROJECTION_BATCH);
      try {
        await projectCase({ caseKey: state.key, view: view(), events: batch });
        const through = batch[batch.length - 1]!.seq;
        unprojected = unprojected.filter((e) => e.seq > through);
      } catch (err) {
        // Only a non-retryable failure gets here; keep the events and try again later.
        log.error('projection failed; retrying in a minute', { caseKey: state.key, error: String(err) });
        await sleep('1 minute');
      }
      continue;
    }

    const seen = state.lastSeq;
    const wake = () =>
      unprojected.length > 0 || state.lastSeq !== seen || workflowInfo().continueAsNewSuggested || effects.some((e) => !running.has(e.key));
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
    if (unprojected.length === 0) {
      await condition(allHandlersFinished);
      return state;
    }
  }
}

function failureReason(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 2000);
}
