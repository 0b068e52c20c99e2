import { defineSearchAttributeKey, type SearchAttributePair, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { CaseState } from '../domain/case-state';

/** Custom search attributes a case keeps current, so engineers can filter cases in the Temporal UI. */
export const CaseKey = defineSearchAttributeKey('CaseKey', 'KEYWORD');
export const CaseTemplate = defineSearchAttributeKey('CaseTemplate', 'KEYWORD');
export const CaseStage = defineSearchAttributeKey('CaseStage', 'KEYWORD');
export const CaseStatus = defineSearchAttributeKey('CaseStatus', 'KEYWORD');
export const CaseOwner = defineSearchAttributeKey('CaseOwner', 'KEYWORD');

/** The earliest running deadline of an open case (stage SLA or task): `CaseDueAt < now` finds overdue cases. */
export const CaseDueAt = defineSearchAttributeKey('CaseDueAt', 'DATETIME');

export const caseSearchAttributes = [CaseKey, CaseTemplate, CaseStage, CaseStatus, CaseOwner, CaseDueAt] as const;

/**
 * A case's search attributes, from its state: what the workflow upserts as the case changes and
 * what the API starts it with, so the two cannot disagree. `dueAt` undefined leaves `CaseDueAt`
 * out (a case without deadlines); null removes it, as a null owner removes `CaseOwner`.
 */
export function searchAttributesOf(
  state: Pick<CaseState, 'key' | 'templateKey' | 'stage' | 'status' | 'owner'>,
  dueAt?: string | null,
): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: CaseKey, value: state.key },
    { key: CaseTemplate, value: state.templateKey },
    { key: CaseStage, value: state.stage },
    { key: CaseStatus, value: state.status },
    { key: CaseOwner, value: state.owner },
  ];
  if (dueAt !== undefined) pairs.push({ key: CaseDueAt, value: dueAt ? new Date(dueAt) : null });
  return pairs;
}

/** The attributes a case starts with: those of its opening state that have a value. */
export function startSearchAttributes(state: Parameters<typeof searchAttributesOf>[0], dueAt?: string | null): SearchAttributePair[] {
  return searchAttributesOf(state, dueAt).filter((pair): pair is SearchAttributePair => pair.value !== null);
}
