import { systemActor } from './actor';
import { applyDrafts, type CaseState } from './case-state';
import type { CaseCommand } from './commands';
import { commandBudgetProblem } from './budgets';
import { decide, type Decision } from './decide';
import { BYTES, formatBytes, jsonBytes } from './limits';
import { addDuration } from './durations';
import type { Effect, RenderContext } from './effects';
import type { CaseEvent, EventDraft, RuleRef } from './events';
import { evaluateLogic, RenderBudgetExceeded } from './logic-budget';
import { resolveRecipients } from './recipients';
import { renderTemplate } from './render';
import { calendarOf } from './sla';
import { automationEventTypes, findStage, stageName, type AutomationAction, type TemplateDefinition } from './template';

/** How many automation steps may follow one another from a single original event. */
export const MAX_AUTOMATION_DEPTH = 5;

interface Rule {
  ref: string;
  name?: string;
  condition?: unknown;
  actions: AutomationAction[];
}

const triggerTypes: ReadonlySet<string> = new Set(automationEventTypes);

/** The stage an event is about: the stage left for `stage.exited`, otherwise the stage the case is in. */
function eventStage(event: CaseEvent): string {
  return event.type === 'stage.exited' ? event.data.stage : event.stage;
}

/** Rules that react to this event, in the order written: the escalation's own actions first. */
export function matchingRules(template: TemplateDefinition, event: CaseEvent): Rule[] {
  const rules: Rule[] = [];
  if (event.type === 'sla.escalated') {
    const stageIndex = template.stages.findIndex((s) => s.key === event.data.stage);
    const escalation = template.stages[stageIndex]?.sla?.escalations[event.data.escalation];
    if (escalation?.do.length) rules.push({ ref: `stages[${stageIndex}].sla.escalations[${event.data.escalation}]`, actions: escalation.do });
  }
  const data = event.data as Record<string, unknown>;
  template.automations.forEach((a, i) => {
    if (a.on !== event.type) return;
    if (a.stage !== undefined && a.stage !== eventStage(event)) return;
    if (a.field !== undefined && data.field !== a.field) return;
    if (a.document !== undefined && data.slot !== a.document) return;
    if (a.decision !== undefined && data.decision !== a.decision) return;
    rules.push({ ref: `automations[${i}]`, ...(a.name ? { name: a.name } : {}), ...(a.if !== undefined ? { condition: a.if } : {}), actions: a.do });
  });
  return rules;
}

/** What conditions and templates see: the case as it is after the event. */
export function renderContext(state: CaseState, template: TemplateDefinition, event: CaseEvent): RenderContext {
  const stage = findStage(template, state.stage);
  return {
    case: { key: state.key, title: state.title, status: state.status, owner: state.owner, template: state.templateKey },
    fields: state.fields,
    stage: { key: state.stage, name: stage ? stageName(stage) : state.stage },
    event: { type: event.type, seq: event.seq, at: event.at, data: event.data as Record<string, unknown> },
  };
}

/**
 * Evaluates a JSONLogic condition; `undefined` is "always". Unknown operators throw, and so does
 * a condition over its budget (`LogicBudgetExceeded`): `react` records either as the rule's failure.
 */
export function conditionHolds(condition: unknown, data: object, options: ReactOptions = {}): boolean {
  if (condition === undefined) return true;
  return Boolean(evaluateLogic(condition, data, { unbounded: options.unbounded ?? false }));
}

export interface ReactOptions {
  /**
   * Run without the budgets of template logic and of a reaction's size: only for cases started
   * before those budgets existed, whose recorded histories must replay exactly as they ran.
   */
  unbounded?: boolean;
}

export const actionName = (action: AutomationAction): string => Object.keys(action)[0]!;

export interface Reaction {
  state: CaseState;
  events: CaseEvent[];
  effects: Effect[];
}

type Step = { ok: true; command: CaseCommand } | { ok: true; effects: Effect[] } | { ok: false; reason: string };

/** Renders a text of an action here, in the case; over its budget it fails the action, saying which text. */
function renderActionText(what: string, source: string, ctx: RenderContext, options: ReactOptions): string {
  try {
    return renderTemplate(source, ctx, 'text', { unbounded: options.unbounded ?? false });
  } catch (err) {
    throw err instanceof RenderBudgetExceeded ? new RenderBudgetExceeded(`${what}: ${err.message}`) : err;
  }
}

