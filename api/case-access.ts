import { getPinnedDefinition } from '../db/templates';
import type { Database } from '../db/connection';
import type { Actor } from '../domain/actor';
import type { CaseView, CommandResult, PublicCaseView, PublicCommandResult } from '../domain/case-view';
import { redactResult, redactView } from '../domain/redaction';
import type { TemplateDefinition } from '../domain/template';
import { commandRefusal, maySeeCase, notFound } from '../domain/visibility';
import { Problem } from './errors';

/**
 * The API's side of "who may see what" (domain/visibility.ts, domain/redaction.ts): a case the
 * caller may not see answers exactly like one that does not exist, and what is answered about a
 * case has the sensitive values the caller may not see redacted.
 */

/** The definition a case pinned (cached in memory: versions never change). */
export async function pinnedTemplate(db: Database, ref: { key: string; version: number }): Promise<TemplateDefinition> {
  const definition = await getPinnedDefinition(db, ref.key, ref.version);
  // Cases start only from published versions, which are never deleted: this is a broken database.
  if (!definition) throw new Error(`template ${ref.key} v${ref.version} is missing from the templates table`);
  return definition;
}

/** The problem of a case that does not exist — or that the caller may not see: the same answer, byte for byte. */
export function caseNotFound(caseKey: string): Problem {
  return Problem.fromRejection(notFound(caseKey));
}

/** Refuses (404 `case_not_found`) a case the actor may not see. */
export function assertMaySee(actor: Actor, view: Pick<CaseView, 'id' | 'owner' | 'participants'>, template: TemplateDefinition): void {
  if (!maySeeCase(actor, view, template)) throw caseNotFound(view.id);
}

/**
 * Refuses a change before anything is read or stored: 404 for a case the actor may not see, 403
 * for a read-only actor (auditors). The stage's permissions are checked after this.
 */
export function assertMayChange(actor: Actor, view: Pick<CaseView, 'id' | 'owner' | 'participants'>, template: TemplateDefinition): void {
  const refusal = commandRefusal(actor, view.id, view, template);
  if (refusal) throw Problem.fromRejection(refusal);
}

/** The case view as the actor may see it. */
export async function viewFor(db: Database, actor: Actor, view: CaseView): Promise<PublicCaseView> {
  return redactView(view, await pinnedTemplate(db, view.template), actor);
}

/** A command's answer as the actor may see it. */
export async function resultFor(db: Database, actor: Actor, result: CommandResult): Promise<PublicCommandResult> {
  return redactResult(result, await pinnedTemplate(db, result.case.template), actor);
}
