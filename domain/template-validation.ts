import type { z } from 'zod';
import { conditionHolds } from './automations';
import { calendarProblem, parseDuration } from './durations';
import { checkFieldValues } from './fields';
import { BYTES, formatBytes, jsonBytes, LOGIC } from './limits';
import { formatCount, LogicBudgetExceeded } from './logic-budget';
import { recipientSpecProblem } from './recipients';
import { actionTexts, carriedBy, revealedBy, type Revealed, type Trigger } from './redaction';
import { textShape, type TextShape } from './render';
import { fieldTypes, type AutomationAction, type TemplateDefinition } from './template';
import { AUDITOR_ROLE } from './visibility';
import { automationSchema, calendarSchema, documentTemplateSchema, templateDefinitionSchema } from './schemas/template';
import { webhookUrlProblem } from './webhook-hosts';

/** What validation needs from the deployment: which hosts webhooks may call. */
export interface ValidationOptions {
  webhookAllowedHosts?: readonly string[];
}

/** One problem found in a template, with the JSON path where it is. */
export interface TemplateProblem {
  path: string;
  message: string;
}

export type TemplateValidation =
  | { ok: true; template: TemplateDefinition }
  | { ok: false; problems: TemplateProblem[] };

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

export function zodProblems(error: z.ZodError): TemplateProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Validates a template definition: its size and nesting, its shape (zod), its meaning
 * (references between stages, fields, slots, roles and transitions) and the complexity of the
 * logic it carries (conditions, texts). Reports every problem at once — except that a definition
 * too deep or too large is refused on that alone, before anything else walks it.
 */
export function validateTemplate(input: unknown, options: ValidationOptions = {}): TemplateValidation {
  const guarded = inputProblems(input);
  if (guarded.length) return { ok: false, problems: guarded };
  const parsed = templateDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    // Report the reference problems too, from whatever parts of the input are well-formed.
    const shape = zodProblems(parsed.error);
    const seen = new Set(shape.map((p) => `${p.path}\u0000${p.message}`));
    const meaning = (isObject(input) ? semanticProblems(looseTemplate(input), options) : []).filter((p) => !seen.has(`${p.path}\u0000${p.message}`));
    return { ok: false, problems: [...shape, ...meaning] };
  }
  const problems = semanticProblems(parsed.data, options);
  // What cases carry is the definition with its defaults, which can be larger than what was sent.
  const bytes = jsonBytes(parsed.data);
  if (bytes > BYTES.template) problems.push({ path: '', message: `the template is ${formatBytes(bytes)} with its defaults; at most ${formatBytes(BYTES.template)}` });
  return problems.length ? { ok: false, problems } : { ok: true, template: parsed.data };
}

/** One value of the input on the way down, with what it takes to name its path. */
interface Visit {
  value: unknown;
  key: string | number | undefined;
  parent: Visit | undefined;
  /** Containers above it, counted from the template's root or from the JSON value it is part of. */
  depth: number;
  /** Inside a JSON value the template carries (a condition, a webhook payload, a field value). */
  carried: boolean;
  /** This is where such a value starts. */
  carriedRoot: boolean;
}

/** Places where a definition carries JSON of its author's making, by the last keys of their paths. */
const CARRIED_JSON: ReadonlyArray<ReadonlyArray<string | null>> = [
  ['automations', null, 'if'],
  ['do', null, 'webhook', 'payload'],
  ['do', null, 'setField', 'value'],
];

function isCarriedRoot(parent: Visit, key: string | number): boolean {
  return CARRIED_JSON.some((suffix) => {
    let visit: Visit | undefined = parent;
    for (let i = suffix.length - 2; i >= 0; i--, visit = visit.parent) {
      const part = suffix[i];
      if (!visit || (part === null ? typeof visit.key !== 'number' : visit.key !== part)) return false;
    }
    return suffix[suffix.length - 1] === key;
  });
}