/** The drafts, or the refusal `commandBudgetProblem` gives them. */
function withinBudget(state: CaseState, drafts: EventDraft[], now: string): Decision {
  const applied = applyDrafts(state, drafts, systemActor, now);
  const problem = commandBudgetProblem(state, applied.state, applied.events);
  return problem ? { ok: false, rejection: problem } : { ok: true, events: drafts };
}

/** Turns one action into a command the case decides on, or effects for activities. */
function plan(
  action: AutomationAction,
  state: CaseState,
  template: TemplateDefinition,
  ctx: RenderContext,
  key: string,
  base: Omit<Effect, 'kind' | 'key'>,
  now: string,
  options: ReactOptions,
): Step {
  if ('email' in action) {
    const resolved = resolveRecipients(state, action.email.to);
    if (!resolved.ok) return resolved;
    const withAddress = resolved.recipients.filter((r) => r.email);
    if (!withAddress.length) return { ok: false, reason: 'none of the recipients has an e-mail address' };
    return {
      ok: true,
      effects: withAddress.map((to, i) => ({
        ...base,
        kind: 'email' as const,
        key: `${key}:${i}`,
        to: { ...to, email: to.email! },
        subject: action.email.subject,
        body: action.email.body ?? action.email.subject,
        context: { ...ctx, recipient: { ...(to.name ? { name: to.name } : {}), email: to.email! } },
      })),
    };
  }
  if ('notify' in action) {
    const resolved = resolveRecipients(state, action.notify.to);
    if (!resolved.ok) return resolved;
    const subject = action.notify.subject ?? '{{case.key}} {{case.title}}: {{event.type}}';
    const body = action.notify.body ?? subject;
    const effects: Effect[] = resolved.recipients.map((to, i) =>
      to.userId
        ? { ...base, kind: 'notify' as const, key: `${key}:${i}`, to: { ...to, userId: to.userId }, subject, body, context: { ...ctx, recipient: { ...(to.name ? { name: to.name } : {}), ...(to.email ? { email: to.email } : {}) } } }
        : { ...base, kind: 'email' as const, key: `${key}:${i}`, to: { ...to, email: to.email! }, subject, body, context: { ...ctx, recipient: { email: to.email! } } },
    );
    return { ok: true, effects };
  }
  if ('webhook' in action) {
    return { ok: true, effects: [{ ...base, kind: 'webhook', key, url: action.webhook.url, payload: { ...ctx, ...(action.webhook.payload ?? {}) } }] };
  }
  if ('generateDocument' in action) {
    const documentTemplate = template.documentTemplates.find((d) => d.key === action.generateDocument.template);
    if (!documentTemplate) return { ok: false, reason: `unknown document template "${action.generateDocument.template}"` };
    return { ok: true, effects: [{ ...base, kind: 'generateDocument', key, template: documentTemplate, context: ctx }] };
  }
  if ('createTask' in action) {
    const t = action.createTask;
    return {
      ok: true,
      command: {
        type: 'createTask',
        title: renderActionText('task title', t.title, ctx, options).slice(0, 300) || t.title,
        ...(t.description ? { description: renderActionText('task description', t.description, ctx, options) } : {}),
        ...(t.assignee ? { assignee: t.assignee } : {}),
        ...(t.assigneeRole ? { assigneeRole: t.assigneeRole } : {}),
        ...(t.due ? { dueAt: addDuration(now, t.due, calendarOf(template)) } : {}),
      },
    };
  }
  if ('advance' in action) {
    return { ok: true, command: { type: 'advance', to: action.advance.to, reason: action.advance.reason ?? `automation ${base.ref.name ?? base.ref.rule}` } };
  }
  if ('assign' in action) {
    if (action.assign.user) return { ok: true, command: { type: 'assignOwner', owner: action.assign.user } };
    const role = action.assign.role!;
    const member = Object.values(state.participants).find((p) => p.kind === 'internal' && p.role === role && p.userId);
    if (!member) return { ok: false, reason: `no internal participant with role "${role}" to assign` };
    return { ok: true, command: { type: 'assignOwner', owner: member.userId! } };
  }
  return { ok: true, command: { type: 'setFields', values: { [action.setField.field]: action.setField.value } } };
}

