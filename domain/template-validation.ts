import type { z } from 'zod';
import { conditionHolds } from './automations';
import { calendarProblem, parseDuration } from './durations';
import { checkFieldValues } from './fields';
import { recipientSpecProblem } from './recipients';
import { templateNames, templateSyntaxProblem } from './render';
import { fieldTypes, type AutomationAction, type TemplateDefinition } from './template';
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
 * Validates a template definition: its shape (zod) and its meaning (references between stages,
 * fields, slots, roles and transitions). Reports every problem at once.
 */
export function validateTemplate(input: unknown, options: ValidationOptions = {}): TemplateValidation {
  const parsed = templateDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    // Report the reference problems too, from whatever parts of the input are well-formed.
    const shape = zodProblems(parsed.error);
    const seen = new Set(shape.map((p) => `${p.path}\u0000${p.message}`));
    const meaning = (isObject(input) ? semanticProblems(looseTemplate(input), options) : []).filter((p) => !seen.has(`${p.path}\u0000${p.message}`));
    return { ok: false, problems: [...shape, ...meaning] };
  }
  const problems = semanticProblems(parsed.data, options);
  return problems.length ? { ok: false, problems } : { ok: true, template: parsed.data };
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
  return {
    key: str(t.key) ?? '',
    name: str(t.name) ?? '',
    roles: strings(t.roles),
    fields: keyed(t.fields).map((f) => ({
      key: str(f.key) ?? '',
      type: f.type === 'select' || f.type === 'multiselect' ? f.type : 'text',
      required: false,
      external: false,
      // Options of a field whose type is itself broken would only add noise.
      ...(Array.isArray(f.options) && (fieldTypes as readonly unknown[]).includes(f.type) ? { options: strings(f.options) } : {}),
    })),
    documents: keyed(t.documents).map((d) => ({ key: str(d.key) ?? '', external: false, required: false })),
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
      const problem = conditionProblem(a.if);
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

  return problems;
}

/** Names a mustache template may use: what `RenderContext` provides. */
const CONTEXT_ROOTS = new Set(['case', 'fields', 'stage', 'event', 'recipient', 'portal']);

function textProblems(t: TemplateDefinition, source: string, path: string, add: (path: string, message: string) => void) {
  const syntax = templateSyntaxProblem(source);
  if (syntax) return add(path, `template does not compile: ${syntax}`);
  const fieldKeys = new Set(t.fields.map((f) => f.key));
  for (const name of templateNames(source)) {
    if (name === '.') continue;
    const [root, second] = name.split('.');
    if (!CONTEXT_ROOTS.has(root!)) add(path, `unknown name "{{${name}}}": use case.*, fields.*, stage.*, event.*, recipient.* or portal.link`);
    else if (root === 'fields' && second && !fieldKeys.has(second)) add(path, `unknown field "${second}" in "{{${name}}}"`);
  }
}

/** Why a JSONLogic condition cannot be evaluated (unknown operator, wrong shape), or undefined. */
function conditionProblem(condition: unknown): string | undefined {
  if (typeof condition !== 'boolean' && (typeof condition !== 'object' || condition === null || Array.isArray(condition))) {
    return 'a condition is a JSONLogic object such as {"==": [{"var": "fields.contractType"}, "employee"]}';
  }
  try {
    conditionHolds(condition, { case: {}, fields: {}, stage: {}, event: { data: {} }, actor: {} });
    return undefined;
  } catch (err) {
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
