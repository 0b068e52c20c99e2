import type { Actor } from './actor';
import type { CaseCommand } from './commands';
import type { MigrationPlan } from './migration';

/**
 * Bulk actions and template migrations: one action applied to many cases by a Temporal workflow
 * (workflows/batch-workflow.ts), each case answering for itself — the command carries the actor
 * who asked, so every case checks that actor's permissions as it would for a single command.
 */

export type BatchKind = 'bulk' | 'migration';
export type BatchStatus = 'running' | 'completed' | 'cancelled';

export const BULK_ACTIONS = ['advance', 'assign', 'comment', 'close', 'cancel', 'migrate'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/**
 * What became of one case: `applied`; `refused` by the case with the reason (permissions, a stage's
 * exit criteria, a migration's blockers …); `not_visible` — the actor may not see it or it does not
 * exist (the same answer, as everywhere in the API); `failed` after retries; `cancelled` before the
 * workflow reached it; `pending` until then.
 */
export const BATCH_OUTCOMES = ['pending', 'applied', 'refused', 'not_visible', 'failed', 'cancelled'] as const;
export type BatchItemOutcome = (typeof BATCH_OUTCOMES)[number];

/** Limits of one batch: at most this many cases (ids, or what a filter matches), processed at this pace. */
export const BATCH_LIMITS = {
  maxCases: 5_000,
  /** Cases in flight at once. */
  concurrency: 4,
  /** Cases started per second, at most (the rate limit: a batch must not starve interactive commands). */
  defaultPerSecond: 20,
  maxPerSecond: 200,
  /** Cases per workflow run before it continues as new (keeps each run's history short). */
  casesPerRun: 500,
} as const;

/** What a batch sends each case: a command, or a migration to another template version. */
export type BatchMessage = { type: 'command'; command: CaseCommand } | { type: 'migrate'; plan: MigrationPlan };

export interface BatchWorkflowInput {
  batchId: string;
  kind: BatchKind;
  actor: Actor;
  message: BatchMessage;
  caseKeys: string[];
  /** Cases started per second at most. */
  perSecond: number;
  /** Where this run starts in `caseKeys` (continue-as-new carries it). */
  offset?: number;
}

/** The request id a case sees for its item of a batch: retries of the item are applied once. */
export function batchRequestId(batchId: string, caseKey: string): string {
  return `${batchId}:${caseKey}`;
}

export interface BatchItemResult {
  caseKey: string;
  outcome: Exclude<BatchItemOutcome, 'pending' | 'cancelled'>;
  code?: string;
  detail?: string;
}

/** The command a bulk action sends each case (`migrate` sends a migration instead). */
export function bulkCommand(
  request:
    | { action: 'advance'; params: { to: string; reason?: string | undefined } }
    | { action: 'assign'; params: { owner: string | null } }
    | { action: 'comment'; params: { text: string } }
    | { action: 'close'; params: { reason?: string | undefined } }
    | { action: 'cancel'; params: { reason: string } },
): CaseCommand {
  switch (request.action) {
    case 'advance':
      return { type: 'advance', to: request.params.to, ...(request.params.reason ? { reason: request.params.reason } : {}) };
    case 'assign':
      return { type: 'assignOwner', owner: request.params.owner };
    case 'comment':
      return { type: 'comment', text: request.params.text };
    case 'close':
      return { type: 'close', ...(request.params.reason ? { reason: request.params.reason } : {}) };
    case 'cancel':
      return { type: 'cancel', reason: request.params.reason };
  }
}
