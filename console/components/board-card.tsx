/**
 * One case on the board: key, title (a link to the case), owner, due badge, open tasks, and a
 * "Move to…" menu button, which is how keyboard and screen-reader users move cards (dragging
 * is mouse-only). A board may hold 500 cards and re-renders on every poll, so a card is a few
 * elements, renders again only when its own case changed (shouldComponentUpdate), and its menu
 * exists only while open.
 */
import { Component } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { seg } from '../lib/api';
import { DueBadge, StalledBadge } from './case-badges';
import type { CaseItem } from './list-types';

export interface StageRef {
  key: string;
  name: string;
}

export type MoveDirection = 'forward' | 'back' | 'skip';

/** Direction of a move by the board's stage order: the API asks a reason for anything but the next stage. */
export function moveDirection(stages: StageRef[], from: string, to: string): MoveDirection {
  const a = stages.findIndex((s) => s.key === from);
  const b = stages.findIndex((s) => s.key === to);
  if (a < 0 || b < 0) return 'forward'; // unknown to this board version: let the API judge
  return b < a ? 'back' : b > a + 1 ? 'skip' : 'forward';
}

export interface CardActions {
  /** Opens this card's menu (a case id), or closes any (null); `focusTrigger` returns focus to the button. */
  toggleMenu: (caseId: string | null, focusTrigger?: boolean) => void;
  move: (c: CaseItem, to: string) => void;
  dragStart: (c: CaseItem) => void;
  dragEnd: () => void;
}

interface CardProps {
  c: CaseItem;
  stages: StageRef[];
  menuOpen: boolean;
  busy: boolean;
  /** The minute the board rendered in: relative due times refresh at most once a minute. */
  minute: number;
  actions: CardActions;
}

function MoveMenu({ c, stages, actions }: { c: CaseItem; stages: StageRef[]; actions: CardActions }) {
  const ref = useRef<HTMLUListElement>(null);
  const targets = stages.filter((s) => s.key !== c.stage);
  // A layout effect, not an effect: it runs in the same task that puts the menu in the page, so
  // focus is on the first item before any further key arrives. (A plain effect runs after the
  // next paint; an Escape typed before then reached the button and was lost.)
  useLayoutEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button')?.focus();
    // A click anywhere else closes the menu, as menus do.
    const outside = (e: MouseEvent) => {
      const root = ref.current?.closest('.board-card');
      if (root && !root.contains(e.target as Node)) actions.toggleMenu(null);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, []);
  // The WAI-ARIA menu pattern: arrows move, Home/End jump, Escape closes and returns to the button, Tab leaves.
  const onKeyDown = (e: KeyboardEvent) => {
    const items = Array.from(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? []);
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const focus = (i: number) => items[(i + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') focus(at + 1);
    else if (e.key === 'ArrowUp') focus(at - 1);
    else if (e.key === 'Home') focus(0);
    else if (e.key === 'End') focus(items.length - 1);
    else if (e.key === 'Escape') actions.toggleMenu(null, true);
    else if (e.key === 'Tab') return actions.toggleMenu(null);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <ul class="move-menu" role="menu" aria-label={`Move ${c.id} to`} ref={ref} onKeyDown={onKeyDown}>
      {targets.map((s) => {
        const direction = moveDirection(stages, c.stage, s.key);
        return (
          <li role="none" key={s.key}>
            <button type="button" role="menuitem" tabIndex={-1} onClick={() => actions.move(c, s.key)}>
              {s.name}
              {direction !== 'forward' && <span class="direction"> · {direction === 'back' ? 'back' : 'skip'}, needs a reason</span>}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

export class BoardCard extends Component<CardProps> {
  shouldComponentUpdate(next: CardProps): boolean {
    const a = this.props;
    const x = a.c;
    const y = next.c;
    return (
      a.menuOpen !== next.menuOpen ||
      a.busy !== next.busy ||
      a.minute !== next.minute ||
      a.stages !== next.stages ||
      a.actions !== next.actions ||
      x.id !== y.id ||
      x.lastSeq !== y.lastSeq ||
      x.stage !== y.stage ||
      x.title !== y.title ||
      x.owner !== y.owner ||
      x.dueAt !== y.dueAt ||
      x.overdue !== y.overdue ||
      x.openTasks !== y.openTasks ||
      x.stalled !== y.stalled
    );
  }

  render() {
    const { c, stages, menuOpen, busy, actions } = this.props;
    const tasks = c.openTasks ?? 0;
    return (
      <li
        class={`board-card${c.overdue ? ' overdue' : ''}${busy ? ' busy' : ''}`}
        data-case={c.id}
        draggable
        aria-busy={busy || undefined}
        onDragStart={(e) => {
          // text/plain too: some browsers start no drag without data.
          e.dataTransfer?.setData('text/plain', c.id);
          if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
          actions.dragStart(c);
        }}
        onDragEnd={() => actions.dragEnd()}
      >
        <div class="card-top">
          <span class="key">{c.id}</span>
          <DueBadge dueAt={c.dueAt} overdue={c.overdue} compact />
        </div>
        {/* Not draggable itself, so a drag that starts on the title moves the card, not the link. */}
        <a class="card-title" href={`/console/cases/${seg(c.id)}`} draggable={false}>
          {c.title}
        </a>
        <div class="card-meta">
          <span>{c.owner ? `Owner: ${c.owner}` : 'No owner'}</span>
          <span>{tasks === 1 ? '1 open task' : `${tasks} open tasks`}</span>
          <StalledBadge stalled={c.stalled} />
        </div>
        <div class="card-actions">
          <button
            type="button"
            class="move-button secondary small"
            aria-haspopup="menu"
            aria-expanded={menuOpen}
            disabled={busy}
            onClick={() => actions.toggleMenu(menuOpen ? null : c.id)}
            // Escape closes an open menu from its button too (focus can be there, e.g. after a click elsewhere in the card).
            onKeyDown={(e) => {
              if (e.key === 'Escape' && menuOpen) {
                e.preventDefault();
                actions.toggleMenu(null, true);
              }
            }}
          >
            {/* Named "Move ONB-3 to…" from its content (not aria-label), so the visible words stay part of the name. */}
            Move<span class="visually-hidden"> {c.id}</span> to…
          </button>
          {menuOpen && <MoveMenu c={c} stages={stages} actions={actions} />}
        </div>
      </li>
    );
  }
}
