/** Shared fixtures for the domain tests: templates, actors, and a tiny in-memory "case" driver. */
import type { Actor } from '../../domain/actor';
import { applyDrafts, emptyState, type CaseState } from '../../domain/case-state';
import type { CaseCommand } from '../../domain/commands';
import { decide, decideStart, type Decision, type StartRequest } from '../../domain/decide';
import type { CaseEvent } from '../../domain/events';
import type { PublishedTemplate, TemplateDefinition, TemplateDefinitionInput } from '../../domain/template';
import { validateTemplate } from '../../domain/template-validation';

export const actors = {
  admin: { id: 'alice', name: 'Alice Admin', roles: ['admin'], kind: 'user' },
  hr: { id: 'hank', name: 'Hank HR', roles: ['hr'], kind: 'user' },
  manager: { id: 'mona', name: 'Mona Manager', roles: ['manager'], kind: 'user' },
  it: { id: 'ivan', name: 'Ivan IT', roles: ['it'], kind: 'user' },
  nobody: { id: 'nora', name: 'Nora Noroles', roles: [], kind: 'user' },
  system: { id: 'system', name: 'System', roles: [], kind: 'system' },
} satisfies Record<string, Actor>;

/** A template in the spirit of DESIGN.md §5 that uses every feature the decide tests need. */
export const onboardingInput: TemplateDefinitionInput = {
  key: 'employee-onboarding',
  name: 'Employee onboarding',
  prefix: 'ONB',
  roles: ['hr', 'manager', 'it'],
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'bio', type: 'longtext' },
    { key: 'salary', type: 'number' },
    { key: 'startDate', type: 'date' },
    { key: 'remote', type: 'boolean' },
    { key: 'contractType', type: 'select', options: ['employee', 'contractor'] },
    { key: 'equipment', type: 'multiselect', options: ['laptop', 'phone', 'badge'] },
    { key: 'personalEmail', type: 'email' },
    { key: 'skills', type: 'multiselect', options: ['ts', 'go'], required: true },
  ],
  documents: [{ key: 'idCard', label: 'ID card', external: true }, { key: 'contract' }],
  stages: [
    {
      key: 'documentation',
      owner: 'hr',
      exit: { fields: ['fullName', 'startDate'], documents: ['idCard'] },
      permissions: { act: ['hr'] },
      sla: { goal: '2d', deadline: '3 business days', escalations: [{ after: '1d', do: [{ notify: { to: 'role:hr' } }] }] },
    },
    {
      key: 'setup',
      owner: 'it',
      tasks: [
        { key: 'laptop', title: 'Prepare laptop', assigneeRole: 'it', due: '2d' },
        { key: 'account', title: 'Create account' },
      ],
      exit: { tasks: ['laptop', 'account'] },
    },
    {
      key: 'review',
      owner: 'manager',
      tasks: [{ key: 'signoff', title: 'Sign off', assigneeRole: 'manager' }],
      exit: { tasks: 'all' },
      permissions: { act: ['manager'], comment: ['manager', 'hr'] },
    },
    { key: 'completed', terminal: true },
  ],
  automations: [{ on: 'stage.entered', stage: 'documentation', do: [{ email: { to: 'participant:candidate', subject: 'Documents for {{case.title}}' } }] }],
};

export function parseTemplate(input: unknown): TemplateDefinition {
  const result = validateTemplate(input);
  if (!result.ok) throw new Error(`fixture template is invalid: ${JSON.stringify(result.problems)}`);
  return result.template;
}

export function publish(definition: TemplateDefinition, version = 1): PublishedTemplate {
  return { key: definition.key, version, prefix: definition.prefix ?? 'CASE', definition, publishedAt: '2026-01-01T00:00:00.000Z' };
}

export const T0 = Date.parse('2026-01-05T09:00:00.000Z');

/** A case driven in memory: start it, send commands, keep every event. */
export class TestCase {
  state: CaseState;
  events: CaseEvent[] = [];
  private tick = 0;

  constructor(
    readonly template: TemplateDefinition,
    start: Partial<StartRequest> = {},
    readonly key = 'ONB-1',
    starter: Actor = actors.admin,
  ) {
    const base = emptyState(key);
    const decision = decideStart(
      template,
      { title: 'John Doe onboarding', templateKey: template.key, templateVersion: 1, ...start },
      base,
      new Date(T0).toISOString(),
    );
    if (!decision.ok) throw new Error(`start rejected: ${JSON.stringify(decision.rejection)}`);
    this.state = base;
    this.apply(decision.events, starter);
  }

  now(): string {
    return new Date(T0 + this.tick++ * 60_000).toISOString();
  }

  /** Lets time pass without events (the next event is stamped `ms` later than it would be). */
  wait(ms: number): void {
    this.tick += ms / 60_000;
  }

  /** The instant the next event is stamped with. */
  peek(): string {
    return new Date(T0 + this.tick * 60_000).toISOString();
  }

  /** Applies drafts produced outside decide (timers, automations) as the given actor. */
  record(drafts: Extract<Decision, { ok: true }>['events'], actor: Actor = actors.system): CaseEvent[] {
    return this.apply(drafts, actor);
  }

  private apply(drafts: Extract<Decision, { ok: true }>['events'], actor: Actor): CaseEvent[] {
    const { state, events } = applyDrafts(this.state, drafts, actor, this.now());
    this.state = state;
    this.events.push(...events);
    return events;
  }

  /** Decides without applying. */
  decide(command: CaseCommand, actor: Actor = actors.admin): Decision {
    // The instant the next apply() stamps: the workflow decides and applies at one time too.
    return decide(this.state, this.template, command, actor, this.peek());
  }

  /** Decides and, when accepted, applies; returns the decision. */
  send(command: CaseCommand, actor: Actor = actors.admin): Decision {
    const decision = this.decide(command, actor);
    if (decision.ok) this.apply(decision.events, actor);
    return decision;
  }

  /** Sends a command that must be accepted; returns the stamped events. */
  ok(command: CaseCommand, actor: Actor = actors.admin): CaseEvent[] {
    const decision = this.decide(command, actor);
    if (!decision.ok) throw new Error(`expected ${command.type} to be accepted, got ${JSON.stringify(decision.rejection)}`);
    return this.apply(decision.events, actor);
  }

  /** Records an upload of a version of `slot` (the bytes would be in the document store). */
  uploadDocument(slot: string, actor: Actor = actors.admin): CaseEvent[] {
    const n = (this.state.documents[slot]?.versions ?? 0) + 1;
    return this.ok(
      { type: 'uploadDocument', slot, documentId: `doc-${slot}-${n}`, fileName: `${slot}.pdf`, contentType: 'application/pdf', size: 10, sha256: 'a'.repeat(64) },
      actor,
    );
  }
}

/** Freezes an object graph so any mutation throws (test files run in strict mode). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

export function rejectionOf(decision: Decision) {
  if (decision.ok) throw new Error(`expected a rejection, got events ${JSON.stringify(decision.events)}`);
  return decision.rejection;
}

export function eventsOf(decision: Decision) {
  if (!decision.ok) throw new Error(`expected acceptance, got ${JSON.stringify(decision.rejection)}`);
  return decision.events;
}
