/**
 * The current stage's SLA clock: goal and deadline (in the reader's time zone), time left or
 * overdue, paused state and escalation level; with the right to act, change the deadline, pause
 * and resume. Remaining times are as the API computed them (`asOf`), not ticking locally.
 */
import { useState } from 'preact/hooks';
import { browserTimeZone, formatDateTime, formatDuration } from '../../lib/format';
import { ProblemMessage } from '../../components/problem';
import { useCase } from './context';
import { ReasonForm } from './reason-form';
import { send, useCommand } from './command';

/** `datetime-local` value (local wall time, minutes) for an instant. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The instant a `datetime-local` value means in the browser's time zone, or undefined when incomplete. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function SlaClock() {
  const { view, caseUrl } = useCase();
  const sla = view.sla;
  const deadlineCmd = useCommand();
  const pauseCmd = useCommand();
  const resumeCmd = useCommand();
  const [deadline, setDeadline] = useState(() => toLocalInput(sla?.deadlineAt));
  if (!sla) return null;
  const canAct = view.allowed.act;

  let state: string;
  let tone = 'ok';
  if (sla.paused) {
    state = `Paused since ${formatDateTime(sla.pausedAt)}`;
    tone = 'due';
  } else if (sla.deadlineMissed || sla.overdueMs > 0) {
    state = `Overdue by ${formatDuration(sla.overdueMs)}`;
    tone = 'overdue';
  } else if (sla.deadlineRemainingMs !== null) {
    state = `${formatDuration(sla.deadlineRemainingMs)} left`;
    if (sla.goalMissed) tone = 'due';
  } else {
    state = 'Running';
  }

  return (
    <section class="sla card" aria-labelledby="sla-title">
      <h2 id="sla-title">SLA clock: {view.stage.name}</h2>
      <p>
        <span class={`badge ${tone}`}>{state}</span>
        {sla.escalationLevel > 0 && <span class="badge overdue"> Escalation level {sla.escalationLevel}</span>}
      </p>
      <dl class="sla-facts">
        <div>
          <dt>Goal</dt>
          <dd>
            {sla.goalAt ? <time dateTime={sla.goalAt}>{formatDateTime(sla.goalAt)}</time> : '—'}
            {sla.goalMissed && <span class="hint"> (missed)</span>}
          </dd>
        </div>
        <div>
          <dt>Deadline</dt>
          <dd>
            {sla.deadlineAt ? <time dateTime={sla.deadlineAt}>{formatDateTime(sla.deadlineAt)}</time> : '—'}
            {sla.deadlineMissed && <span class="hint"> (missed)</span>}
          </dd>
        </div>
        {sla.pausedMs > 0 && (
          <div>
            <dt>Paused in all</dt>
            <dd>{formatDuration(sla.pausedMs)}</dd>
          </div>
        )}
      </dl>
      <p class="hint">Times in your time zone ({browserTimeZone}).</p>
      {canAct && (
        <div class="sla-actions">
          <ReasonForm
            id="sla-deadline"
            openLabel="Change deadline…"
            submitLabel="Change deadline"
            reasonRequired
            cmd={deadlineCmd}
            onSubmit={(reason) => send(deadlineCmd, 'put', `${caseUrl}/sla/deadline`, { deadlineAt: fromLocalInput(deadline) ?? deadline, reason })}
          >
            <div class="field">
              <label for="sla-deadline-at">New deadline ({browserTimeZone})</label>
              <input
                id="sla-deadline-at"
                type="datetime-local"
                value={deadline}
                aria-invalid={deadlineCmd.error?.errorFor('deadlineAt') ? 'true' : undefined}
                aria-describedby={deadlineCmd.error?.errorFor('deadlineAt') ? 'sla-deadline-at-error' : undefined}
                onInput={(e) => setDeadline(e.currentTarget.value)}
              />
              {deadlineCmd.error?.errorFor('deadlineAt') && (
                <p id="sla-deadline-at-error" class="field-error">
                  {deadlineCmd.error.errorFor('deadlineAt')}
                </p>
              )}
            </div>
          </ReasonForm>
          {!sla.paused && (
            <ReasonForm
              id="sla-pause"
              openLabel="Pause clock…"
              submitLabel="Pause clock"
              reasonRequired
              cmd={pauseCmd}
              onSubmit={(reason) => send(pauseCmd, 'post', `${caseUrl}/sla/pause`, { reason })}
            />
          )}
          {sla.paused && (
            <div>
              <button type="button" class="secondary" disabled={resumeCmd.pending} onClick={() => void send(resumeCmd, 'post', `${caseUrl}/sla/resume`, {})}>
                Resume clock
              </button>
              {resumeCmd.error && <ProblemMessage error={resumeCmd.error} title="The clock was not resumed" />}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
