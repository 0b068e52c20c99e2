import { own, type CaseState, type ParticipantState } from './case-state';
import type { Recipient } from './effects';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type Resolved = { ok: true; recipients: Recipient[] } | { ok: false; reason: string };

function fromParticipant(p: ParticipantState): Recipient {
  return {
    name: p.name,
    participantId: p.participantId,
    ...(p.email ? { email: p.email } : {}),
    ...(p.userId ? { userId: p.userId } : {}),
    ...(p.kind === 'external' ? { external: true } : {}),
  };
}

/** A user id with the address the case knows for them (as an internal participant), if any. */
function user(state: CaseState, userId: string): Recipient {
  const p = Object.values(state.participants).find((x) => x.kind === 'internal' && x.userId === userId);
  return p ? fromParticipant(p) : { userId };
}

/**
 * Resolves recipient specs against the case as it is now: `owner`, `role:<role>`,
 * `participant:<role or id>`, `user:<id>`, `field:<key>` or a literal address. Duplicates are
 * dropped; a spec that finds nobody is a failure the timeline shows.
 */
export function resolveRecipients(state: CaseState, specs: string | string[]): Resolved {
  const recipients: Recipient[] = [];
  for (const spec of Array.isArray(specs) ? specs : [specs]) {
    const [kind, ...rest] = spec.split(':');
    const arg = rest.join(':');
    let found: Recipient[];
    if (spec === 'owner') {
      if (!state.owner) return { ok: false, reason: 'the case has no owner' };
      found = [user(state, state.owner)];
    } else if (kind === 'role') {
      found = Object.values(state.participants).filter((p) => p.kind === 'internal' && p.role === arg).map(fromParticipant);
      if (!found.length) return { ok: false, reason: `no internal participant has role "${arg}"` };
    } else if (kind === 'participant') {
      const byId = own(state.participants, arg);
      found = byId ? [fromParticipant(byId)] : Object.values(state.participants).filter((p) => p.role === arg).map(fromParticipant);
      if (!found.length) return { ok: false, reason: `no participant "${arg}" (by id or role)` };
    } else if (kind === 'user') {
      found = [user(state, arg)];
    } else if (kind === 'field') {
      const value = own(state.fields, arg);
      if (typeof value !== 'string' || !EMAIL.test(value)) return { ok: false, reason: `field "${arg}" holds no e-mail address` };
      found = [{ email: value }];
    } else if (EMAIL.test(spec)) {
      found = [{ email: spec }];
    } else {
      return { ok: false, reason: `unknown recipient "${spec}"` };
    }
    for (const r of found) {
      const same = recipients.some((x) => (r.participantId && x.participantId === r.participantId) || (r.userId && x.userId === r.userId) || (!r.userId && !r.participantId && x.email === r.email));
      if (!same) recipients.push(r);
    }
  }
  return { ok: true, recipients };
}

/** Whether a recipient spec is well-formed and names things the template declares (publish-time check). */
export function recipientSpecProblem(spec: string, known: { roles: Set<string>; fields: Map<string, string> }): string | undefined {
  if (spec === 'owner') return undefined;
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  if (kind === 'role') return known.roles.has(arg) ? undefined : `unknown role "${arg}"`;
  if (kind === 'participant' || kind === 'user') return arg ? undefined : `"${kind}:" needs a role, id or user id`;
  if (kind === 'field') {
    const type = known.fields.get(arg);
    if (!type) return `unknown field "${arg}"`;
    return type === 'email' || type === 'text' ? undefined : `field "${arg}" is a ${type} field, not an e-mail address`;
  }
  return EMAIL.test(spec) ? undefined : `"${spec}" is neither an e-mail address nor owner, role:, participant:, user: or field:`;
}
