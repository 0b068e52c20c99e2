/**
 * Small badges shared by lists, boards and the case page: when something is due (overdue, due
 * soon, or just the date) and a case's status. Each says it in words as well as in colour, so
 * nobody needs to tell red from orange, and times are in the browser's time zone.
 */
import { formatDateTime, formatRelative } from '../lib/format';

/** Within this long of its due time a case or task counts as "due soon". */
export const DUE_SOON_MS = 24 * 3_600_000;

export type DueState = 'overdue' | 'soon' | 'later' | 'none';

export function dueState(dueAt: string | null | undefined, overdue: boolean, now = Date.now()): DueState {
  if (overdue) return 'overdue';
  if (!dueAt) return 'none';
  const left = new Date(dueAt).getTime() - now;
  // The API decides "overdue" (it knows paused clocks); a past due time it has not flagged yet is at least due soon.
  return left <= DUE_SOON_MS ? 'soon' : 'later';
}

export function DueBadge({
  dueAt,
  overdue,
  now,
  empty = null,
  compact = false,
}: {
  dueAt: string | null | undefined;
  overdue: boolean;
  now?: number;
  /** What to show without a due time (tables say "—", cards nothing). */
  empty?: string | null;
  /** Cards: the relative time only ("in 3 hours"), the full time in the tooltip. */
  compact?: boolean;
}) {
  const state = dueState(dueAt, overdue, now);
  if (state === 'none') return empty ? <span class="due hint">{empty}</span> : null;
  const when = dueAt ? (
    <time dateTime={dueAt} title={formatDateTime(dueAt)}>
      {compact ? formatRelative(dueAt, now) : formatDateTime(dueAt)}
    </time>
  ) : null;
  if (state === 'overdue') {
    return (
      <span class="due">
        <span class="badge overdue">Overdue</span> {when && <>was due {when}</>}
      </span>
    );
  }
  if (state === 'soon') {
    return (
      <span class="due">
        <span class="badge due">Due soon</span> {when}
      </span>
    );
  }
  return <span class="due">Due {when}</span>;
}

const STATUS_LABEL: Record<string, string> = { open: 'Open', closed: 'Closed', cancelled: 'Cancelled' };

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}${status === 'open' ? ' ok' : ''}`}>{STATUS_LABEL[status] ?? status}</span>;
}

/** An open case nobody touched for the template's `inactivity` time. */
export function StalledBadge({ stalled }: { stalled: boolean | undefined }) {
  return stalled ? <span class="badge due">Stalled</span> : null;
}