function pathOf(visit: Visit): string {
  const parts: Array<string | number> = [];
  for (let v: Visit | undefined = visit; v && v.key !== undefined; v = v.parent) parts.unshift(v.key);
  return formatPath(parts);
}

/** A lower bound of a value's own bytes as JSON (its children are counted when they are visited). */
function ownBytes(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (value === null || typeof value !== 'object') return 4;
  const keys = Array.isArray(value) ? [] : Object.keys(value);
  const count = Array.isArray(value) ? value.length : keys.length;
  return 2 + Math.max(0, count - 1) + keys.reduce((sum, k) => sum + k.length + 3, 0);
}

/**
 * Nesting and size, checked first and without recursion: zod, JSON.stringify and the checks
 * after them all recurse, and a 30,000-deep webhook payload overflows the stack. The walk stops
 * at LOGIC.jsonDepth levels below the template's root or below each JSON value the template
 * carries, and once it has counted more than BYTES.template bytes — so YAML aliases repeating one
 * large node, or a node that contains itself, cost no more than a template of the largest size.
 */
function inputProblems(input: unknown): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const deep = new Set<string>();
  const tooLarge = () => ({ path: '', message: `the template is larger than ${formatBytes(BYTES.template)} as JSON` });
  let bytes = 0;
  const stack: Visit[] = [{ value: input, key: undefined, parent: undefined, depth: 0, carried: false, carriedRoot: false }];
  while (stack.length) {
    const visit = stack.pop()!;
    bytes += ownBytes(visit.value);
    if (bytes > BYTES.template) return [...problems, tooLarge()];
    if (typeof visit.value !== 'object' || visit.value === null) continue;
    const depth = visit.depth + 1;
    if (depth > LOGIC.jsonDepth) {
      let at: Visit = visit;
      while (visit.carried && !at.carriedRoot && at.parent) at = at.parent;
      const path = pathOf(at);
      if (!deep.has(path)) problems.push({ path, message: `nests more than ${LOGIC.jsonDepth} levels deep; JSON in a template may nest at most ${LOGIC.jsonDepth} levels` });
      deep.add(path);
      continue;
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(visit.value) ? visit.value.map((v, i) => [i, v]) : Object.entries(visit.value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, value] = entries[i]!;
      const carriedRoot = !visit.carried && isCarriedRoot(visit, key);
      stack.push({ value, key, parent: visit, depth: carriedRoot ? 0 : depth, carried: visit.carried || carriedRoot, carriedRoot });
    }
  }
  if (problems.length) return problems;
  // The walk's count is a lower bound; within the budget, the exact size is cheap and safe to take.
  return jsonBytes(input) > BYTES.template ? [tooLarge()] : [];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * A best-effort reading of an input that failed the schema, shaped like a definition, so its
 * references can still be checked. Malformed entries keep their index, with empty keys.
 */
