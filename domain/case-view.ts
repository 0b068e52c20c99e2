import type { z } from 'zod';
import type { CaseState } from './case-state';
import { missingExitCriteria } from './decide';
import type { CaseEvent } from './events';
import type { caseViewSchema, publicCaseViewSchema } from './schemas/case-view';
import { caseDueAt, clockView } from './sla';
import { stageName, type PublishedTemplate } from './template';

/** The one-case view served by the workflow query (its zod schema, for OpenAPI, is in domain/schemas). */
export type CaseView = z.infer<typeof caseViewSchema>;

/**
 * Answer of every command: the case after it, and the events it appended. `project`: the workflow
 * leaves writing these events to the read model to the caller, which has them at hand (the
 * workflow writes them itself a moment later if the caller does not); absent, it writes them now.
 * `takesWritten`: the run takes `written` on the caller's next commands (how far the caller has
 * written) and then does not write those events again.
 */
export type CommandResult = { case: CaseView; events: CaseEvent[]; project?: boolean; takesWritten?: true };

/** The view as the API answers it: sensitive values redacted for who may not see them (domain/redaction.ts). */
export type PublicCaseView = z.infer<typeof publicCaseViewSchema>;
export type PublicCommandResult = { case: PublicCaseView; events: CaseEvent[] };

export function toCaseView(state: CaseState, template: PublishedTemplate, now: string = state.updatedAt): CaseView {
  const dueAt = caseDueAt(state);
  const def = template.definition;
  const currentIndex = def.stages.findIndex((s) => s.key === state.stage);
  const stage = def.stages[currentIndex];
  return {
    id: state.key,
    template: { key: template.key, version: template.version, name: def.name },
    title: state.title,
    status: state.status,
    statusReason: state.statusReason,
    stage: {
      key: state.stage,
      name: stage ? stageName(stage) : state.stage,
      enteredAt: state.stageEnteredAt,
      terminal: stage?.terminal ?? false,
      ownerRole: stage?.owner ?? null,
      missing: stage ? missingExitCriteria(state, stage) : { fields: [], documents: [], tasks: [] },
    },
    stages: def.stages.map((s, i) => ({
      key: s.key,
      name: stageName(s),
      terminal: s.terminal,
      position: i < currentIndex ? 'past' : i === currentIndex ? 'current' : 'upcoming',
    })),
    owner: state.owner,
    fields: state.fields,
    tasks: Object.values(state.tasks),
    participants: Object.values(state.participants),
    decisions: state.decisions,
    documents: state.documents,
    sla: clockView(state, now),
    dueAt,
    overdue: dueAt !== null && dueAt <= now,
    stalled: state.stalledAt !== null,
    asOf: now,
    comments: state.counters.comments,
    lastSeq: state.lastSeq,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    closedAt: state.closedAt,
  };
}

/**
 * The view with remaining and overdue times recomputed for `now`: a workflow computes them at
 * its own (last activation's) time, the API answers at the request's time.
 */
export function viewAsOf(view: CaseView, now: string): CaseView {
  const at = Date.parse(now);
  const sla =
    view.sla && !view.sla.paused
      ? (() => {
          const left = (target: string | null) => (target ? Date.parse(target) - at : null);
          const deadlineRemainingMs = left(view.sla.deadlineAt);
          return {
            ...view.sla,
            goalRemainingMs: left(view.sla.goalAt),
            deadlineRemainingMs,
            overdueMs: deadlineRemainingMs !== null && deadlineRemainingMs < 0 ? -deadlineRemainingMs : 0,
          };
        })()
      : view.sla;
  return { ...view, sla, overdue: view.status === 'open' && view.dueAt !== null && Date.parse(view.dueAt) <= at, asOf: now };
}
