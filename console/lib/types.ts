/**
 * The API's shapes, taken from the zod schemas the API itself validates and documents with (one
 * source of truth). Type-only imports: none of that code reaches the browser bundle.
 */
import type { z } from 'zod';
import type { caseEventSchema, publicCaseViewSchema } from '../../domain/schemas/case-view';
import type { templateDefinitionSchema, fieldDefinitionSchema, documentSlotSchema, stageDefinitionSchema } from '../../domain/schemas/template';
import type { boardSchema, caseListSchema, caseSummarySchema, templateListSchema, timelineSchema, publishedTemplateSchema } from '../../api/schemas';

export type CaseView = z.output<typeof publicCaseViewSchema>;
export type CaseEvent = z.output<typeof caseEventSchema>;
export type CaseSummary = z.output<typeof caseSummarySchema>;
export type CaseList = z.output<typeof caseListSchema>;
export type Board = z.output<typeof boardSchema>;
export type TimelinePage = z.output<typeof timelineSchema>;
export type TemplateList = z.output<typeof templateListSchema>;
export type PublishedTemplate = z.output<typeof publishedTemplateSchema>;
export type TemplateDefinition = z.output<typeof templateDefinitionSchema>;
export type FieldDefinition = z.output<typeof fieldDefinitionSchema>;
export type DocumentSlot = z.output<typeof documentSlotSchema>;
export type StageDefinition = z.output<typeof stageDefinitionSchema>;

/** A command's answer: the case after it and the events it recorded. */
export interface CommandResult {
  case: CaseView;
  events: CaseEvent[];
}

/** A value the caller may not see. */
export interface Redacted {
  redacted: true;
}
export const isRedacted = (v: unknown): v is Redacted => typeof v === 'object' && v !== null && (v as Redacted).redacted === true;