function looseTemplate(input: unknown): TemplateDefinition {
  const t = isObject(input) ? input : {};
  const keyed = (v: unknown) => list(v).map((item) => (isObject(item) ? item : {}));
  const permissions = isObject(t.permissions) ? t.permissions : undefined;
  const sensitivity = (item: Record<string, unknown>) => ({
    ...(item.sensitive === true ? { sensitive: true } : {}),
    ...(Array.isArray(item.visibleTo) ? { visibleTo: strings(item.visibleTo) } : {}),
  });
  return {
    key: str(t.key) ?? '',
    name: str(t.name) ?? '',
    roles: strings(t.roles),
    ...(permissions
      ? { permissions: { ...(Array.isArray(permissions.view) ? { view: strings(permissions.view) } : {}), ...(Array.isArray(permissions.start) ? { start: strings(permissions.start) } : {}) } }
      : {}),
    fields: keyed(t.fields).map((f) => ({
      key: str(f.key) ?? '',
      type: f.type === 'select' || f.type === 'multiselect' ? f.type : 'text',
      required: false,
      external: false,
      ...sensitivity(f),
      // Options of a field whose type is itself broken would only add noise.
      ...(Array.isArray(f.options) && (fieldTypes as readonly unknown[]).includes(f.type) ? { options: strings(f.options) } : {}),
    })),
    documents: keyed(t.documents).map((d) => ({ key: str(d.key) ?? '', external: false, required: false, ...sensitivity(d) })),
    documentTemplates: keyed(t.documentTemplates).flatMap((d) => {
      const parsed = documentTemplateSchema.safeParse(d);
      return parsed.success ? [parsed.data] : [];
    }),
    stages: keyed(t.stages).map((s) => {
      const exit = isObject(s.exit) ? s.exit : undefined;
      const permissions = isObject(s.permissions) ? s.permissions : undefined;
      const owner = str(s.owner);
      return {
        key: str(s.key) ?? '',
        terminal: s.terminal === true,
        tasks: keyed(s.tasks).map((task) => ({ key: str(task.key) ?? '', title: '', ...(str(task.assigneeRole) ? { assigneeRole: str(task.assigneeRole) } : {}) })),
        ...(owner ? { owner } : {}),
        ...(exit
          ? { exit: { fields: strings(exit.fields), documents: strings(exit.documents), approved: strings(exit.approved), tasks: exit.tasks === 'all' ? ('all' as const) : strings(exit.tasks) } }
          : {}),
        ...(permissions
          ? { permissions: { ...(Array.isArray(permissions.act) ? { act: strings(permissions.act) } : {}), ...(Array.isArray(permissions.comment) ? { comment: strings(permissions.comment) } : {}) } }
          : {}),
      };
    }),
    ...(Array.isArray(t.transitions)
      ? { transitions: keyed(t.transitions).map((tr) => ({ from: str(tr.from) ?? '', to: strings(tr.to) })) }
      : {}),
    // Well-formed automations are checked in full; broken ones for their references only.
    automations: keyed(t.automations).map((a) => {
      const parsed = automationSchema.safeParse(a);
      if (parsed.success) return parsed.data;
      return {
        on: 'case.created' as const,
        do: [],
        ...(str(a.stage) ? { stage: str(a.stage) } : {}),
        ...(str(a.field) ? { field: str(a.field) } : {}),
        ...(str(a.document) ? { document: str(a.document) } : {}),
      };
    }),
    ...(calendarSchema.safeParse(t.calendar).success && t.calendar !== undefined ? { calendar: calendarSchema.parse(t.calendar) } : {}),
  };
}

function duplicates(keys: string[]): Set<string> {
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const k of keys) if (k !== '') (seen.has(k) ? dupes : seen).add(k);
  return dupes;
}

