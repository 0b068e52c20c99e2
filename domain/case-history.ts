/**
 * A case as it stood at a past instant: its events up to then, folded with the same `evolve` the
 * workflow applies (one source of truth), viewed as of that instant (SLA clocks included).
 */
import { foldEvents, type CaseState } from './case-state';
import { toCaseView, type CaseView } from './case-view';
import type { CaseEvent } from './events';
import type { PublishedTemplate } from './template';

/**
 * `events` in seq order, `instant` an ISO timestamp in the events' own format (toISOString).
 * Undefined when the case did not exist yet at that instant.
 */
export function caseAsOf(key: string, events: ReadonlyArray<CaseEvent>, template: PublishedTemplate, instant: string): CaseView | undefined {
  const state = stateAsOf(key, events, instant);
  return state && toCaseView(state, template, instant);
}

/**
 * The state at `instant`, or undefined before the case existed. Its `templateVersion` is the
 * version the case ran on then (a `template.migrated` since moved it): view it with that version.
 */
export function stateAsOf(key: string, events: ReadonlyArray<CaseEvent>, instant: string): CaseState | undefined {
  // Events are appended in time order, so those up to the instant are a prefix.
  const end = events.findIndex((e) => e.at > instant);
  const upTo = end === -1 ? events : events.slice(0, end);
  return upTo.length === 0 ? undefined : foldEvents(key, upTo);
}
