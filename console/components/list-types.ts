/**
 * Names the home page, the board and the cases list use for the API's shapes (lib/types.ts takes
 * them from the server's schemas), and the list parameters a URL or a saved view carries.
 */
import type { Board, CaseList, CaseSummary } from '../lib/types';
export type { InboxTask as TaskItem, TaskInbox as TaskList, Notification as NotificationItem, NotificationList, SavedView, SavedViewList } from '../lib/types';

export type CaseItem = CaseSummary;
export type BoardStage = Board['stages'][number];
export type BoardData = Board;
export type CaseItemList = CaseList;

/** The GET /v1/cases parameters a list URL (and a saved view) may carry; cursor/limit are paging, not part of a view. */
export const CASE_QUERY_KEYS = ['template', 'stage', 'status', 'owner', 'overdue', 'stalled', 'q', 'sort'] as const;
export type CaseQueryKey = (typeof CASE_QUERY_KEYS)[number];