function semanticProblems(t: TemplateDefinition, options: ValidationOptions): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  const stageKeys = new Set(t.stages.map((s) => s.key));
  const fieldKeys = new Set(t.fields.map((f) => f.key));
  const slotKeys = new Set(t.documents.map((d) => d.key));
  const roles = new Set(t.roles);

  const checkDuplicates = (keys: string[], path: string, what: string) => {
    const dupes = duplicates(keys);
    keys.forEach((k, i) => {
      if (dupes.has(k)) add(`${path}[${i}].key`, `duplicate ${what} key "${k}"`);
    });
  };
  checkDuplicates(t.stages.map((s) => s.key), 'stages', 'stage');
  checkDuplicates(t.fields.map((f) => f.key), 'fields', 'field');
  checkDuplicates(t.documents.map((d) => d.key), 'documents', 'document slot');
  duplicates(t.roles).forEach((r) => add('roles', `duplicate role "${r}"`));

  if (t.stages.length === 0) add('stages', 'a template needs at least one stage');
  else if (!t.stages.some((s) => s.terminal)) add('stages', 'a template needs at least one terminal stage');
  if (t.stages[0]?.terminal) add('stages[0].terminal', 'the first stage cannot be terminal: a case starts there');

  const checkRole = (role: string | undefined, path: string) => {
    if (role !== undefined && !roles.has(role)) add(path, `unknown role "${role}" (declare it in roles)`);
  };

  t.permissions?.view?.forEach((r, j) => checkRole(r, `permissions.view[${j}]`));
  t.permissions?.start?.forEach((r, j) => {
    checkRole(r, `permissions.start[${j}]`);
    if (r === AUDITOR_ROLE) add(`permissions.start[${j}]`, readOnlyRole);
  });
  const checkSensitivity = (item: { sensitive?: boolean; visibleTo?: string[] }, at: string) => {
    item.visibleTo?.forEach((r, j) => checkRole(r, `${at}.visibleTo[${j}]`));
    if (item.visibleTo && !item.sensitive) add(`${at}.visibleTo`, 'visibleTo only applies to a sensitive one (sensitive: true); everyone who sees the case sees the others');
  };
  t.fields.forEach((f, i) => checkSensitivity(f, `fields[${i}]`));
  t.documents.forEach((d, i) => checkSensitivity(d, `documents[${i}]`));

  t.fields.forEach((f, i) => {
    const needsOptions = f.type === 'select' || f.type === 'multiselect';
    if (needsOptions && !f.options) add(`fields[${i}].options`, `a ${f.type} field needs options`);
    if (!needsOptions && f.options) add(`fields[${i}].options`, `options only apply to select and multiselect fields`);
    if (f.options) {
      duplicates(f.options).forEach((o) => add(`fields[${i}].options`, `duplicate option "${o}"`));
    }
  });

  t.stages.forEach((s, i) => {
    const at = `stages[${i}]`;
    checkRole(s.owner, `${at}.owner`);
    s.permissions?.act?.forEach((r, j) => checkRole(r, `${at}.permissions.act[${j}]`));
    s.permissions?.comment?.forEach((r, j) => checkRole(r, `${at}.permissions.comment[${j}]`));
    for (const kind of ['act', 'comment'] as const) {
      s.permissions?.[kind]?.forEach((r, j) => {
        if (r === AUDITOR_ROLE) add(`${at}.permissions.${kind}[${j}]`, readOnlyRole);
      });
    }
    checkDuplicates(s.tasks.map((task) => task.key), `${at}.tasks`, 'task');
    s.tasks.forEach((task, j) => checkRole(task.assigneeRole, `${at}.tasks[${j}].assigneeRole`));
    s.exit?.fields.forEach((f, j) => {
      if (!fieldKeys.has(f)) add(`${at}.exit.fields[${j}]`, `unknown field "${f}"`);
    });
    s.exit?.documents.forEach((d, j) => {
      if (!slotKeys.has(d)) add(`${at}.exit.documents[${j}]`, `unknown document slot "${d}"`);
    });
    const exitTasks = s.exit?.tasks;
    if (Array.isArray(exitTasks)) {
      const stageTasks = new Set(s.tasks.map((task) => task.key));
      exitTasks.forEach((k, j) => {
        if (!stageTasks.has(k)) add(`${at}.exit.tasks[${j}]`, `unknown task "${k}" (declare it in this stage's tasks)`);
      });
    }
    if (s.terminal && s.exit) add(`${at}.exit`, 'a terminal stage has no exit criteria');
  });

  t.transitions?.forEach((tr, i) => {
    if (!stageKeys.has(tr.from)) add(`transitions[${i}].from`, `unknown stage "${tr.from}"`);
    tr.to.forEach((to, j) => {
      if (!stageKeys.has(to)) add(`transitions[${i}].to[${j}]`, `unknown stage "${to}"`);
      else if (to === tr.from) add(`transitions[${i}].to[${j}]`, `a stage cannot transition to itself`);
    });
  });
  if (t.transitions) {
    duplicates(t.transitions.map((tr) => tr.from)).forEach((from) =>
      add('transitions', `stage "${from}" has more than one transitions entry; list all targets in one`),
    );
  }

  t.automations.forEach((a, i) => {
    const at = `automations[${i}]`;
    if (a.stage !== undefined && !stageKeys.has(a.stage)) add(`${at}.stage`, `unknown stage "${a.stage}"`);
    if (a.field !== undefined && !fieldKeys.has(a.field)) add(`${at}.field`, `unknown field "${a.field}"`);
    if (a.document !== undefined && !slotKeys.has(a.document)) add(`${at}.document`, `unknown document slot "${a.document}"`);
    if (a.field !== undefined && a.on !== 'field.changed') add(`${at}.field`, 'a field filter only applies to field.changed');
    if (a.document !== undefined && !a.on.startsWith('document.')) add(`${at}.document`, 'a document filter only applies to document.* events');
    if (a.decision !== undefined && a.on !== 'decision.recorded') add(`${at}.decision`, 'a decision filter only applies to decision.recorded');
    if (a.if !== undefined) {
      const complexity = conditionComplexityProblems(a.if);
      complexity.forEach((problem) => add(`${at}.if`, problem));
      const problem = complexity.length ? undefined : conditionProblem(a.if);
      if (problem) add(`${at}.if`, problem);
    }
    a.do.forEach((action, j) => actionProblems(t, action, `${at}.do[${j}]`, options, add));
  });

  t.stages.forEach((s, i) => {
    const sla = s.sla;
    if (!sla) return;
    const at = `stages[${i}].sla`;
    if (s.terminal) add(at, 'a terminal stage has no SLA: nothing happens there');
    if (sla.escalations.length && !sla.deadline) add(`${at}.escalations`, 'escalations count from the deadline: give the stage a deadline');
    const goal = sla.goal ? parseDuration(sla.goal) : undefined;
    const deadline = sla.deadline ? parseDuration(sla.deadline) : undefined;
    if (goal && deadline && goal.business === deadline.business && goal.ms > deadline.ms) add(`${at}.goal`, 'the goal comes after the deadline');
    sla.escalations.forEach((e, j) => {
      if (e.times !== undefined && e.times > 1 && !e.every) add(`${at}.escalations[${j}].times`, 'repeating levels need `every`');
      e.do.forEach((action, k) => actionProblems(t, action, `${at}.escalations[${j}].do[${k}]`, options, add));
    });
  });

  if (t.calendar) {
    const problem = calendarProblem(t.calendar);
    if (problem) add('calendar', problem);
  }
  checkDuplicates(t.documentTemplates.map((d) => d.key), 'documentTemplates', 'document template');
  t.documentTemplates.forEach((d, i) => {
    const slot = t.documents.find((s) => s.key === d.slot);
    if (!slot) add(`documentTemplates[${i}].slot`, `unknown document slot "${d.slot}"`);
    else if (slot.contentTypes && !slot.contentTypes.some((c) => c.toLowerCase() === 'application/pdf')) {
      add(`documentTemplates[${i}].slot`, `slot "${d.slot}" does not accept application/pdf, which generated documents are`);
    }
    textProblems(t, d.title, `documentTemplates[${i}].title`, add);
    if (d.fileName) textProblems(t, d.fileName, `documentTemplates[${i}].fileName`, add);
    textProblems(t, d.body, `documentTemplates[${i}].body`, add);
  });
  t.stages.forEach((s, i) => {
    s.exit?.approved.forEach((d, j) => {
      if (!slotKeys.has(d)) add(`stages[${i}].exit.approved[${j}]`, `unknown document slot "${d}"`);
    });
  });

  sensitiveProblems(t, add);
  return problems;
}

