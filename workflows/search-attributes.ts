import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes a case keeps current, so engineers can filter cases in the Temporal UI. */
export const CaseKey = defineSearchAttributeKey('CaseKey', 'KEYWORD');
export const CaseTemplate = defineSearchAttributeKey('CaseTemplate', 'KEYWORD');
export const CaseStage = defineSearchAttributeKey('CaseStage', 'KEYWORD');
export const CaseStatus = defineSearchAttributeKey('CaseStatus', 'KEYWORD');
export const CaseOwner = defineSearchAttributeKey('CaseOwner', 'KEYWORD');

/** The earliest running deadline of an open case (stage SLA or task): `CaseDueAt < now` finds overdue cases. */
export const CaseDueAt = defineSearchAttributeKey('CaseDueAt', 'DATETIME');

export const caseSearchAttributes = [CaseKey, CaseTemplate, CaseStage, CaseStatus, CaseOwner, CaseDueAt] as const;
