import { ADMIN_ROLE, type Actor } from './actor';
import { reject, type Rejection } from './rejections';
import type { TemplateDefinition } from './template';

/**
 * Who may see what: the visibility model every read and write of a case goes through. Pure and
 * without zod: case workflows load it (their update validator and dry run check commands with it),
 * the API checks reads with it, and the read model stores `caseAccessList` to filter lists in SQL.
 *
 * - A case is visible to admins, to auditors, to its owner, to its internal participants (by user
 *   id) and to the template's `permissions.view` roles. External participants see it through
 *   their portal link only. The system (automations, timers) sees everything.
 * - Auditors see every case and every sensitive value, and change nothing: a token with the
 *   auditor role (and not admin) is read-only.
 * - A sensitive field or document slot is seen by admins, auditors and its `visibleTo` roles.
 * - Starting needs one of `permissions.start` (default: any role the template declares), or admin.
 */

/** Holders see every case and every sensitive value, and may change nothing. */
export const AUDITOR_ROLE = 'auditor';

/** A participant as visibility needs it (from a case's state in the workflow or its view in the API). */
export interface ParticipantLike {
  participantId: string;
  kind: 'internal' | 'external';
  userId?: string;
}

/** Who is on a case: its owner and participants. */
export interface CaseAudience {
  owner: string | null;
  participants: ReadonlyArray<ParticipantLike>;
}

/** A field or document slot as far as sensitivity goes. */
export interface Sensitivity {
  sensitive?: boolean;
  visibleTo?: string[];
}

/** The parts of a template visibility reads (pinned definitions may predate `permissions`). */
export type TemplateAccess = Pick<TemplateDefinition, 'roles'> & { permissions?: TemplateDefinition['permissions'] };

const isSystem = (actor: Actor) => actor.kind === 'system';
const holds = (actor: Actor, role: string) => actor.kind === 'user' && actor.roles.includes(role);
const anyOf = (actor: Actor, roles: ReadonlyArray<string> | undefined) => actor.kind === 'user' && !!roles?.some((r) => actor.roles.includes(r));

export function isAdmin(actor: Actor): boolean {
  return isSystem(actor) || holds(actor, ADMIN_ROLE);
}

/** Read-only: the auditor role without admin. Refused every write with 403, after visibility. */
export function isReadOnly(actor: Actor): boolean {
  return holds(actor, AUDITOR_ROLE) && !isAdmin(actor);
}

/** Sees every case and every sensitive value: admins, auditors and the system. */
export function seesEverything(actor: Actor): boolean {
  return isAdmin(actor) || holds(actor, AUDITOR_ROLE);
}

/** Whether the actor may see the case at all; an invisible case answers exactly like a missing one. */
export function maySeeCase(actor: Actor, audience: CaseAudience, template: TemplateAccess): boolean {
  if (actor.kind === 'external') {
    // The portal: a magic link opens one case to one external participant.
    return audience.participants.some((p) => p.kind === 'external' && p.participantId === actor.id);
  }
  if (seesEverything(actor)) return true;
  if (actor.kind !== 'user') return false;
  if (audience.owner !== null && audience.owner === actor.id) return true;
  if (audience.participants.some((p) => p.kind === 'internal' && p.userId === actor.id)) return true;
  return anyOf(actor, template.permissions?.view);
}

/** Roles that may start a case of the template: `permissions.start`, by default every declared role. */
export function startRoles(template: TemplateAccess): string[] {
  return template.permissions?.start ?? template.roles;
}

export function mayStartCase(actor: Actor, template: TemplateAccess): boolean {
  if (isReadOnly(actor)) return false;
  return isAdmin(actor) || anyOf(actor, startRoles(template));
}

/** Whether the actor may see the value of a field or the documents of a slot. */
export function maySeeSensitive(actor: Actor, item: Sensitivity): boolean {
  if (!item.sensitive) return true;
  return seesEverything(actor) || anyOf(actor, item.visibleTo);
}

/** Keys of the template's fields and slots whose values this actor may not see. */
export interface Hidden {
  fields: ReadonlySet<string>;
  slots: ReadonlySet<string>;
}

export function hiddenFrom(template: Pick<TemplateDefinition, 'fields' | 'documents'>, actor: Actor): Hidden {
  const hidden = (items: ReadonlyArray<Sensitivity & { key: string }>) => new Set(items.filter((i) => !maySeeSensitive(actor, i)).map((i) => i.key));
  return { fields: hidden(template.fields), slots: hidden(template.documents) };
}

export const hidesNothing = (hidden: Hidden) => hidden.fields.size === 0 && hidden.slots.size === 0;

/**
 * Who sees the case besides admins and auditors, as the read model stores it (`cases.access`):
 * `user:<id>` for the owner and internal participants, `role:<role>` for the template's view roles.
 */
export function caseAccessList(audience: CaseAudience, template: TemplateAccess): string[] {
  const entries = new Set<string>();
  if (audience.owner !== null) entries.add(`user:${audience.owner}`);
  for (const p of audience.participants) if (p.kind === 'internal' && p.userId) entries.add(`user:${p.userId}`);
  for (const role of template.permissions?.view ?? []) entries.add(`role:${role}`);
  return [...entries].sort();
}

/** What an actor matches in `cases.access`: a case is listed when the two overlap. */
export function actorAccessTerms(actor: Actor): string[] {
  return [`user:${actor.id}`, ...actor.roles.map((r) => `role:${r}`)];
}

/**
 * Why a command may not even be considered: an invisible case (refused as `case_not_found`, exactly
 * like a missing case), then a read-only actor. The stage's permissions come after, in `decide`.
 * The case workflow asks this in its update validator and its dry run, where the live case is.
 */
export function commandRefusal(actor: Actor, caseKey: string, audience: CaseAudience, template: TemplateAccess): Rejection | undefined {
  if (!maySeeCase(actor, audience, template)) return notFound(caseKey);
  if (isReadOnly(actor)) return readOnly(actor);
  return undefined;
}

/**
 * Reviewing a document means reading it: a version of a sensitive slot is reviewed only by those
 * who may see the slot's documents (403 for others, who see its metadata redacted).
 */
export function reviewRefusal(actor: Actor, template: Pick<TemplateDefinition, 'documents'>, slotKey: string): Rejection | undefined {
  const slot = template.documents.find((d) => d.key === slotKey);
  if (!slot || maySeeSensitive(actor, slot)) return undefined;
  return reject('forbidden', `${actor.name} may not review documents of the sensitive slot "${slotKey}"; only roles ${(slot.visibleTo ?? []).join(', ') || '(none)'}, admins and auditors may see them`);
}

/** The refusal of an invisible case: the same words as for a case that does not exist. */
export function notFound(caseKey: string): Rejection {
  return reject('case_not_found', `No case ${caseKey}`);
}

export function readOnly(actor: Actor): Rejection {
  return reject('forbidden', `${actor.name} has the ${AUDITOR_ROLE} role, which may read every case but change none`);
}