const readOnlyRole = `"${AUDITOR_ROLE}" is read-only: it sees every case and may change none`;

/**
 * Where a template would send a sensitive value to someone who may not see it (domain/redaction.ts
 * finds what a text renders):
 * - an e-mail or notification text, unless every recipient is `role:<r>` with r among the value's
 *   `visibleTo` (an address, `owner`, `user:`, `participant:` or `field:` can never be proven to be);
 * - a task title or description: everyone who sees the case reads it;
 * - a document template, unless its slot is sensitive and readable only by roles that may see the value;
 * - a webhook: it carries every field value and the triggering event, to a system outside — so a
 *   template with sensitive fields (or a webhook on events of a sensitive slot) has none.
 */
function sensitiveProblems(t: TemplateDefinition, add: (path: string, message: string) => void): void {
  const eachAction = (visit: (action: AutomationAction, path: string, trigger: Trigger | undefined) => void) => {
    t.automations.forEach((a, i) =>
      a.do.forEach((action, j) => visit(action, `automations[${i}].do[${j}]`, { on: a.on, ...(a.field ? { field: a.field } : {}), ...(a.document ? { document: a.document } : {}) })),
    );
    t.stages.forEach((s, i) => s.sla?.escalations.forEach((e, j) => e.do.forEach((action, k) => visit(action, `stages[${i}].sla.escalations[${j}].do[${k}]`, undefined))));
  };
  eachAction((action, path, trigger) => {
    for (const { at, source } of actionTexts(action)) {
      const revealed = revealedBy(source, t, trigger);
      if (!revealed.fields.length && !revealed.slots.length) continue;
      const problem = 'createTask' in action ? 'tasks are read by everyone who sees the case' : recipientsProblem(t, revealed, 'email' in action ? action.email.to : 'notify' in action ? action.notify.to : []);
      if (problem) add(`${path}.${at}`, `renders ${describe(revealed)}: ${problem}`);
    }
    if ('webhook' in action) {
      const revealed: Revealed = { fields: t.fields.filter((f) => f.sensitive).map((f) => f.key), slots: trigger ? carriedBy(t, trigger).slots : [] };
      if (revealed.fields.length || revealed.slots.length) {
        add(`${path}.webhook`, `a webhook carries every field value and the triggering event to a system outside, and would send ${describe(revealed)}; a template with sensitive fields cannot call webhooks`);
      }
    }
  });
  t.documentTemplates.forEach((d, i) => {
    const texts = { title: d.title, fileName: d.fileName, body: d.body };
    const slot = t.documents.find((s) => s.key === d.slot);
    for (const [name, source] of Object.entries(texts)) {
      if (source === undefined || !slot) continue;
      const revealed = revealedBy(source, t, 'any');
      if (!revealed.fields.length && !revealed.slots.length) continue;
      const problem = slot.sensitive
        ? audienceProblem(t, revealed, slot.visibleTo ?? [], `slot "${slot.key}" is readable by role`)
        : `slot "${slot.key}" is not sensitive, so everyone who sees the case may read the document; make it sensitive, visible only to roles that may see what it renders`;
      if (problem) add(`documentTemplates[${i}].${name}`, `renders ${describe(revealed)}: ${problem}`);
    }
  });
}

