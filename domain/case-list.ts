/** Orders a case list may come in (GET /v1/cases `sort`): a column, descending with a leading `-`. */
export const CASE_SORTS = ['-createdAt', 'createdAt', '-updatedAt', 'updatedAt', 'dueAt', '-dueAt', 'title', '-title', 'key', '-key'] as const;
export type CaseSort = (typeof CASE_SORTS)[number];
