import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Actor } from '../domain/actor';
import { applyDrafts, emptyState, type CaseState } from '../domain/case-state';
import { toCaseView, type CommandResult } from '../domain/case-view';
import { commandRequestSchema, type CommandRequest, type ParsedCommandRequest } from '../domain/commands';
import { decide, decideStart } from '../domain/decide';
import type { CaseEvent, EventDraft } from '../domain/events';
import type { Rejection } from '../domain/rejections';
import {
  COMMAND_REJECTED,
  caseViewQuery,
  commandSignal,
  commandUpdate,
  recentTimelineQuery,
  type CaseWorkflowInput,
  type ProcessedRequest,
} from './messages';
import { CaseKey, CaseOwner, CaseStage, CaseStatus, CaseTemplate } from './search-attributes';

const { projectCase } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Events kept in workflow state for the recent-timeline query; the read model has them all. */
const RECENT_EVENTS = 100;
/** Request ids remembered across continue-as-new so a late retry is still applied once. */
const PROCESSED_REQUESTS = 1000;
const PROJECTION_BATCH = 200;
const DEFAULT_ARCHIVE_AFTER_MS = 30 * 24 * 3600 * 1000;

/**
 * One case, alive for as long as the case is: applies commands through the pure domain rules,
 * projects its events to the read model, keeps its search attributes current, and continues
 * as new when the history grows long.
 */
export async function caseWorkflow(input: CaseWorkflowInput): Promise<CaseState> {
  const template = input.template;
  let state: CaseState;
  let recent: CaseEvent[];
  let unprojected: CaseEvent[];
  let processed: ProcessedRequest[];

  const now = () => new Date().toISOString();

  function append(drafts: EventDraft[], actor: Actor): CaseEvent[] {
    const applied = applyDrafts(state, drafts, actor, now());
    state = applied.state;
    recent = [...recent, ...applied.events].slice(-RECENT_EVENTS);
    unprojected.push(...applied.events);
    return applied.events;
  }

  function remember(requestId: string | undefined, events: CaseEvent[]) {
    if (!requestId || events.length === 0) return;
    processed.push({ requestId, firstSeq: events[0]!.seq, lastSeq: events[events.length - 1]!.seq });
    if (processed.length > PROCESSED_REQUESTS) processed = processed.slice(-PROCESSED_REQUESTS);
  }

  if (input.carried) {
    ({ state, recent, unprojected, processed } = input.carried);
  } else {
    state = emptyState(input.caseKey);
    recent = [];
    unprojected = [];
    processed = [];
    const { actor, requestId, ...start } = input.start;
    const opening = decideStart(template.definition, start, state, now());
    if (!opening.ok) {
      throw ApplicationFailure.create({ type: COMMAND_REJECTED, message: opening.rejection.detail, details: [opening.rejection], nonRetryable: true });
    }
    remember(requestId, append(opening.events, actor));
  }

  const view = () => toCaseView(state, template, now());

  // Declared before the handlers: an update delivered with the start runs as soon as its handler is set.
  let published = '';
  function afterChange() {
    const attributes = {
      key: state.key,
      template: state.templateKey,
      stage: state.stage,
      status: state.status,
      owner: state.owner ?? '',
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
    upsertSearchAttributes(pairs);
  }
  afterChange();

  function duplicateOf(requestId: string | undefined): ProcessedRequest | undefined {
    return requestId ? processed.find((p) => p.requestId === requestId) : undefined;
  }

  type Checked = { ok: true; request: ParsedCommandRequest; drafts: EventDraft[] } | { ok: false; rejection: Rejection };

  function check(raw: CommandRequest): Checked {
    const parsed = commandRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return { ok: false, rejection: { code: 'invalid_command', detail: 'the command is malformed', errors } };
    }
    const decision = decide(state, template.definition, parsed.data.command, parsed.data.actor, now());
    return decision.ok ? { ok: true, request: parsed.data, drafts: decision.events } : decision;
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
    const actorParse = commandRequestSchema.shape.actor.safeParse(raw?.actor);
    const actor: Actor = actorParse.success ? actorParse.data : { id: 'unknown', name: 'Unknown sender', roles: [], kind: 'system' };
    const rejected = append(
      [{ type: 'command.rejected', data: { command, code: checked.rejection.code, detail: checked.rejection.detail, ...(requestId ? { requestId } : {}) } }],
      actor,
    );
    remember(requestId, rejected);
  });

  setHandler(caseViewQuery, view);
  setHandler(recentTimelineQuery, (limit?: number) => recent.slice(-Math.max(1, Math.min(limit ?? RECENT_EVENTS, RECENT_EVENTS))));


  const archiveAfterMs = input.archiveAfterMs ?? DEFAULT_ARCHIVE_AFTER_MS;

  for (;;) {
    // Checked first: under a steady stream of commands there is always something to project.
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof caseWorkflow>({ ...input, carried: { state, recent, unprojected, processed } });
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
    const wake = () => unprojected.length > 0 || state.lastSeq !== seen || workflowInfo().continueAsNewSuggested;
    if (state.status === 'open' || !state.closedAt) {
      await condition(wake);
      continue;
    }
    const remaining = Date.parse(state.closedAt) + archiveAfterMs - Date.now();
    if (remaining > 0 && (await condition(wake, remaining))) continue;
    if (unprojected.length === 0) {
      await condition(allHandlersFinished);
      return state;
    }
  }
}