const describe = (r: Revealed) =>
  [...r.fields.map((f) => `sensitive field "${f}"`), ...r.slots.map((s) => `metadata of sensitive document slot "${s}"`)].join(', ');

/** Who may see every one of the revealed values: the roles common to their `visibleTo` lists. */
function rolesSeeingAll(t: TemplateDefinition, revealed: Revealed): Set<string> {
  const lists = [...revealed.fields.map((k) => t.fields.find((f) => f.key === k)?.visibleTo ?? []), ...revealed.slots.map((k) => t.documents.find((d) => d.key === k)?.visibleTo ?? [])];
  return new Set(lists.reduce((common, list) => common.filter((r) => list.includes(r))));
}

/** Why a message with these values may not go to these recipients, if it may not. */
function recipientsProblem(t: TemplateDefinition, revealed: Revealed, to: string | string[]): string | undefined {
  const allowed = rolesSeeingAll(t, revealed);
  const refused = (Array.isArray(to) ? to : [to]).filter((spec) => !(spec.startsWith('role:') && allowed.has(spec.slice('role:'.length))));
  if (!refused.length) return undefined;
  const may = [...allowed].map((r) => `role:${r}`).join(', ');
  return `it may only go to recipients who may see it (${may || 'no recipient: no role may see all of it'}), not to ${refused.join(', ')}`;
}

