/**
 * What can be done with the case as a whole, exactly as `allowed` says: moves (forward needs the
 * stage's exit criteria — when something is missing the button says what instead of sending; back
 * and skip need a reason), the owner, close, reopen and cancel.
 */
import { useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import { fieldLabel } from '../../components/field-draft';
import { fieldByKey, slotLabel, useCase, type AllowedMove, type CaseViewForCaller } from './context';
import type { TemplateDefinition } from '../../lib/types';
import { ReasonForm } from './reason-form';
import { taskFor } from './tasks';
import { send, useCommand } from './command';

type Missing = AllowedMove['missing'];

const isEmpty = (m: Missing) => m.fields.length === 0 && m.documents.length === 0 && m.tasks.length === 0;

/** What a stage still needs, in words a reader knows (labels and task titles rather than keys). */
export function MissingList({ missing, view, template, id }: { missing: Missing; view: CaseViewForCaller; template: TemplateDefinition; id?: string }) {
  return (
    <ul class="missing" id={id}>
      {missing.fields.length > 0 && <li>Fields: {missing.fields.map((k) => fieldLabel(fieldByKey(template, k) ?? { key: k })).join(', ')}</li>}
      {missing.documents.length > 0 && <li>Documents: {missing.documents.map((k) => slotLabel(template, k)).join(', ')}</li>}
      {missing.tasks.length > 0 && <li>Tasks: {missing.tasks.map((k) => taskFor(view, k)?.title ?? k).join(', ')}</li>}
    </ul>
  );
}

export function ActionsSection() {
  const { view } = useCase();
  const a = view.allowed;
  const anything = a.moves.length > 0 || a.act || a.close.allowed || a.reopen || a.cancel;
  return (
    <section class="card case-section" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {!anything && <p class="hint">{view.status === 'open' ? `You may not change this case while it is in ${view.stage.name}.` : `The case is ${view.status}.`}</p>}
      {a.moves.length > 0 && <Moves />}
      {a.act && <OwnerForm />}
      {(a.close.allowed || a.reopen || a.cancel) && <Lifecycle />}
    </section>
  );
}

function Moves() {
  const { view } = useCase();
  const forward = view.allowed.moves.filter((m) => m.direction === 'forward');
  const other = view.allowed.moves.filter((m) => m.direction !== 'forward');
  return (
    <div class="moves">
      <h3>Move the case</h3>
      {forward.map((m) => (
        <ForwardMove key={m.to} move={m} />
      ))}
      {other.map((m) => (
        <OtherMove key={m.to} move={m} />
      ))}
    </div>
  );
}

function ForwardMove({ move }: { move: AllowedMove }) {
  const { view, template, caseUrl } = useCase();
  const cmd = useCommand();
  const [showMissing, setShowMissing] = useState(false);
  const blocked = !isEmpty(move.missing);
  const missingId = `move-${move.to}-missing`;
  return (
    <div class="move">
      <button
        type="button"
        aria-disabled={blocked ? 'true' : undefined}
        aria-describedby={blocked ? missingId : undefined}
        class={blocked ? 'blocked' : undefined}
        disabled={cmd.pending}
        onClick={() => {
          // Sending would only be refused: say what is missing instead.
          if (blocked) setShowMissing(true);
          else void send(cmd, 'post', `${caseUrl}/advance`, { to: move.to });
        }}
      >
        {cmd.pending ? 'Moving…' : `Advance to ${move.name}`}
      </button>
      {blocked && (
        <div id={missingId} class={`move-missing${showMissing ? ' problem' : ''}`} role={showMissing ? 'alert' : undefined}>
          <p>{view.stage.name} still needs:</p>
          <MissingList missing={move.missing} view={view} template={template} />
        </div>
      )}
      {cmd.error?.problem.missing ? (
        <div class="problem" role="alert">
          <strong>The case did not move to {move.name}</strong>
          <p>{view.stage.name} still needs:</p>
          <MissingList missing={cmd.error.problem.missing} view={view} template={template} />
        </div>
      ) : (
        cmd.error && <ProblemMessage error={cmd.error} title={`The case did not move to ${move.name}`} />
      )}
    </div>
  );
}

function OtherMove({ move }: { move: AllowedMove }) {
  const { caseUrl } = useCase();
  const cmd = useCommand();
  const verb = move.direction === 'back' ? 'Move back to' : 'Skip to';
  return (
    <ReasonForm
      id={`move-${move.to}`}
      openLabel={`${verb} ${move.name}…`}
      submitLabel={`${verb} ${move.name}`}
      reasonRequired={move.reasonRequired}
      cmd={cmd}
      onSubmit={(reason) => send(cmd, 'post', `${caseUrl}/advance`, { to: move.to, ...(reason ? { reason } : {}) })}
    />
  );
}

function OwnerForm() {
  const { view, caseUrl } = useCase();
  const cmd = useCommand();
  const [owner, setOwner] = useState('');
  const error = cmd.error?.errorFor('owner');
  return (
    <form
      class="owner-form"
      aria-labelledby="owner-form-title"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (await send(cmd, 'put', `${caseUrl}/owner`, { owner: owner.trim() })) setOwner('');
      }}
    >
      <h3 id="owner-form-title">Owner</h3>
      <p>
        Now: <strong>{view.owner ?? 'nobody'}</strong>
      </p>
      <div class="field">
        <label for="owner-input">New owner (user id)</label>
        <div class="copy-row">
          <input
            id="owner-input"
            type="text"
            list="case-people"
            autoComplete="off"
            maxLength={200}
            value={owner}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'owner-input-error' : undefined}
            onInput={(e) => setOwner(e.currentTarget.value)}
          />
          <button type="submit" disabled={cmd.pending || owner.trim() === ''}>
            Assign
          </button>
        </div>
        {error && (
          <p id="owner-input-error" class="field-error">
            {error}
          </p>
        )}
      </div>
      {view.owner && (
        <button type="button" class="link" disabled={cmd.pending} onClick={() => void send(cmd, 'put', `${caseUrl}/owner`, { owner: null })}>
          Leave the case without an owner
        </button>
      )}
      {cmd.error && !error && <ProblemMessage error={cmd.error} title="The owner was not changed" />}
    </form>
  );
}

function Lifecycle() {
  const { view, caseUrl } = useCase();
  const close = useCommand();
  const reopen = useCommand();
  const cancel = useCommand();
  const a = view.allowed;
  return (
    <div class="lifecycle">
      <h3>Case</h3>
      {a.close.allowed && (
        <ReasonForm
          id="close-case"
          openLabel="Close case…"
          submitLabel="Close case"
          reasonRequired={a.close.reasonRequired}
          note={a.close.reasonRequired ? `${view.stage.name} is not a final stage: closing needs a reason.` : undefined}
          cmd={close}
          onSubmit={(reason) => send(close, 'post', `${caseUrl}/close`, reason ? { reason } : {})}
        />
      )}
      {a.reopen && (
        <ReasonForm id="reopen-case" openLabel="Reopen case…" submitLabel="Reopen case" reasonRequired cmd={reopen} onSubmit={(reason) => send(reopen, 'post', `${caseUrl}/reopen`, { reason })} />
      )}
      {a.cancel && (
        <ReasonForm id="cancel-case" openLabel="Cancel case…" submitLabel="Cancel case" reasonRequired danger cmd={cancel} onSubmit={(reason) => send(cancel, 'post', `${caseUrl}/cancel`, { reason })} />
      )}
    </div>
  );
}
