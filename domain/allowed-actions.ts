/**
 * What a caller may do with a case right now, as the API answers it with the case view
 * (`allowed`), so a client (the console) offers only the actions the case would accept. The same
 * rules as decide.ts and visibility.ts apply — mayAct, the template's transitions, exit criteria,
 * reasons for moves back and skips — read here without running a command.
 */
import type { Actor } from './actor';
import { mayAct, moveDirection } from './decide';
import type { MissingCriteria } from './rejections';
import type { MoveDirection } from './events';
import { findStage, type TemplateDefinition } from './template';
import { isReadOnly } from './visibility';

export interface AllowedMove {
  to: string;
  name: string;
  direction: MoveDirection;
  /** A move back or a skip needs a reason. */
  reasonRequired: boolean;
  /** What the current stage still needs before this move is accepted (empty lists: nothing). */
  missing: MissingCriteria;
}

export interface AllowedActions {
  /** Change the case in its current stage (fields, tasks, documents, participants, owner, SLA, moves, close, cancel). */
  act: boolean;
  comment: boolean;
  /** The stages it may move to from here, per the template's transitions. */
  moves: AllowedMove[];
  close: { allowed: boolean; reasonRequired: boolean };
  reopen: boolean;
  cancel: boolean;
  /** Complete a task assigned to the caller, whatever the stage's permissions. */
  completeOwnTasks: boolean;
}

interface CaseLike {
  status: 'open' | 'closed' | 'cancelled';
  stage: { key: string; missing: MissingCriteria };
}

const NOTHING: MissingCriteria = { fields: [], documents: [], tasks: [] };

export function allowedActions(actor: Actor, view: CaseLike, template: TemplateDefinition): AllowedActions {
  const stage = findStage(template, view.stage.key);
  const readOnly = isReadOnly(actor) || actor.kind === 'external' || !stage;
  const open = view.status === 'open';
  const act = !readOnly && mayAct(actor, stage, 'act');
  const comment = !readOnly && mayAct(actor, stage, 'comment');
  const targets = template.transitions?.find((t) => t.from === view.stage.key)?.to ?? template.stages.map((s) => s.key);
  const moves: AllowedMove[] =
    open && act
      ? targets
          .filter((to) => to !== view.stage.key)
          .flatMap((to) => {
            const target = findStage(template, to);
            if (!target) return [];
            const direction = moveDirection(template, view.stage.key, to);
            return [{ to, name: target.name ?? to, direction, reasonRequired: direction !== 'forward', missing: direction === 'back' ? NOTHING : view.stage.missing }];
          })
      : [];
  return {
    act: open && act,
    comment,
    moves,
    close: { allowed: open && act, reasonRequired: !stage?.terminal },
    reopen: !open && act,
    cancel: open && act,
    completeOwnTasks: open && !readOnly,
  };
}
