/**
 * The service's business metrics (Prometheus, prom-client). Each fact is counted once, where it
 * becomes a fact, whatever process that is:
 *
 * - Timeline facts (cases started, closed, cancelled; SLA clocks, misses and escalations;
 *   automation runs and failures) when their event is first stored in the read model — by the API
 *   for a command's answer, by the worker's projection activity for the rest. A duplicate write
 *   stores nothing and counts nothing, so summing the processes gives each fact once.
 * - E-mail and webhook attempts in the activities that make them, with the attempt number.
 * - Commands by outcome where they are sent to a case: by the API (api/case-client.ts), by the
 *   worker for bulk actions and migrations (activities/batch.ts); portal link use in the portal.
 *
 * Labels stay bounded: template keys, stage keys, event types, action names, outcomes and problem
 * codes — never a case key, a user or a URL. README "Metrics" lists every name.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import type { CaseEvent, CaseEventType } from '../domain/events';

const SLA_EVENTS = ['sla.started', 'sla.goal_missed', 'sla.deadline_missed', 'sla.escalated'] as const;
type SlaEventType = (typeof SLA_EVENTS)[number];
const isSlaEvent = (event: CaseEvent): event is Extract<CaseEvent, { type: SlaEventType }> => (SLA_EVENTS as readonly string[]).includes(event.type);

/** Who wrote events to the read model: the API (a command's answer) or the worker (the projection activity). */
export type ProjectionWriter = 'api' | 'worker';

export type EmailOutcome = 'sent' | 'outbox' | 'duplicate' | 'rejected' | 'transient_failure' | 'error';
export type WebhookOutcome = 'delivered' | 'duplicate' | 'rejected' | 'host_not_allowed' | 'transient_failure' | 'error';
export type CommandOutcome = 'applied' | 'accepted' | 'rejected' | 'failed';
export type PortalAction = 'view' | 'upload' | 'form';
export type PortalOutcome = 'opened' | 'expired' | 'invalid';

/** Automation actions a template can name (domain/schemas/template.ts); anything else is counted as `other`. */
const ACTIONS = new Set(['email', 'notify', 'createTask', 'advance', 'assign', 'setField', 'webhook', 'generateDocument']);
const actionLabel = (action: string | undefined) => (action === undefined ? 'rule' : ACTIONS.has(action) ? action : 'other');

/** Attempts beyond the tenth share a label, so a long retry loop cannot grow the series. */
const attemptLabel = (attempt: number) => (attempt >= 10 ? '10+' : String(Math.max(1, Math.floor(attempt))));

