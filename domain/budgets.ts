import type { CaseState } from './case-state';
import type { CaseEvent } from './events';
import { BYTES, PROCESSED_REQUESTS, PROJECTION_BATCH_EVENTS, RECENT_EVENTS, formatBytes, jsonBytes } from './limits';
import { reject, type Rejection } from './rejections';

/**
 * What keeps a case within its byte budgets (domain/limits.ts): pure functions the workflow
 * applies to each command and to what it carries across continue-as-new.
 */

/**
 * Why the events a command appends, or the state it leaves, are over budget — or undefined. A
 * command that leaves the state no larger is always allowed, so a case over its budget (a template
 * migrated to bigger defaults, say) can still be cleaned up.
 */
export function commandBudgetProblem(before: CaseState, after: CaseState, events: readonly CaseEvent[]): Rejection | undefined {
  const eventBytes = jsonBytes(events);
  if (eventBytes > BYTES.eventsPerCommand) {
    return reject('limit_exceeded', `the command would record ${formatBytes(eventBytes)} of events; one command may record at most ${formatBytes(BYTES.eventsPerCommand)}`);
  }
  const afterBytes = jsonBytes(after);
  if (afterBytes > BYTES.state && afterBytes > jsonBytes(before)) {
    return reject('limit_exceeded', `the case would hold ${formatBytes(afterBytes)} of data; a case may hold at most ${formatBytes(BYTES.state)} (fields, tasks, participants, decisions, documents' metadata)`);
  }
  return undefined;
}

/** The newest events that fit both the count and the byte budget of the recent timeline. */
export function keepRecent(events: readonly CaseEvent[]): CaseEvent[] {
  return newestWithin(events.slice(-RECENT_EVENTS), BYTES.recentEvents, jsonBytes);
}

export interface ProcessedRequest {
  requestId: string;
  firstSeq: number;
  lastSeq: number;
}

/** The newest request ids that fit the count and (unless `countOnly`) the byte budget. */
export function keepProcessed(processed: readonly ProcessedRequest[], countOnly = false): ProcessedRequest[] {
  const newest = processed.slice(-PROCESSED_REQUESTS);
  return countOnly ? newest : newestWithin(newest, BYTES.processedRequests, (p) => p.requestId.length * 3 + 40);
}

/** The oldest events waiting for the read model that fit one projection batch (at least one). */
export function projectionBatch(unprojected: readonly CaseEvent[], countOnly = false): CaseEvent[] {
  const batch: CaseEvent[] = [];
  let bytes = 0;
  for (const event of unprojected) {
    if (batch.length >= PROJECTION_BATCH_EVENTS) break;
    const size = countOnly ? 0 : jsonBytes(event);
    if (batch.length > 0 && bytes + size > BYTES.projectionBatch) break;
    batch.push(event);
    bytes += size;
  }
  return batch;
}

function newestWithin<T>(items: readonly T[], budget: number, size: (item: T) => number): T[] {
  let bytes = 0;
  let from = items.length;
  while (from > 0) {
    const next = size(items[from - 1]!);
    if (bytes + next > budget) break;
    bytes += next;
    from--;
  }
  return items.slice(from);
}

/** The refusal of a command while the case's backlog is over budget (the API answers 503 + Retry-After). */
export function busyRejection(backlogBytes: number): Rejection {
  return reject('case_busy', `the case has ${formatBytes(backlogBytes)} of events waiting for the read model (limit ${formatBytes(BYTES.backlogSoft)}); try again shortly`);
}
