import { busyRejection, commandBudgetProblem } from './budgets';
import { applyDrafts, type CaseState } from './case-state';
import type { CaseEvent } from './events';
import { checkActor, checkCommandRequest, type CommandRequest, type ParsedCommandRequest } from './commands';
import { decide, findDocument } from './decide';
import { reject, type Rejection } from './rejections';
import type { TemplateDefinition } from './template';
import { commandRefusal, reviewRefusal } from './visibility';

/** A command accepted with the events it records (already applied: `applied.state` is the case after it), or why not. */
export type CommandVerdict = { ok: true; request: ParsedCommandRequest; applied: { state: CaseState; events: CaseEvent[] } } | { ok: false; rejection: Rejection };

/**
 * The verdict on a command sent to a case, the same for updates, signals and dry runs: its shape
 * and size, the case's backlog (`backlogBusy`: more events wait for the read model than their
 * budget), the domain rules, then the byte budgets of what it would record and leave behind.
 */
export function commandVerdict(
  state: CaseState,
  template: TemplateDefinition,
  raw: CommandRequest,
  now: string,
  backlog: { busy: boolean; bytes: number },
): CommandVerdict {
  const parsed = checkCommandRequest(raw);
  if (!parsed.ok) {
    const detail = parsed.tooLarge ? `the command ${parsed.problems[0]?.message ?? 'is too large'}` : 'the command is malformed';
    return { ok: false, rejection: parsed.tooLarge ? reject('command_too_large', detail) : reject('invalid_command', detail, { errors: parsed.problems }) };
  }
  if (backlog.busy) return { ok: false, rejection: busyRejection(backlog.bytes) };
  const { command, actor } = parsed.request;
  const decision = decide(state, template, command, actor, now);
  if (!decision.ok) return decision;
  const applied = applyDrafts(state, decision.events, actor, now);
  const overBudget = commandBudgetProblem(state, applied.state, applied.events);
  return overBudget ? { ok: false, rejection: overBudget } : { ok: true, request: parsed.request, applied };
}

/**
 * Whether the sender may command this case at all: one who may not see it is refused as if it did
 * not exist, an auditor as read-only, a review of a document slot by one who may not review it.
 * Asked before a command is admitted (the update's validator, the dry run) — never when one is
 * applied, which must replay recorded histories; a signal sent around the API (the Temporal UI,
 * another system) is trusted as it always was.
 */
export function commandAccessRefusal(state: CaseState, template: TemplateDefinition, raw: CommandRequest | undefined): Rejection | undefined {
  const actor = checkActor(raw?.actor);
  // A malformed actor is the command's problem: `commandVerdict` reports it.
  if (!actor) return undefined;
  const refused = commandRefusal(actor, state.key, { owner: state.owner, participants: Object.values(state.participants) }, template);
  if (refused) return refused;
  const command = raw?.command;
  const reviewed = command?.type === 'reviewDocument' && typeof command.documentId === 'string' ? findDocument(state, command.documentId) : undefined;
  return reviewed ? reviewRefusal(actor, template, reviewed.item.slot) : undefined;
}