/** Why a document readable by `roles` may not hold these values, if it may not. */
function audienceProblem(t: TemplateDefinition, revealed: Revealed, roles: string[], what: string): string | undefined {
  const allowed = rolesSeeingAll(t, revealed);
  const extra = roles.filter((r) => !allowed.has(r));
  return extra.length ? `${what} ${extra.join(', ')}, which may not see it` : undefined;
}

/** Names a mustache template may use: what `RenderContext` provides. */
const CONTEXT_ROOTS = new Set(['case', 'fields', 'stage', 'event', 'recipient', 'portal']);

function textProblems(t: TemplateDefinition, source: string, path: string, add: (path: string, message: string) => void) {
  let shape: TextShape;
  try {
    shape = textShape(source);
  } catch (err) {
    return add(path, `template does not compile: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (shape.tags > LOGIC.textTags) add(path, `text has ${formatCount(shape.tags)} tags; at most ${formatCount(LOGIC.textTags)}`);
  if (shape.sectionDepth > LOGIC.textSectionDepth) add(path, `text nests sections ${shape.sectionDepth} deep; at most ${LOGIC.textSectionDepth}`);
  const fieldKeys = new Set(t.fields.map((f) => f.key));
  for (const name of shape.names) {
    if (name === '.') continue;
    const [root, second] = name.split('.');
    if (!CONTEXT_ROOTS.has(root!)) add(path, `unknown name "{{${name}}}": use case.*, fields.*, stage.*, event.*, recipient.* or portal.link`);
    else if (root === 'fields' && second && !fieldKeys.has(second)) add(path, `unknown field "${second}" in "{{${name}}}"`);
  }
}

/** json-logic-js operations that evaluate their logic once per item of a list. */
const ITERATIONS: ReadonlySet<string> = new Set(['map', 'filter', 'reduce', 'all', 'some', 'none']);

/**
 * How a condition exceeds LOGIC's static limits. Depth counts operations and literal lists (an
 * operation's argument list is part of the operation); nodes count operations and values; each
 * iteration operation multiplies the work of what it contains by a list's length.
 */
function conditionComplexityProblems(condition: unknown): string[] {
  let nodes = 0;
  let depth = 0;
  let iterations = 0;
  const stack: Array<{ value: unknown; depth: number; iterations: number }> = [{ value: condition, depth: 0, iterations: 0 }];
  while (stack.length && nodes <= LOGIC.conditionNodes) {
    const visit = stack.pop()!;
    nodes++;
    const { value } = visit;
    if (typeof value !== 'object' || value === null) continue;
    const level = { depth: visit.depth + 1, iterations: visit.iterations };
    depth = Math.max(depth, level.depth);
    const keys = Array.isArray(value) ? [] : Object.keys(value);
    if (keys.length === 1) {
      // An operation, as json-logic-js tells them: an object with exactly one key.
      const op = keys[0]!;
      if (ITERATIONS.has(op)) level.iterations++;
      iterations = Math.max(iterations, level.iterations);
      const args = (value as Record<string, unknown>)[op];
      for (const arg of Array.isArray(args) ? args : [args]) stack.push({ value: arg, ...level });
    } else {
      for (const child of Object.values(value)) stack.push({ value: child, ...level });
    }
  }
  const problems: string[] = [];
  if (nodes > LOGIC.conditionNodes) problems.push(`condition has more than ${LOGIC.conditionNodes} operations and values`);
  if (depth > LOGIC.conditionDepth) problems.push(`condition nests ${depth} levels deep; at most ${LOGIC.conditionDepth}`);
  if (iterations > LOGIC.conditionIterationNesting) {
    problems.push(`condition nests map/filter/reduce/all/some/none ${iterations} deep; at most ${LOGIC.conditionIterationNesting}`);
  }
  return problems;
}

/** Why a JSONLogic condition cannot be evaluated (unknown operator, wrong shape, over budget), or undefined. */
function conditionProblem(condition: unknown): string | undefined {
  if (typeof condition !== 'boolean' && (typeof condition !== 'object' || condition === null || Array.isArray(condition))) {
    return 'a condition is a JSONLogic object such as {"==": [{"var": "fields.contractType"}, "employee"]}';
  }
  try {
    conditionHolds(condition, { case: {}, fields: {}, stage: {}, event: { data: {} }, actor: {} });
    return undefined;
  } catch (err) {
    if (err instanceof LogicBudgetExceeded) return err.message;
    return `condition does not evaluate: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function actionProblems(
  t: TemplateDefinition,
  action: AutomationAction,
  path: string,
  options: ValidationOptions,
  add: (path: string, message: string) => void,
) {
  const known = { roles: new Set(t.roles), fields: new Map(t.fields.map((f) => [f.key, f.type])) };
  const checkRecipients = (to: string | string[], at: string) =>
    (Array.isArray(to) ? to : [to]).forEach((spec, i) => {
      const problem = recipientSpecProblem(spec, known);
      if (problem) add(Array.isArray(to) ? `${at}[${i}]` : at, problem);
    });
  if ('email' in action) {
    checkRecipients(action.email.to, `${path}.email.to`);
    textProblems(t, action.email.subject, `${path}.email.subject`, add);
    if (action.email.body) textProblems(t, action.email.body, `${path}.email.body`, add);
  } else if ('notify' in action) {
    checkRecipients(action.notify.to, `${path}.notify.to`);
    if (action.notify.subject) textProblems(t, action.notify.subject, `${path}.notify.subject`, add);
    if (action.notify.body) textProblems(t, action.notify.body, `${path}.notify.body`, add);
  } else if ('createTask' in action) {
    textProblems(t, action.createTask.title, `${path}.createTask.title`, add);
    if (action.createTask.description) textProblems(t, action.createTask.description, `${path}.createTask.description`, add);
    const role = action.createTask.assigneeRole;
    if (role && !known.roles.has(role)) add(`${path}.createTask.assigneeRole`, `unknown role "${role}" (declare it in roles)`);
  } else if ('advance' in action) {
    if (!t.stages.some((s) => s.key === action.advance.to)) add(`${path}.advance.to`, `unknown stage "${action.advance.to}"`);
  } else if ('assign' in action) {
    const role = action.assign.role;
    if (role && !known.roles.has(role)) add(`${path}.assign.role`, `unknown role "${role}" (declare it in roles)`);
  } else if ('setField' in action) {
    const { field, value } = action.setField;
    if (!known.fields.has(field)) add(`${path}.setField.field`, `unknown field "${field}"`);
    else {
      const checked = checkFieldValues(t, { [field]: value });
      if (!checked.ok) add(`${path}.setField.value`, checked.errors.map((e) => e.message).join('; '));
    }
  } else if ('webhook' in action) {
    const problem = webhookUrlProblem(action.webhook.url, options.webhookAllowedHosts ?? []);
    if (problem) add(`${path}.webhook.url`, problem);
  } else if (!t.documentTemplates.some((d) => d.key === action.generateDocument.template)) {
    add(`${path}.generateDocument.template`, `unknown document template "${action.generateDocument.template}"`);
  }
}
