/**
 * An action that asks for a reason before it is sent (close, cancel, reopen, a move back, pausing
 * a clock, rejecting a document…): a button that opens a small form with the reason, then the
 * confirming button. The API's problem appears inside the form; focus goes to the reason when
 * the form opens and back to the button when it closes, so keyboard users never lose their place.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import type { Command } from './command';

export interface ReasonFormProps {
  /** Unique on the page: ids of the inputs derive from it. */
  id: string;
  /** The button that opens the form ("Close case…"). */
  openLabel: string;
  /** The button that sends it ("Close case"). */
  submitLabel: string;
  reasonLabel?: string;
  reasonRequired: boolean;
  cmd: Command;
  onSubmit: (reason: string) => Promise<boolean>;
  danger?: boolean;
  /** Inputs shown before the reason (e.g. the new deadline); they belong to the same form. */
  children?: ComponentChildren;
  /** Visible text shown next to the opening button, and its description. */
  note?: string;
}

export function ReasonForm({ id, openLabel, submitLabel, reasonLabel = 'Reason', reasonRequired, cmd, onSubmit, danger, children, note }: ReasonFormProps) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);

  // A layout effect: focus moves in the same task that shows (or hides) the form, so keys typed
  // right after the click land in it, not on the page (a plain effect waits for the next paint).
  useLayoutEffect(() => {
    if (open) (reasonRef.current?.closest('form')?.querySelector<HTMLElement>('input, select, textarea') ?? reasonRef.current)?.focus();
    else if (wasOpen.current) openerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  const reasonError = cmd.error?.errorFor('reason');
  return (
    <div class="reason-action">
      {!open && (
        <button
          ref={openerRef}
          type="button"
          class={danger ? 'danger' : 'secondary'}
          aria-describedby={note ? `${id}-note` : undefined}
          onClick={() => {
            cmd.clear();
            setOpen(true);
          }}
        >
          {openLabel}
        </button>
      )}
      {!open && note && (
        <span id={`${id}-note`} class="hint">
          {' '}
          {note}
        </span>
      )}
      {open && (
        <form
          class="reason-form"
          aria-label={openLabel.replace(/…$/, '')}
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            if (await onSubmit(reason.trim())) {
              setReason('');
              setOpen(false);
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(false);
          }}
        >
          {children}
          <div class="field">
            <label for={`${id}-reason`}>
              {reasonLabel}
              {reasonRequired ? '' : ' (optional)'}
            </label>
            <textarea
              ref={reasonRef}
              id={`${id}-reason`}
              rows={2}
              maxLength={2000}
              required={reasonRequired}
              value={reason}
              aria-invalid={reasonError ? 'true' : undefined}
              aria-describedby={reasonError ? `${id}-reason-error` : undefined}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
            {reasonError && (
              <p id={`${id}-reason-error`} class="field-error">
                {reasonError}
              </p>
            )}
          </div>
          {cmd.error && !reasonError && <ProblemMessage error={cmd.error} title={`${submitLabel} failed`} />}
          <div class="form-actions">
            <button type="submit" class={danger ? 'danger' : undefined} disabled={cmd.pending}>
              {cmd.pending ? 'Sending…' : submitLabel}
            </button>
            <button type="button" class="secondary" onClick={() => setOpen(false)}>
              Dismiss
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
