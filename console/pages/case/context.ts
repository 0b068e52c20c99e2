/**
 * What every section of the case page shares: the case as the caller sees it (with `allowed`),
 * the template version it pins, its API path, and `reload` (after a command: the view, whose
 * `allowed` says what may be done next, and the timeline's live feed).
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { z } from 'zod';
import type { caseViewWithAllowedSchema } from '../../../domain/schemas/case-view';
import type { FieldDefinition, TemplateDefinition } from '../../lib/types';

export type CaseViewForCaller = z.output<typeof caseViewWithAllowedSchema>;
export type AllowedActions = CaseViewForCaller['allowed'];
export type AllowedMove = AllowedActions['moves'][number];
export type CaseTask = CaseViewForCaller['tasks'][number];
export type CaseParticipant = CaseViewForCaller['participants'][number];

export interface CaseContextValue {
  view: CaseViewForCaller;
  template: TemplateDefinition;
  /** `/v1/cases/ONB-1` */
  caseUrl: string;
  reload: () => Promise<void>;
}

export const CaseContext = createContext<CaseContextValue | undefined>(undefined);

export function useCase(): CaseContextValue {
  const value = useContext(CaseContext);
  if (!value) throw new Error('useCase() outside the case page');
  return value;
}

export const fieldByKey = (template: TemplateDefinition, key: string): FieldDefinition | undefined => template.fields.find((f) => f.key === key);
export const slotLabel = (template: TemplateDefinition, key: string): string => {
  const slot = template.documents.find((s) => s.key === key);
  return slot?.label ?? key;
};
export const stageName = (template: TemplateDefinition, key: string): string => template.stages.find((s) => s.key === key)?.name ?? key;

/** People the case knows by user id (owner, internal participants): for @mentions and assignee suggestions. */
export function knownPeople(view: CaseViewForCaller): Array<{ id: string; name: string; note: string }> {
  const people = new Map<string, { id: string; name: string; note: string }>();
  if (view.owner) people.set(view.owner, { id: view.owner, name: view.participants.find((p) => p.userId === view.owner)?.name ?? view.owner, note: 'owner' });
  for (const p of view.participants) {
    if (p.kind === 'internal' && p.userId && !people.has(p.userId)) people.set(p.userId, { id: p.userId, name: p.name, note: p.role });
  }
  return [...people.values()];
}
