import type { Actor } from './actor';
import type { CaseView, CommandResult, PublicCaseView, PublicCommandResult } from './case-view';
import type { CaseEvent } from './events';
import { textShape } from './render';
import type { AutomationAction, TemplateDefinition } from './template';
import { hiddenFrom, hidesNothing, type Hidden } from './visibility';

/**
 * Sensitive fields and documents as a given actor may see them: what the API answers (the case
 * view, command results, timeline events) with every value the actor may not see replaced by
 * `{"redacted": true}`, what `q` may search, and which texts of a template render sensitive
 * values (for the publish-time check and for redacting what such a text produced). Pure: the
 * workflow and the read model keep every value; redaction happens on the way out.
 */

export interface Redacted {
  redacted: true;
}

/** What a reader who may not see a value gets in its place. */
export const REDACTED: Redacted = { redacted: true };

export const isRedacted = (value: unknown): value is Redacted =>
  typeof value === 'object' && value !== null && (value as { redacted?: unknown }).redacted === true;

/** `null` (no value) stays `null`: that a sensitive field is empty is no secret, the value is. */
const hide = <T>(value: T): T | Redacted => (value === null || value === undefined ? value : REDACTED);

/** Document metadata that says something about the file or its review: hidden with the slot. */
const DOCUMENT_METADATA = ['fileName', 'contentType', 'size', 'sha256', 'reason'] as const;

function hideMetadata<T extends object>(item: T): T {
  const copy: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  for (const key of DOCUMENT_METADATA) if (Object.hasOwn(copy, key)) copy[key] = hide(copy[key]);
  return copy as T;
}

/** The case view as `actor` may see it. */
export function redactView(view: CaseView, template: TemplateDefinition, actor: Actor, hidden: Hidden = hiddenFrom(template, actor)): PublicCaseView {
  if (hidesNothing(hidden)) return view;
  const fields: PublicCaseView['fields'] = {};
  for (const [key, value] of Object.entries(view.fields)) fields[key] = hidden.fields.has(key) ? hide(value) : value;
  const documents: PublicCaseView['documents'] = {};
  for (const [slot, state] of Object.entries(view.documents)) {
    documents[slot] = hidden.slots.has(slot) ? { ...state, items: state.items.map(hideMetadata) } : state;
  }
  return { ...view, fields, documents };
}

/** An event with some of its data redacted: the same event as far as the API's schema goes (data is any object). */
const withData = (event: CaseEvent, data: Record<string, unknown>): CaseEvent => ({ ...event, data }) as unknown as CaseEvent;

/** A timeline event as `actor` may see it. */
export function redactEvent(event: CaseEvent, template: TemplateDefinition, actor: Actor, hidden: Hidden = hiddenFrom(template, actor)): CaseEvent {
  if (hidesNothing(hidden)) return event;
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'field.changed':
      return hidden.fields.has(event.data.field) ? withData(event, { ...data, old: hide(data.old), new: hide(data.new) }) : event;
    case 'document.uploaded':
    case 'document.approved':
    case 'document.rejected':
      return hidden.slots.has(event.data.slot) ? withData(event, hideMetadata(data)) : event;
    case 'email.sent':
      // The subject was rendered from the rule's texts: hidden when they name what the reader may not see.
      return ruleReveals(template, event.data.rule, hidden) ? withData(event, { ...data, subject: REDACTED }) : event;
    default:
      return event;
  }
}

export function redactEvents(events: ReadonlyArray<CaseEvent>, template: TemplateDefinition, actor: Actor): CaseEvent[] {
  const hidden = hiddenFrom(template, actor);
  return events.map((e) => redactEvent(e, template, actor, hidden));
}

/** A command's answer (the case after it and its events) as `actor` may see it. */
export function redactResult(result: CommandResult, template: TemplateDefinition, actor: Actor): PublicCommandResult {
  const hidden = hiddenFrom(template, actor);
  return { case: redactView(result.case, template, actor, hidden), events: result.events.map((e) => redactEvent(e, template, actor, hidden)) };
}

/**
 * What `q` may match (`cases.search_text`): the key, the title and the values of the fields that
 * are not sensitive, one per line (each option of a multiselect on its own).
 */
export function searchText(view: Pick<CaseView, 'id' | 'title' | 'fields'>, template: Pick<TemplateDefinition, 'fields'>): string {
  const sensitive = new Set(template.fields.filter((f) => f.sensitive).map((f) => f.key));
  const values = Object.entries(view.fields)
    .filter(([key]) => !sensitive.has(key))
    .flatMap(([, value]) => (value === null ? [] : Array.isArray(value) ? value : [String(value)]));
  return [view.id, view.title, ...values].join('\n');
}

/** The sensitive fields and slots a text renders. */
export interface Revealed {
  fields: string[];
  slots: string[];
}

