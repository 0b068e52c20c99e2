/**
 * The discussion: recent comments (from the live event feed; every comment is on the timeline),
 * a comment box with @mention suggestions, and decisions with their justification.
 */
import { useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import { formatDateTime } from '../../lib/format';
import { knownPeople, stageName, useCase } from './context';
import { MentionTextarea } from './mention';
import { send, useCommand } from './command';
import type { CaseEvents } from './events';
import { inputErrors } from '../../components/input-errors';
import { CommentText } from './timeline-entry';

const RECENT_COMMENTS = 5;

export function DiscussionSection({ events }: { events: CaseEvents }) {
  const { view } = useCase();
  const recent = events.latest.filter((e) => e.type === 'comment.added').slice(0, RECENT_COMMENTS);
  return (
    <section class="card case-section" aria-labelledby="discussion-title">
      <h2 id="discussion-title">Discussion</h2>
      <h3 id="comments-title">
        Comments <span class="count">({view.comments})</span>
      </h3>
      {recent.length > 0 ? (
        <ol class="comments" aria-labelledby="comments-title">
          {recent.map((e) => (
            <li key={e.seq}>
              <p class="comment-meta">
                <strong>{e.actor.name}</strong> <time dateTime={e.at}>{formatDateTime(e.at)}</time>
              </p>
              <CommentText text={String(e.data.text ?? '')} />
            </li>
          ))}
        </ol>
      ) : (
        view.comments === 0 && <p class="hint">No comments yet.</p>
      )}
      {view.comments > recent.length && (
        <p class="hint">
          Older comments are on the <a href="#timeline-title">timeline</a>.
        </p>
      )}
      {view.allowed.comment && <CommentForm />}
      <Decisions />
    </section>
  );
}

function CommentForm() {
  const { view, caseUrl } = useCase();
  const cmd = useCommand();
  const [text, setText] = useState('');
  const error = cmd.error?.errorFor('text');
  return (
    <form
      class="comment-form"
      aria-labelledby="comment-label"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        if (await send(cmd, 'post', `${caseUrl}/comments`, { text })) setText('');
      }}
    >
      <label id="comment-label" for="comment-text">
        Add a comment
      </label>
      <p id="comment-hint" class="hint">
        Type @ to mention someone on the case.
      </p>
      <MentionTextarea
        id="comment-text"
        value={text}
        onInput={setText}
        people={knownPeople(view)}
        maxLength={10_000}
        describedBy={error ? 'comment-hint comment-error' : 'comment-hint'}
        invalid={Boolean(error)}
      />
      {error && (
        <p id="comment-error" class="field-error">
          {error}
        </p>
      )}
      {cmd.error && !error && <ProblemMessage error={cmd.error} title="The comment was not added" />}
      <button type="submit" disabled={cmd.pending || text.trim() === ''}>
        {cmd.pending ? 'Sending…' : 'Comment'}
      </button>
    </form>
  );
}

function Decisions() {
  const { view, template, caseUrl } = useCase();
  const cmd = useCommand();
  const [decision, setDecision] = useState('');
  const [justification, setJustification] = useState('');
  const { errorOf, attrs, errorLine } = inputErrors(cmd.error);
  const decisions = [...view.decisions].reverse();
  return (
    <>
      <h3 id="decisions-title">
        Decisions <span class="count">({view.decisions.length})</span>
      </h3>
      {decisions.length === 0 && <p class="hint">No decisions recorded.</p>}
      {decisions.length > 0 && (
        <ol class="decisions" aria-labelledby="decisions-title">
          {decisions.map((d) => (
            <li key={d.decisionId}>
              <p>
                <strong>{d.decision}</strong> <span class="hint">— {d.by.name}, <time dateTime={d.at}>{formatDateTime(d.at)}</time>, {stageName(template, d.stage)}</span>
              </p>
              <p class="justification">{d.justification}</p>
            </li>
          ))}
        </ol>
      )}
      {view.allowed.act && (
        <form
          class="decision-form"
          aria-labelledby="decision-form-title"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            if (await send(cmd, 'post', `${caseUrl}/decisions`, { decision: decision.trim(), justification: justification.trim() })) {
              setDecision('');
              setJustification('');
            }
          }}
        >
          <h4 id="decision-form-title">Record a decision</h4>
          <div class="field">
            <label for="decision-text">Decision</label>
            <input {...attrs('decision-text', 'decision')} type="text" maxLength={500} value={decision} onInput={(e) => setDecision(e.currentTarget.value)} />
            {errorLine('decision-text', 'decision')}
          </div>
          <div class="field">
            <label for="decision-justification">Justification</label>
            <textarea {...attrs('decision-justification', 'justification')} rows={3} maxLength={10_000} value={justification} onInput={(e) => setJustification(e.currentTarget.value)} />
            {errorLine('decision-justification', 'justification')}
          </div>
          {cmd.error && !errorOf('decision') && !errorOf('justification') && <ProblemMessage error={cmd.error} title="The decision was not recorded" />}
          <button type="submit" disabled={cmd.pending}>
            {cmd.pending ? 'Recording…' : 'Record decision'}
          </button>
        </form>
      )}
    </>
  );
}
