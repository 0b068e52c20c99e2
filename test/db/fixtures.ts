/**
 * Case data for read-model tests, produced by the real domain rules (decideStart/decide +
 * applyDrafts + toCaseView) so the projection is tested with what the workflow really sends.
 */
import { ADMIN_ROLE, type Actor } from '../../domain/actor';
import { applyDrafts, emptyState, type CaseState } from '../../domain/case-state';
import { toCaseView, type CaseView } from '../../domain/case-view';
import type { CaseCommand } from '../../domain/commands';
import { decide, decideStart, type StartRequest } from '../../domain/decide';
import type { CaseEvent } from '../../domain/events';
import { type PublishedTemplate, type TemplateDefinition, type TemplateDefinitionInput } from '../../domain/template';
import { templateDefinitionSchema } from '../../domain/schemas/template';
import type { Database } from '../../db/connection';
import { projectCase, type ProjectionBatch, type ProjectionOutcome } from '../../db/read-model';

export const admin: Actor = { id: 'ada', name: 'Ada Admin', roles: [ADMIN_ROLE], kind: 'user' };

/** A three-stage template; `key` and `prefix` vary so tests sharing a database stay apart. */
export function definition(key: string, overrides: Partial<TemplateDefinitionInput> = {}): TemplateDefinition {
  return templateDefinitionSchema.parse({
    key,
    name: `Template ${key}`,
    fields: [
      { key: 'fullName', type: 'text' },
      { key: 'city', type: 'text' },
      { key: 'tags', type: 'multiselect', options: ['red', 'blue', '50%_off'] },
    ],
    stages: [{ key: 'intake', name: 'Intake' }, { key: 'review', name: 'Review' }, { key: 'done', name: 'Done', terminal: true }],
    ...overrides,
  });
}

/** Definitions by key and version, as `published` made them: what `project` reads a batch's template from. */
const publishedDefinitions = new Map<string, TemplateDefinition>();

export function published(def: TemplateDefinition, version = 1): PublishedTemplate {
  publishedDefinitions.set(`${def.key}@${version}`, def);
  return { key: def.key, version, prefix: def.prefix ?? 'TST', definition: def, publishedAt: '2026-01-01T00:00:00.000Z' };
}

/** Projects a batch with the definition its case pinned, as the projection activity does. */
export function project(db: Database, batch: ProjectionBatch, options?: { contiguous?: boolean }): Promise<ProjectionOutcome> {
  const { key, version } = batch.view.template;
  const definition = publishedDefinitions.get(`${key}@${version}`);
  if (!definition) throw new Error(`no fixture template ${key} v${version}: make it with published()`);
  return projectCase(db, batch, definition, options);
}

/** A case driven through the domain: every step returns the events it appended. */
export class SimCase {
  state: CaseState;
  readonly events: CaseEvent[] = [];

  constructor(
    readonly key: string,
    readonly template: PublishedTemplate,
    start: Omit<StartRequest, 'templateKey' | 'templateVersion'>,
    at: string,
    readonly actor: Actor = admin,
  ) {
    this.state = emptyState(key);
    const opening = decideStart(template.definition, { ...start, templateKey: template.key, templateVersion: template.version }, this.state);
    if (!opening.ok) throw new Error(`start refused: ${opening.rejection.detail}`);
    this.append(opening.events, at);
  }

  run(command: CaseCommand, at: string): CaseEvent[] {
    const decision = decide(this.state, this.template.definition, command, this.actor);
    if (!decision.ok) throw new Error(`${command.type} refused: ${decision.rejection.detail}`);
    return this.append(decision.events, at);
  }

  view(): CaseView {
    return toCaseView(this.state, this.template);
  }

  /** A projection batch as the workflow sends it: the current view and some events. */
  batch(events: CaseEvent[] = this.events): { caseKey: string; view: CaseView; events: CaseEvent[] } {
    return { caseKey: this.key, view: this.view(), events };
  }

  private append(drafts: Parameters<typeof applyDrafts>[1], at: string): CaseEvent[] {
    const applied = applyDrafts(this.state, drafts, this.actor, at);
    this.state = applied.state;
    this.events.push(...applied.events);
    return applied.events;
  }
}

/** ISO time `minutes` after a fixed origin: deterministic, distinct timestamps. */
export function minute(minutes: number): string {
  return new Date(Date.UTC(2026, 0, 1) + minutes * 60_000).toISOString();
}

/** A deterministic shuffle (seeded LCG + Fisher-Yates) for out-of-order delivery tests. */
export function shuffled<T>(items: readonly T[], seed = 42): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