/**
 * What triggered a rule: its `event.data` may carry the values of a field (`field.changed`) or the
 * metadata of a document (`document.*`). `any` stands for a text that may render any event (a
 * document template, generated on request or by any rule).
 */
export type Trigger = { on: string; field?: string; document?: string } | 'any';

/** Keys of an event's data that name things rather than carry their values. */
const NAMING_KEYS = new Set(['field', 'slot', 'version', 'documentId']);

/**
 * The sensitive fields and slots a mustache text would render: `fields.<key>` (or a name under
 * it), `fields` as a whole, and — for a rule triggered by `field.changed` or `document.*` — the
 * values or metadata the trigger event carries (`event`, `event.data`, `event.data.new` …) for the
 * sensitive fields or slots that event can be about. A text that does not compile reveals nothing
 * (the publish check reports it on its own).
 */
export function revealedBy(source: string, template: Pick<TemplateDefinition, 'fields' | 'documents'>, trigger?: Trigger): Revealed {
  let names: string[];
  try {
    names = textShape(source).names;
  } catch {
    return { fields: [], slots: [] };
  }
  const sensitiveFields = template.fields.filter((f) => f.sensitive).map((f) => f.key);
  const fields = new Set<string>();
  const slots = new Set<string>();
  for (const name of names) {
    const [root, second, third] = name.split('.');
    if (root === 'fields') {
      for (const key of second === undefined ? sensitiveFields : sensitiveFields.filter((k) => k === second)) fields.add(key);
    } else if (root === 'event' && trigger && (second === undefined || (second === 'data' && (third === undefined || !NAMING_KEYS.has(third))))) {
      carriedBy(template, trigger).fields.forEach((k) => fields.add(k));
      carriedBy(template, trigger).slots.forEach((k) => slots.add(k));
    }
  }
  return { fields: [...fields], slots: [...slots] };
}

/** The sensitive fields or slots whose values a trigger event can carry. */
export function carriedBy(template: Pick<TemplateDefinition, 'fields' | 'documents'>, trigger: Trigger): Revealed {
  if (trigger === 'any') return { fields: template.fields.filter((f) => f.sensitive).map((f) => f.key), slots: template.documents.filter((d) => d.sensitive).map((d) => d.key) };
  if (trigger.on === 'field.changed') {
    return { fields: template.fields.filter((f) => f.sensitive && (trigger.field === undefined || trigger.field === f.key)).map((f) => f.key), slots: [] };
  }
  if (trigger.on.startsWith('document.')) {
    return { fields: [], slots: template.documents.filter((d) => d.sensitive && (trigger.document === undefined || trigger.document === d.key)).map((d) => d.key) };
  }
  return { fields: [], slots: [] };
}

/** The rule a `rule` reference of an event names (`automations[2]`, `stages[0].sla.escalations[1]`), with its trigger. */
export function ruleAt(template: TemplateDefinition, ref: string): { actions: AutomationAction[]; trigger?: Trigger } | undefined {
  const automation = /^automations\[(\d+)\]$/.exec(ref);
  if (automation) {
    const a = template.automations[Number(automation[1])];
    return a ? { actions: a.do, trigger: { on: a.on, ...(a.field ? { field: a.field } : {}), ...(a.document ? { document: a.document } : {}) } } : undefined;
  }
  const escalation = /^stages\[(\d+)\]\.sla\.escalations\[(\d+)\]$/.exec(ref);
  if (escalation) {
    const e = template.stages[Number(escalation[1])]?.sla?.escalations[Number(escalation[2])];
    return e ? { actions: e.do } : undefined;
  }
  return undefined;
}

/** The texts of an action that are rendered for its recipients, with where they are. */
export function actionTexts(action: AutomationAction): Array<{ at: string; source: string }> {
  const texts = (kind: string, entries: Record<string, string | undefined>) =>
    Object.entries(entries).flatMap(([name, source]) => (source === undefined ? [] : [{ at: `${kind}.${name}`, source }]));
  if ('email' in action) return texts('email', { subject: action.email.subject, body: action.email.body });
  if ('notify' in action) return texts('notify', { subject: action.notify.subject, body: action.notify.body });
  if ('createTask' in action) return texts('createTask', { title: action.createTask.title, description: action.createTask.description });
  return [];
}

/** Whether a rule's messages render something the reader may not see (so what they produced is hidden too). */
function ruleReveals(template: TemplateDefinition, ref: unknown, hidden: Hidden): boolean {
  if (typeof ref !== 'string') return false;
  const rule = ruleAt(template, ref);
  // A rule the template does not have (it cannot happen for a pinned template): hide, to be safe.
  if (!rule) return hidden.fields.size > 0 || hidden.slots.size > 0;
  return rule.actions.some((action) =>
    actionTexts(action).some(({ source }) => {
      const revealed = revealedBy(source, template, rule.trigger);
      return revealed.fields.some((f) => hidden.fields.has(f)) || revealed.slots.some((s) => hidden.slots.has(s));
    }),
  );
}
