/**
 * The API's shapes, taken from the zod schemas the API itself validates and documents with (one
 * source of truth). Type-only imports: none of that code reaches the browser bundle.
 */
import type { z } from 'zod';
import type { caseEventSchema, publicCaseViewSchema } from '../../domain/schemas/case-view';
import type { templateDefinitionSchema, fieldDefinitionSchema, documentSlotSchema, stageDefinitionSchema } from '../../domain/schemas/template';
import type { meSchema, inboxTaskSchema, taskInboxSchema, savedViewSchema, savedViewListSchema } from '../../api/routes/me';
import type { notificationSchema, notificationListSchema } from '../../api/routes/notifications';
import type { allowedActionsSchema } from '../../domain/schemas/case-view';
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
export type MeAnswer = z.output<typeof meSchema>;
export type InboxTask = z.output<typeof inboxTaskSchema>;
export type TaskInbox = z.output<typeof taskInboxSchema>;
export type SavedView = z.output<typeof savedViewSchema>;
export type SavedViewList = z.output<typeof savedViewListSchema>;
export type Notification = z.output<typeof notificationSchema>;
export type NotificationList = z.output<typeof notificationListSchema>;
export type AllowedActions = z.output<typeof allowedActionsSchema>;
/** GET /v1/cases/:id: the view and what the caller may do with it now. */
export type CaseForCaller = CaseView & { allowed: AllowedActions };

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