/** Seconds; events written at once land in the first buckets, the workflow's grace (PROJECTION_GRACE_MS) and a read-model outage at the end. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** The metrics of one process, in their own registry (the API merges it with its HTTP metrics; the worker with the SDK's). */
export class CaseMetrics {
  readonly registry: Registry;
  private readonly events: Counter<'template' | 'type'>;
  /** Event types that are a fact of their own, counted by template. */
  private readonly perTemplate: Partial<Record<CaseEventType, Counter<'template'>>>;
  /** SLA events, counted by template and the stage whose clock it is. */
  private readonly perStage: Partial<Record<SlaEventType, Counter<'template' | 'stage'>>>;
  private readonly automationRuns: Counter<'template'>;
  private readonly automationActions: Counter<'template' | 'action'>;
  private readonly automationFailures: Counter<'template' | 'action'>;
  private readonly lag: Histogram<'writer'>;
  private readonly commands: Counter<'command' | 'outcome' | 'code'>;
  private readonly emails: Counter<'outcome' | 'attempt'>;
  private readonly webhooks: Counter<'outcome' | 'attempt'>;
  private readonly portal: Counter<'action' | 'outcome'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
    this.perTemplate = {
      'case.created': counter('cases_started_total', 'Cases opened (case.created), by template', ['template']),
      'case.closed': counter('cases_closed_total', 'Cases closed (case.closed), by template', ['template']),
      'case.cancelled': counter('cases_cancelled_total', 'Cases cancelled (case.cancelled), by template', ['template']),
      'case.reopened': counter('cases_reopened_total', 'Cases reopened (case.reopened), by template', ['template']),
    };
    this.events = counter('case_events_recorded_total', 'Timeline events stored in the read model for the first time, by template and event type', ['template', 'type']);
    this.perStage = {
      'sla.started': counter('case_sla_clocks_started_total', 'SLA clocks started (sla.started: a stage with an SLA was entered), by template and stage', ['template', 'stage']),
      'sla.goal_missed': counter('case_sla_goal_missed_total', 'SLA goals missed (sla.goal_missed), by template and stage', ['template', 'stage']),
      'sla.deadline_missed': counter('case_sla_deadline_missed_total', 'SLA deadlines missed (sla.deadline_missed), by template and stage', ['template', 'stage']),
      'sla.escalated': counter('case_sla_escalations_total', 'SLA escalation levels reached (sla.escalated), by template and stage', ['template', 'stage']),
    };
    this.automationRuns = counter('case_automation_runs_total', 'Automation rules that ran (automation.ran), by template', ['template']);
    this.automationActions = counter('case_automation_actions_total', 'Actions of the automation rules that ran, by template and action', ['template', 'action']);
    this.automationFailures = counter(
      'case_automation_failures_total',
      'Automation failures (automation.failed), by template and action (`rule` when the rule itself failed: condition, depth, budget)',
      ['template', 'action'],
    );
    this.lag = new Histogram({
      name: 'case_projection_lag_seconds',
      help: 'Time from an event to its first storage in the read model (now - event time), by writer (api: a command answer; worker: the projection activity)',
      labelNames: ['writer'],
      buckets: LAG_BUCKETS,
      registers,
    });
    this.commands = counter(
      'case_commands_total',
      'Case commands sent to cases (by the API: command endpoints, document uploads and reviews, the portal form; by the worker: bulk actions and migrations), by command type, outcome (applied: 200, accepted: 202, rejected: 4xx, failed: 5xx) and problem code (empty when applied or accepted)',
      ['command', 'outcome', 'code'],
    );
    this.emails = counter(
      'case_email_deliveries_total',
      'E-mail delivery attempts by outcome (sent, outbox, duplicate: already sent earlier, rejected, transient_failure: retried, error) and activity attempt',
      ['outcome', 'attempt'],
    );
    this.webhooks = counter(
      'case_webhook_deliveries_total',
      'Webhook delivery attempts by outcome (delivered, duplicate: delivered earlier, rejected, host_not_allowed, transient_failure: retried, error) and activity attempt',
      ['outcome', 'attempt'],
    );
    this.portal = counter('case_portal_requests_total', 'Portal magic-link requests by action (view, upload, form) and outcome (opened, expired, invalid)', ['action', 'outcome']);
  }

  /** Events just stored in the read model for the first time (never re-sent duplicates), by the case's template. */
  eventsStored(template: string, events: readonly CaseEvent[], writer: ProjectionWriter, now = Date.now()): void {
    for (const event of events) {
      this.events.inc({ template, type: event.type });
      const at = Date.parse(event.at);
      if (Number.isFinite(at)) this.lag.observe({ writer }, Math.max(0, now - at) / 1000);
      this.perTemplate[event.type]?.inc({ template });
      if (isSlaEvent(event)) this.perStage[event.type]?.inc({ template, stage: event.data.stage });
      if (event.type === 'automation.ran') {
        this.automationRuns.inc({ template });
        for (const action of event.data.actions) this.automationActions.inc({ template, action: actionLabel(action) });
      } else if (event.type === 'automation.failed') {
        this.automationFailures.inc({ template, action: actionLabel(event.data.action) });
      }
    }
  }

  commandFinished(command: string, outcome: CommandOutcome, code = ''): void {
    this.commands.inc({ command, outcome, code });
  }

  emailAttempt(outcome: EmailOutcome, attempt: number): void {
    this.emails.inc({ outcome, attempt: attemptLabel(attempt) });
  }

  webhookAttempt(outcome: WebhookOutcome, attempt: number): void {
    this.webhooks.inc({ outcome, attempt: attemptLabel(attempt) });
  }

  portalRequest(action: PortalAction, outcome: PortalOutcome): void {
    this.portal.inc({ action, outcome });
  }
}
