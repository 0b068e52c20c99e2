/**
 * A textarea that suggests people as you type `@` (the case's owner and internal participants),
 * following the ARIA pattern for a text box with a list of suggestions: the textarea keeps focus
 * (aria-autocomplete="list", aria-controls, aria-activedescendant), the suggestions are a listbox,
 * ↓/↑ move through them, Enter or Tab picks one, Escape dismisses them, and a status line tells
 * screen reader users that suggestions are there.
 */
import { useRef, useState } from 'preact/hooks';

export interface Person {
  id: string;
  name: string;
  note: string;
}

export interface MentionTextareaProps {
  id: string;
  value: string;
  onInput: (value: string) => void;
  people: Person[];
  rows?: number;
  maxLength?: number;
  describedBy?: string | undefined;
  invalid?: boolean;
}

/** The mention being typed at the caret: `@ma|` → {start: index of @, query: "ma"}. Same rule as the server's (no e-mail addresses). */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const m = /(^|[^\p{L}\p{N}_.@])@([A-Za-z0-9._-]{0,63})$/u.exec(text.slice(0, caret));
  if (!m) return undefined;
  return { start: m.index + (m[1]?.length ?? 0), query: m[2] ?? '' };
}

const MAX_SUGGESTIONS = 8;

export function MentionTextarea({ id, value, onInput, people, rows = 3, maxLength, describedBy, invalid }: MentionTextareaProps) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(-1);
  /** The mention start the user dismissed with Escape: no suggestions again until another @. */
  const [dismissedAt, setDismissedAt] = useState<number>();

  const mention = mentionAt(value, caret);
  const q = mention?.query.toLowerCase() ?? '';
  const options = mention
    ? people.filter((p) => p.id.toLowerCase().startsWith(q) || p.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q))).slice(0, MAX_SUGGESTIONS)
    : [];
  const open = mention !== undefined && options.length > 0 && dismissedAt !== mention.start;
  const listboxId = `${id}-suggestions`;
  const optionId = (i: number) => `${id}-suggestion-${i}`;

  const pick = (person: Person) => {
    if (!mention) return;
    const before = value.slice(0, mention.start);
    // The rest of a half-typed id after the caret belongs to the mention being replaced.
    const rest = value.slice(caret).replace(/^[A-Za-z0-9._-]*/, '');
    const inserted = `@${person.id}${rest.startsWith(' ') ? '' : ' '}`;
    onInput(before + inserted + rest);
    const at = before.length + inserted.length + (rest.startsWith(' ') ? 1 : 0);
    setCaret(at);
    setActive(-1);
    // Put the caret after the inserted mention once Preact has written the new value.
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(at, at);
    });
  };

  const track = (el: HTMLTextAreaElement) => setCaret(el.selectionStart ?? el.value.length);

  return (
    <div class="mention-box">
      <textarea
        ref={ref}
        id={id}
        rows={rows}
        maxLength={maxLength}
        value={value}
        aria-autocomplete="list"
        aria-controls={open ? listboxId : undefined}
        aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
        aria-describedby={describedBy}
        aria-invalid={invalid ? 'true' : undefined}
        onInput={(e) => {
          onInput(e.currentTarget.value);
          track(e.currentTarget);
          setActive(-1);
        }}
        onClick={(e) => track(e.currentTarget)}
        onKeyUp={(e) => {
          if (!['ArrowDown', 'ArrowUp', 'Enter', 'Tab', 'Escape'].includes(e.key)) track(e.currentTarget);
        }}
        onBlur={() => setActive(-1)}
        onKeyDown={(e) => {
          if (!open) return;
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            const step = e.key === 'ArrowDown' ? 1 : -1;
            setActive((a) => (a < 0 ? (step > 0 ? 0 : options.length - 1) : (a + step + options.length) % options.length));
          } else if ((e.key === 'Enter' || e.key === 'Tab') && active >= 0 && options[active]) {
            e.preventDefault();
            pick(options[active]);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            setDismissedAt(mention?.start);
            setActive(-1);
          }
        }}
      />
      {open && (
        <ul id={listboxId} role="listbox" aria-label="People to mention" class="mention-list">
          {options.map((p, i) => (
            <li
              key={p.id}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              class={i === active ? 'active' : undefined}
              // Keep the focus in the textarea while choosing with the mouse.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(p)}
            >
              <strong>@{p.id}</strong> {p.name} <span class="hint">({p.note})</span>
            </li>
          ))}
        </ul>
      )}
      <p role="status" class="visually-hidden">
        {open ? `${options.length} ${options.length === 1 ? 'person' : 'people'} to mention: use the up and down arrows, then Enter.` : ''}
      </p>
    </div>
  );
}
