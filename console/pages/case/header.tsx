/** The case's header: key and title, status, owner, template, the stage stepper and the SLA clock. */
import { formatDateTime, formatRelative } from '../../lib/format';
import { useCase } from './context';
import { SlaClock } from './sla';

const STATUS_LABEL = { open: 'Open', closed: 'Closed', cancelled: 'Cancelled' } as const;

export function CaseHeader() {
  const { view } = useCase();
  return (
    <header class="case-header">
      <p class="breadcrumb">
        <a href="/console/cases">Cases</a> › <a href={`/console/boards/${encodeURIComponent(view.template.key)}`}>{view.template.name}</a> › {view.id}
      </p>
      <div class="case-title-row">
        <h1>
          <span class="case-key">{view.id}</span> {view.title}
        </h1>
        <span class={`badge status-${view.status}`}>{STATUS_LABEL[view.status]}</span>
        {view.overdue && <span class="badge overdue">Overdue</span>}
        {view.stalled && <span class="badge due">Stalled</span>}
      </div>
      <dl class="case-facts">
        <div>
          <dt>Owner</dt>
          <dd>{view.owner ?? 'Nobody'}</dd>
        </div>
        <div>
          <dt>Stage</dt>
          <dd>
            {view.stage.name} <span class="hint">since {formatDateTime(view.stage.enteredAt)}</span>
          </dd>
        </div>
        <div>
          <dt>Template</dt>
          <dd>
            {view.template.name} v{view.template.version}
          </dd>
        </div>
        <div>
          <dt>Opened</dt>
          <dd>
            <time dateTime={view.createdAt}>{formatDateTime(view.createdAt)}</time>
          </dd>
        </div>
        {view.status !== 'open' && (
          <div>
            <dt>{view.status === 'closed' ? 'Closed' : 'Cancelled'}</dt>
            <dd>
              {formatDateTime(view.closedAt)}
              {view.statusReason ? ` — ${view.statusReason}` : ''}
            </dd>
          </div>
        )}
        {view.dueAt && (
          <div>
            <dt>Next due</dt>
            <dd>
              <time dateTime={view.dueAt}>{formatDateTime(view.dueAt)}</time> <span class="hint">({formatRelative(view.dueAt, Date.parse(view.asOf))})</span>
            </dd>
          </div>
        )}
      </dl>
      <StageStepper />
      {/* A new clock (another stage, re-entered) starts its form afresh. */}
      <SlaClock key={view.sla ? `${view.sla.stage}@${view.sla.startedAt}` : 'none'} />
    </header>
  );
}

const POSITION_TEXT = { past: 'done', current: 'current stage', upcoming: 'to come' } as const;

function StageStepper() {
  const { view } = useCase();
  return (
    <ol class="stepper" aria-label="Stages">
      {view.stages.map((s, i) => (
        <li key={s.key} class={`step ${s.position}`} aria-current={s.position === 'current' ? 'step' : undefined}>
          <span class="step-number" aria-hidden="true">
            {s.position === 'past' ? '✓' : i + 1}
          </span>
          <span class="step-name">{s.name}</span>
          <span class="visually-hidden"> ({POSITION_TEXT[s.position]})</span>
        </li>
      ))}
    </ol>
  );
}
