/**
 * Asks why a case moves back or skips a stage (the API records the reason on the timeline and
 * refuses such a move without one). A native modal <dialog>: it traps focus, Escape cancels,
 * and the browser returns focus to where it was when it closes.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface ReasonRequest {
  caseId: string;
  caseTitle: string;
  toName: string;
  direction: 'back' | 'skip';
}

export function ReasonDialog({ request, onConfirm, onCancel }: { request: ReasonRequest; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const done = useRef(false);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
    };
  }, []);

  const submit = (e: Event) => {
    e.preventDefault();
    const text = reason.trim();
    if (!text) {
      setError('Say why: the reason is kept on the case’s timeline.');
      return;
    }
    done.current = true;
    dialog.current?.close();
    onConfirm(text);
  };
  const cancel = () => {
    done.current = true;
    dialog.current?.close();
    onCancel();
  };

  const verb = request.direction === 'back' ? 'back to' : 'ahead to';
  return (
    <dialog
      ref={dialog}
      class="reason-dialog"
      aria-labelledby="reason-dialog-title"
      aria-describedby="reason-dialog-why"
      // Escape closes the dialog natively: treat it as Cancel (once).
      onClose={() => {
        if (!done.current) {
          done.current = true;
          onCancel();
        }
      }}
    >
      <form onSubmit={submit} noValidate>
        <h2 id="reason-dialog-title">
          Move {request.caseId} {verb} {request.toName}
        </h2>
        <p id="reason-dialog-why" class="hint">
          {request.caseId} “{request.caseTitle}” {request.direction === 'back' ? 'moves back' : 'skips a stage'}: this needs a reason, which is recorded on its timeline.
        </p>
        <div class="field">
          <label for="reason-dialog-text">Reason</label>
          <textarea
            id="reason-dialog-text"
            rows={3}
            maxLength={2000}
            required
            value={reason}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'reason-dialog-error' : undefined}
            onInput={(e) => {
              setReason((e.currentTarget as HTMLTextAreaElement).value);
              setError(undefined);
            }}
          />
          {error && (
            <p id="reason-dialog-error" class="field-error">
              {error}
            </p>
          )}
        </div>
        <div class="dialog-actions">
          <button type="submit">Confirm</button>
          <button type="button" class="secondary" onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
