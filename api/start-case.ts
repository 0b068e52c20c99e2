import { createHash } from 'node:crypto';
import type { Actor } from '../domain/actor';
import { applyDrafts, emptyState, type CaseState } from '../domain/case-state';
import { caseDueAt } from '../domain/sla';
import { commandBudgetProblem } from '../domain/budgets';
import { react, type Reaction } from '../domain/automations';
import type { CaseEvent, EventDraft } from '../domain/events';
import { BYTES, formatBytes, jsonBytes } from '../domain/limits';
import { toCaseView, type CaseView } from '../domain/case-view';
import type { StartCaseInput } from '../domain/schemas/commands';
import { decideStart } from '../domain/decide';
import type { TemplateDefinition } from '../domain/template';
import { isReadOnly, mayStartCase, startRoles } from '../domain/visibility';
import { nextCaseKey } from '../db/case-keys';
import { claimIdempotencyKey, findIdempotencyKey } from '../db/idempotency';
import { getLatestTemplate, toPublishedTemplate } from '../db/templates';
import { CASE_INPUT_VERSION, type CaseWorkflowInput } from '../workflows/messages';
import { startSearchAttributes } from '../workflows/search-attributes';
import { pinnedTemplate } from './case-access';
import type { ApiDeps } from './deps';
import { Problem } from './errors';

const reused = () => new Problem('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');

/**
 * Starts a case from the latest version of its template, when the actor may (`permissions.start`,
 * by default any role the template declares; admins always; auditors never). With an idempotency
 * key, a retry (even after a crash between allocating the key and starting the workflow) ends
 * with the same case, started once. Answers the case as it is (unredacted) with its definition.
 */
export async function startCase(
  { db, cases, config }: Pick<ApiDeps, 'db' | 'cases' | 'config'>,
  actor: Actor,
  input: StartCaseInput,
  idempotencyKey?: string,
): Promise<{ view: CaseView; template: TemplateDefinition }> {
  const scope = `start-case:${actor.id}`;
  const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  const earlier = idempotencyKey ? await findIdempotencyKey<{ caseKey: string }>(db, scope, idempotencyKey) : null;
  if (earlier && earlier.requestHash !== requestHash) throw reused();

  // Read through today's schema here (once per version, cached), so the case workflow never has to load zod.
  const latest = await getLatestTemplate(db, input.template);
  if (!latest) throw new Problem('template_not_found', `No template "${input.template}"`, { errors: [{ path: 'template', message: 'unknown template' }] });
  const { current } = latest;
  const template = toPublishedTemplate(latest.template);
  const { definition } = template;
  assertMayStart(actor, definition);
  const start = {
    title: input.title,
    templateKey: template.key,
    templateVersion: template.version,
    ...(input.fields ? { fields: input.fields } : {}),
    ...(input.owner ? { owner: input.owner } : {}),
    ...(input.participants ? { participants: input.participants } : {}),
  };
  // The workflow applies the same rule; checking here answers 422 before a case key is spent.
  const at = new Date().toISOString();
  const opening = decideStart(template.definition, start, emptyState(''), at);
  if (!opening.ok) throw Problem.fromRejection(opening.rejection);
  const opened = checkStartBudget(start, opening.events, actor, at);
  // Only the case can tell what automations make of its opening (tasks, mail): then it answers the start.
  const quiet = !current || !reacts(react(opened.state, definition, opened.events, at));

  let caseKey = earlier?.result.caseKey;
  if (!caseKey) {
    caseKey = await nextCaseKey(db, { prefix: template.prefix, templateKey: template.key });
    if (idempotencyKey) {
      const claim = await claimIdempotencyKey(db, { scope, key: idempotencyKey, requestHash, result: { caseKey } });
      if (!claim.claimed) {
        if (claim.requestHash !== requestHash) throw reused();
        caseKey = claim.result.caseKey;
      }
    }
  }
  const workflowInput: CaseWorkflowInput = {
    caseKey,
    inputVersion: CASE_INPUT_VERSION,
    template,
    templateCurrent: current,
    start: { ...start, actor, ...(idempotencyKey ? { requestId: idempotencyKey } : {}) },
    ...(config.archiveAfterMs ? { archiveAfterMs: config.archiveAfterMs } : {}),
    callerGraceMs: config.PROJECTION_GRACE_MS,
    caseRun: true,
    waitsForUpdates: true,
    attributesEveryMs: config.SEARCH_ATTRIBUTES_EVERY_MS,
  };
  const state = { ...opened.state, key: caseKey };
  const searchAttributes = startSearchAttributes(state, current ? caseDueAt(state) : undefined);
  // A quiet opening is decided here, with the case's own rules, and adopted by the case as it is:
  // the start is answered once Temporal holds it. Otherwise the case's first task answers.
  const view = quiet
    ? await cases.startDecided({ ...workflowInput, opening: opened.events }, searchAttributes, toCaseView(state, template, at))
    : await cases.open(workflowInput, searchAttributes);
  // A retry may find the case started from an earlier version: answer with the one it pinned.
  return { view, template: view.template.version === template.version ? definition : await pinnedTemplate(db, view.template) };
}

function assertMayStart(actor: Actor, template: TemplateDefinition): void {
  if (mayStartCase(actor, template)) return;
  const why = isReadOnly(actor) ? 'the auditor role is read-only' : `starting needs one of the roles ${startRoles(template).join(', ') || '(none declared: admins only)'}`;
  throw new Problem('forbidden', `${actor.name} may not start a case of "${template.key}": ${why}`);
}

/** A start carries no more than a command may, and opens a case within its byte budget: the opening. */
function checkStartBudget(start: object, drafts: EventDraft[], actor: Actor, at: string): { state: CaseState; events: CaseEvent[] } {
  const bytes = jsonBytes(start);
  if (bytes > BYTES.command) {
    throw new Problem('command_too_large', `The start is ${formatBytes(bytes)}; it may carry at most ${formatBytes(BYTES.command)}`, { limit: BYTES.command });
  }
  const opened = applyDrafts(emptyState(''), drafts, actor, at);
  const problem = commandBudgetProblem(emptyState(''), opened.state, opened.events);
  if (problem) throw Problem.fromRejection(problem);
  return opened;
}

/** Whether automations do anything with what they were shown. */
function reacts(reaction: Reaction): boolean {
  return reaction.events.length > 0 || reaction.effects.length > 0;
}