/**
 * Runs the template's automations over freshly appended events, in the order written, inside
 * the case: actions that change the case go through `decide` as the system (so the case's own
 * rules still apply) and may trigger further rules, up to MAX_AUTOMATION_DEPTH; e-mail, notify,
 * webhook and document actions come back as effects for activities. Nothing here throws: a
 * failing rule or action is an `automation.failed` event and the case carries on.
 */
export function react(state: CaseState, template: TemplateDefinition, triggers: CaseEvent[], now: string, depth = 0, options: ReactOptions = {}): Reaction {
  let current = state;
  const events: CaseEvent[] = [];
  const effects: Effect[] = [];
  /** Bytes of the events this reaction recorded: a reaction records at most BYTES.eventsPerCommand. */
  let recorded = 0;
  let overBudget = false;
  const append = (drafts: EventDraft[]) => {
    const applied = applyDrafts(current, drafts, systemActor, now);
    current = applied.state;
    events.push(...applied.events);
    if (!options.unbounded) recorded += jsonBytes(applied.events);
    return applied.events;
  };
  const queue = triggers.map((event) => ({ event, depth }));
  while (queue.length) {
    if (!options.unbounded && recorded > BYTES.eventsPerCommand) {
      // Rules feeding rules (a field set from a large value, say) stop here; the case carries on.
      if (!overBudget) {
        overBudget = true;
        const trigger = queue[0]!.event.seq;
        append([{ type: 'automation.failed', data: { rule: 'automations', trigger, reason: `reactions stopped: they recorded ${formatBytes(recorded)} of events, the most one change may lead to is ${formatBytes(BYTES.eventsPerCommand)}` } }]);
      }
      break;
    }
    const { event, depth: level } = queue.shift()!;
    if (!triggerTypes.has(event.type) && event.type !== 'sla.escalated') continue;
    // Every rule on one event judges the case as the event left it, not as earlier rules changed it.
    const ctx = renderContext(current, template, event);
    for (const rule of matchingRules(template, event)) {
      const ref: RuleRef = { rule: rule.ref, ...(rule.name ? { name: rule.name } : {}), trigger: event.seq };
      if (level >= MAX_AUTOMATION_DEPTH) {
        append([{ type: 'automation.failed', data: { ...ref, reason: `chain stopped: ${MAX_AUTOMATION_DEPTH} automation steps in a row (depth limit)` } }]);
        continue;
      }
      let holds: boolean;
      try {
        holds = conditionHolds(rule.condition, { ...ctx, actor: { id: event.actor.id, kind: event.actor.kind, roles: event.actor.roles } }, options);
      } catch (err) {
        append([{ type: 'automation.failed', data: { ...ref, reason: `condition failed: ${err instanceof Error ? err.message : String(err)}` } }]);
        continue;
      }
      if (!holds) continue;
      const [ran] = append([{ type: 'automation.ran', data: { ...ref, on: event.type, actions: rule.actions.map(actionName) } }]);
      rule.actions.forEach((action, index) => {
        const name = actionName(action);
        let step: Step;
        try {
          step = plan(action, current, template, ctx, `${current.key}:${ran!.seq}:${index}`, { caseKey: current.key, ref, depth: level + 1 }, now, options);
        } catch (err) {
          step = { ok: false, reason: err instanceof Error ? err.message : String(err) };
        }
        if (!step.ok) {
          append([{ type: 'automation.failed', data: { ...ref, action: name, reason: step.reason } }]);
        } else if ('effects' in step) {
          effects.push(...step.effects);
        } else {
          const decided = decide(current, template, step.command, systemActor, now);
          // A rule's change must fit the case's byte budget like anyone else's.
          const decision = decided.ok && !options.unbounded ? withinBudget(current, decided.events, now) : decided;
          if (!decision.ok) {
            append([{ type: 'automation.failed', data: { ...ref, action: name, reason: `${decision.rejection.code}: ${decision.rejection.detail}` } }]);
          } else {
            queue.push(...append(decision.events).map((e) => ({ event: e, depth: level + 1 })));
          }
        }
      });
    }
  }
  return { state: current, events, effects };
}
