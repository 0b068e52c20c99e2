import type { z } from 'zod';
import type {
  documentSlotSchema,
  documentTemplateSchema,
  automationActionSchema,
  fieldDefinitionSchema,
  stageDefinitionSchema,
  templateDefinitionSchema,
  templatePermissionsSchema,
} from './schemas/template';

/**
 * Templates as the rules of a case see them: types and lookups, without zod (the schema lives in
 * domain/schemas/template.ts and is applied at publish time and by the API; a case workflow only
 * ever receives definitions that went through it).
 */

export { automationEventTypes, fieldTypes, type FieldType } from './template-vocabulary';

/** A template definition as authored (JSON or YAML), before defaults. */
export type TemplateDefinitionInput = z.input<typeof templateDefinitionSchema>;
/** A validated template definition with defaults applied. */
export type TemplateDefinition = z.output<typeof templateDefinitionSchema>;
export type FieldDefinition = z.output<typeof fieldDefinitionSchema>;
export type StageDefinition = z.output<typeof stageDefinitionSchema>;
export type DocumentSlot = z.output<typeof documentSlotSchema>;
export type DocumentTemplate = z.output<typeof documentTemplateSchema>;
export type AutomationAction = z.output<typeof automationActionSchema>;
export type TemplatePermissions = z.output<typeof templatePermissionsSchema>;
export type { BusinessCalendar, Weekday } from './schemas/calendar';

/** A published, immutable template version as pinned by a case. */
export interface PublishedTemplate {
  key: string;
  version: number;
  prefix: string;
  definition: TemplateDefinition;
  publishedAt: string;
}

export function defaultPrefix(key: string): string {
  const letters = key.replace(/[^a-zA-Z0-9]/g, '').toUpperCase();
  const prefix = letters.replace(/^[0-9]+/, '').slice(0, 3);
  return prefix || 'CASE';
}

export function findStage(template: TemplateDefinition, key: string): StageDefinition | undefined {
  return template.stages.find((s) => s.key === key);
}

export function stageIndex(template: TemplateDefinition, key: string): number {
  return template.stages.findIndex((s) => s.key === key);
}

export function stageName(stage: StageDefinition): string {
  return stage.name ?? stage.key;
}
