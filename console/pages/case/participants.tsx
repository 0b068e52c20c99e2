/**
 * Participants: who is on the case (internal users by user id, external people by e-mail), adding
 * and removing them, and minting a portal magic link for an external participant — shown once, in a
 * read-only input with a copy button, since only its hash is stored.
 */
import { useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import { api, seg } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { useCase, type CaseParticipant } from './context';
import { inputErrors } from '../../components/input-errors';
import { send, useCommand } from './command';

interface CreatedLink {
  url: string;
  expiresAt: string;
}

export function ParticipantsSection() {
  const { view } = useCase();
  return (
    <section class="card case-section" aria-labelledby="participants-title">
      <h2 id="participants-title">
        Participants <span class="count">({view.participants.length})</span>
      </h2>
      {view.participants.length === 0 && <p class="hint">Nobody besides the owner.</p>}
      {view.participants.length > 0 && (
        <ul class="participants">
          {view.participants.map((p) => (
            <ParticipantItem key={p.participantId} participant={p} />
          ))}
        </ul>
      )}
      {view.allowed.act && <AddParticipant />}
    </section>
  );
}

function ParticipantItem({ participant: p }: { participant: CaseParticipant }) {
  const { view, caseUrl } = useCase();
  const remove = useCommand();
  const linkCmd = useCommand();
  const [link, setLink] = useState<CreatedLink>();
  const [copied, setCopied] = useState<string>();
  const linkInputId = `portal-link-${p.participantId}`;

  const createLink = async () => {
    setCopied(undefined);
    let created: CreatedLink | undefined;
    const ok = await linkCmd.run(`portal-link ${p.participantId} ${Date.now()}`, async (headers) => {
      created = await api.post<CreatedLink>(`${caseUrl}/portal-links`, { participantId: p.participantId }, { headers });
    });
    if (ok && created) setLink(created);
  };
  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link.url);
      setCopied('Link copied to the clipboard.');
    } catch {
      // No clipboard permission (an insecure origin, a policy): select the text so Ctrl+C copies it.
      const input = document.getElementById(linkInputId) as HTMLInputElement | null;
      input?.focus();
      input?.select();
      setCopied('Copying is not allowed here: the link is selected, press Ctrl+C (⌘C) to copy it.');
    }
  };

  return (
    <li class="participant">
      <div>
        <strong>{p.name}</strong> <span class="badge">{p.kind === 'internal' ? 'Internal' : 'External'}</span> <span class="hint">{p.role}</span>
        {view.owner && p.userId === view.owner && <span class="badge ok">Owner</span>}
      </div>
      <div class="hint">
        {p.kind === 'internal' ? `User ${p.userId ?? '—'}` : (p.email ?? '—')} · {p.participantId} · added {formatDateTime(p.addedAt)}
      </div>
      {view.allowed.act && (
        <div class="participant-actions">
          {p.kind === 'external' && (
            <button type="button" class="secondary" disabled={linkCmd.pending} onClick={() => void createLink()} aria-label={`Create a portal link for ${p.name}`}>
              {linkCmd.pending ? 'Creating…' : 'Portal link'}
            </button>
          )}
          <button type="button" class="secondary" disabled={remove.pending} onClick={() => void send(remove, 'delete', `${caseUrl}/participants/${seg(p.participantId)}`)} aria-label={`Remove ${p.name}`}>
            Remove
          </button>
        </div>
      )}
      {link && (
        <div class="portal-link">
          <label for={linkInputId}>Portal link for {p.name}</label>
          <div class="copy-row">
            <input id={linkInputId} type="text" readOnly value={link.url} aria-describedby={`${linkInputId}-hint`} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => void copy()} aria-label={`Copy the portal link for ${p.name}`}>
              Copy
            </button>
          </div>
          <p id={`${linkInputId}-hint`} class="hint">
            Shown once; valid until {formatDateTime(link.expiresAt)}. Send it to {p.name} only.
          </p>
          <p role="status" class="form-status">
            {copied}
          </p>
        </div>
      )}
      {linkCmd.error && <ProblemMessage error={linkCmd.error} title="No link was created" />}
      {remove.error && <ProblemMessage error={remove.error} title={`${p.name} was not removed`} />}
    </li>
  );
}

function AddParticipant() {
  const { template, caseUrl } = useCase();
  const cmd = useCommand();
  const [kind, setKind] = useState<'internal' | 'external'>('internal');
  const [role, setRole] = useState(template.roles[0] ?? '');
  const [name, setName] = useState('');
  const [userId, setUserId] = useState('');
  const [email, setEmail] = useState('');
  const { errorOf, attrs, errorLine } = inputErrors(cmd.error, 'participant');
  const shown = ['role', 'name', 'userId', 'email'].filter((p) => errorOf(p));
  return (
    <form
      class="add-participant"
      aria-labelledby="add-participant-title"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const participant = {
          kind,
          role,
          name: name.trim(),
          ...(kind === 'internal' ? { userId: userId.trim() } : { email: email.trim() }),
        };
        if (await send(cmd, 'post', `${caseUrl}/participants`, participant)) {
          setName('');
          setUserId('');
          setEmail('');
        }
      }}
    >
      <h3 id="add-participant-title">Add a participant</h3>
      <fieldset class="kind-choice">
        <legend>Kind</legend>
        <label class="choice">
          <input type="radio" name="participant-kind" value="internal" checked={kind === 'internal'} onChange={() => setKind('internal')} /> Internal (a user)
        </label>
        <label class="choice">
          <input type="radio" name="participant-kind" value="external" checked={kind === 'external'} onChange={() => setKind('external')} /> External (by e-mail)
        </label>
      </fieldset>
      <div class="field">
        <label for="participant-role">Role</label>
        {template.roles.length > 0 ? (
          <select {...attrs('participant-role', 'role')} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {template.roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        ) : (
          <input {...attrs('participant-role', 'role')} type="text" value={role} onInput={(e) => setRole(e.currentTarget.value)} />
        )}
        {errorLine('participant-role', 'role')}
      </div>
      <div class="field">
        <label for="participant-name">Name</label>
        <input {...attrs('participant-name', 'name')} type="text" maxLength={200} autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        {errorLine('participant-name', 'name')}
      </div>
      {kind === 'internal' ? (
        <div class="field">
          <label for="participant-user">User id</label>
          <input {...attrs('participant-user', 'userId')} type="text" maxLength={200} autoComplete="off" value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
          {errorLine('participant-user', 'userId')}
        </div>
      ) : (
        <div class="field">
          <label for="participant-email">E-mail</label>
          <input {...attrs('participant-email', 'email')} type="email" maxLength={320} autoComplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
          {errorLine('participant-email', 'email')}
        </div>
      )}
      {cmd.error && shown.length === 0 && <ProblemMessage error={cmd.error} title="The participant was not added" />}
      <button type="submit" disabled={cmd.pending}>
        {cmd.pending ? 'Adding…' : 'Add participant'}
      </button>
    </form>
  );
}
