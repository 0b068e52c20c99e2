/**
 * /console/templates/:key[/versions/:version]: one version of a template, written out for people
 * who run cases rather than for its author — stages in order with what it takes to leave each, who
 * may act, the clocks, then fields, documents, rules and generated documents. The YAML is one click
 * away ("Publish a new version" starts from it).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { seg } from '../../lib/api';
import { browserTimeZone, formatDateTime } from '../../lib/format';
import { isAdmin, useMe } from '../../lib/me';
import { type DocumentSlot, type FieldDefinition, type PublishedTemplate, type StageDefinition, type TemplateDefinition } from '../../lib/types';
import { useApi, useTitle } from '../../lib/use-api';
import { Loading, ProblemMessage } from '../../components/problem';
import { takeNotice } from './notice';

type Automation = TemplateDefinition['automations'][number];
type Action = Automation['do'][number];
type Escalation = NonNullable<StageDefinition['sla']>['escalations'][number];

/** Looks keys up by what people call them: "Full name (fullName)". */
interface Names {
  field: (key: string) => ComponentChildren;
  slot: (key: string) => ComponentChildren;
  stage: (key: string) => ComponentChildren;
  task: (stage: StageDefinition, key: string) => ComponentChildren;
}

function named(label: string | undefined, key: string): ComponentChildren {
  return label && label !== key ? (
    <>
      {label} <code class="tpl-key">{key}</code>
    </>
  ) : (
    <code class="tpl-key">{key}</code>
  );
}

function namesOf(t: TemplateDefinition): Names {
  const fields = new Map(t.fields.map((f) => [f.key, f.label]));
  const slots = new Map(t.documents.map((d) => [d.key, d.label]));
  const stages = new Map(t.stages.map((s) => [s.key, s.name]));
  return {
    field: (k) => named(fields.get(k), k),
    slot: (k) => named(slots.get(k), k),
    stage: (k) => named(stages.get(k), k),
    task: (stage, k) => named(stage.tasks.find((task) => task.key === k)?.title, k),
  };
}

/** A run of rendered items, comma-separated (badges, which are boxes already, by spaces only). */
function joined(items: ComponentChildren[], separator = ', '): ComponentChildren {
  return items.map((item, i) => (
    <span key={i}>
      {i > 0 && separator}
      {item}
    </span>
  ));
}

const badges = (roles: string[]) => joined(roles.map((r) => <span class="badge">{r}</span>), ' ');

function roleList(roles: string[] | undefined, absent: string): ComponentChildren {
  if (roles === undefined) return <span class="tpl-muted">{absent}</span>;
  if (roles.length === 0) return <span class="tpl-muted">nobody but admins</span>;
  return badges(roles);
}

const recipients = (to: string | string[]) => (Array.isArray(to) ? to : [to]).join(', ');

const COMPARISONS = new Set(['==', '===', '!=', '!==', '<', '<=', '>', '>=', 'in']);

/**
 * A JSONLogic condition as a line of text: `fields.contractType == "contractor" and not fields.remote`.
 * Operators it does not know are written as calls; anything long is cut (the YAML has the rest).
 */
export function logicText(rule: unknown, nested = false): string {
  if (rule === null || typeof rule !== 'object') return JSON.stringify(rule) ?? String(rule);
  if (Array.isArray(rule)) return `[${rule.map((r) => logicText(r, true)).join(', ')}]`;
  const entries = Object.entries(rule as Record<string, unknown>);
  if (entries.length !== 1) return JSON.stringify(rule);
  const [op, raw] = entries[0]!;
  const args = Array.isArray(raw) ? raw : [raw];
  const wrap = (text: string) => (nested ? `(${text})` : text);
  if (op === 'var') return String(args[0] ?? 'data');
  if (op === 'and' || op === 'or') return wrap(args.map((a) => logicText(a, true)).join(` ${op} `));
  if (op === '!') return `not ${logicText(args[0], true)}`;
  if (op === '!!') return `${logicText(args[0], true)} is set`;
  if (op === 'missing') return `${args.map((a) => logicText(a, true)).join(', ')} missing`;
  if ((op === '<' || op === '<=') && args.length === 3) return wrap(`${logicText(args[0], true)} ${op} ${logicText(args[1], true)} ${op} ${logicText(args[2], true)}`);
  if (COMPARISONS.has(op) && args.length === 2) return wrap(`${logicText(args[0], true)} ${op} ${logicText(args[1], true)}`);
  if (op === 'if' && args.length >= 2) return wrap(`if ${logicText(args[0], true)} then ${logicText(args[1], true)}${args.length > 2 ? ` else ${logicText(args[2], true)}` : ''}`);
  return `${op}(${args.map((a) => logicText(a, true)).join(', ')})`;
}

const MAX_CONDITION = 300;
function conditionSummary(rule: unknown): string {
  const text = logicText(rule);
  return text.length > MAX_CONDITION ? `${text.slice(0, MAX_CONDITION)}…` : text;
}

function ActionText({ action, names }: { action: Action; names: Names }) {
  if ('email' in action)
    return (
      <>
        E-mail <q>{action.email.subject}</q> to {recipients(action.email.to)}
      </>
    );
  if ('notify' in action)
    return (
      <>
        Notify {recipients(action.notify.to)}
        {action.notify.subject && (
          <>
            : <q>{action.notify.subject}</q>
          </>
        )}
      </>
    );
  if ('createTask' in action) {
    const t = action.createTask;
    return (
      <>
        Create the task <q>{t.title}</q>
        {t.assignee && <> for {t.assignee}</>}
        {t.assigneeRole && <> for the {t.assigneeRole} role</>}
        {t.due && <>, due in {t.due}</>}
      </>
    );
  }
  if ('advance' in action)
    return (
      <>
        Move the case to {names.stage(action.advance.to)}
        {action.advance.reason && <> ({action.advance.reason})</>}
      </>
    );
  if ('assign' in action) return <>Make {action.assign.role ? `the first ${action.assign.role} participant` : action.assign.user} the owner</>;
  if ('setField' in action)
    return (
      <>
        Set {names.field(action.setField.field)} to <code>{JSON.stringify(action.setField.value)}</code>
      </>
    );
  if ('webhook' in action)
    return (
      <>
        Call the webhook <code>{action.webhook.url}</code>
      </>
    );
  return <>Generate the document {action.generateDocument.template}</>;
}

function Actions({ actions, names }: { actions: Action[]; names: Names }) {
  if (actions.length === 0) return <span class="tpl-muted">records the event only</span>;
  return (
    <ol class="tpl-actions-list">
      {actions.map((a, i) => (
        <li key={i}>
          <ActionText action={a} names={names} />
        </li>
      ))}
    </ol>
  );
}

function escalationText(e: Escalation): string {
  const times = e.times ?? (e.every ? undefined : 1);
  let text = `${e.after} after the deadline`;
  if (e.every) text += `, then every ${e.every}`;
  if (times !== undefined) text += times === 1 ? ', once' : `, ${times} times at most`;
  else text += ' (up to 100 times)';
  return text;
}

function ExitCriteria({ stage, names }: { stage: StageDefinition; names: Names }) {
  const exit = stage.exit;
  const tasks = exit?.tasks ?? [];
  const rows: ComponentChildren[] = [];
  if (exit?.fields.length) rows.push(<li key="f">Fields filled in: {joined(exit.fields.map(names.field))}</li>);
  if (exit?.documents.length) rows.push(<li key="d">Documents uploaded: {joined(exit.documents.map(names.slot))}</li>);
  if (exit?.approved.length) rows.push(<li key="a">Documents approved: {joined(exit.approved.map(names.slot))}</li>);
  if (tasks === 'all') rows.push(<li key="t">Every task created in the stage completed</li>);
  else if (tasks.length) rows.push(<li key="t">Tasks completed: {joined(tasks.map((k) => names.task(stage, k)))}</li>);
  if (rows.length === 0) return <span class="tpl-muted">{stage.terminal ? 'none (a terminal stage)' : 'none: the case may move on at any time'}</span>;
  return <ul class="tpl-criteria">{rows}</ul>;
}

function Sla({ stage, names }: { stage: StageDefinition; names: Names }) {
  const sla = stage.sla;
  if (!sla || (!sla.goal && !sla.deadline && sla.escalations.length === 0)) return <span class="tpl-muted">no clock</span>;
  return (
    <ul class="tpl-criteria">
      {sla.goal && <li>Goal: {sla.goal}</li>}
      {sla.deadline && <li>Deadline: {sla.deadline}</li>}
      {sla.escalations.map((e, i) => (
        <li key={i}>
          Escalation {i + 1}: {escalationText(e)}
          <Actions actions={e.do} names={names} />
        </li>
      ))}
    </ul>
  );
}

function StageCard({ stage, index, names, transitions }: { stage: StageDefinition; index: number; names: Names; transitions: TemplateDefinition['transitions'] }) {
  const targets = transitions?.find((t) => t.from === stage.key)?.to;
  const headingId = `tpl-stage-${index}`;
  return (
    <li class="card tpl-stage">
      <h3 id={headingId}>
        <span class="tpl-stage-number">{index + 1}.</span> {stage.name ?? stage.key} <code class="tpl-key">{stage.key}</code>
        {stage.terminal && (
          <>
            {' '}
            <span class="badge ok">terminal</span>
          </>
        )}
      </h3>
      <dl class="tpl-dl">
        {stage.publicName && stage.publicName !== stage.name && (
          <>
            <dt>On the portal</dt>
            <dd>{stage.publicName}</dd>
          </>
        )}
        {stage.owner && (
          <>
            <dt>Owner role</dt>
            <dd>
              <span class="badge">{stage.owner}</span>
            </dd>
          </>
        )}
        <dt>To leave it</dt>
        <dd>
          <ExitCriteria stage={stage} names={names} />
        </dd>
        <dt>SLA</dt>
        <dd>
          <Sla stage={stage} names={names} />
        </dd>
        <dt>May act</dt>
        <dd>{roleList(stage.permissions?.act, 'everyone who sees the case')}</dd>
        <dt>May comment</dt>
        <dd>{roleList(stage.permissions?.comment, 'everyone who sees the case')}</dd>
        {transitions && (
          <>
            <dt>Moves to</dt>
            <dd>{targets ? joined(targets.map(names.stage)) : <span class="tpl-muted">any stage (not listed in transitions)</span>}</dd>
          </>
        )}
        <dt>Checklist</dt>
        <dd>
          {stage.tasks.length === 0 ? (
            <span class="tpl-muted">no tasks</span>
          ) : (
            <ul class="tpl-criteria">
              {stage.tasks.map((task) => (
                <li key={task.key}>
                  {task.title} <code class="tpl-key">{task.key}</code>
                  {task.assigneeRole && <> · for {task.assigneeRole}</>}
                  {task.due && <> · due in {task.due}</>}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </li>
  );
}

function sensitivity(item: FieldDefinition | DocumentSlot): ComponentChildren {
  if (!item.sensitive) return <span class="tpl-muted">no</span>;
  return (
    <>
      <span class="badge due">sensitive</span> visible to {item.visibleTo?.length ? item.visibleTo.join(', ') : 'admins and auditors only'}
    </>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="tpl-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function Definition({ t }: { t: TemplateDefinition }) {
  const names = namesOf(t);
  return (
    <>
      <Section id="tpl-overview" title="Overview">
        {t.description && <p class="tpl-description">{t.description}</p>}
        <dl class="tpl-dl card">
          <dt>Roles</dt>
          <dd>{t.roles.length ? badges(t.roles) : <span class="tpl-muted">none declared</span>}</dd>
          <dt>See every case</dt>
          <dd>{roleList(t.permissions?.view, 'admins and auditors; each case also its owner and internal participants')}</dd>
          <dt>May start a case</dt>
          <dd>{roleList(t.permissions?.start, t.roles.length ? 'any declared role' : 'anyone')}</dd>
          <dt>Business calendar</dt>
          <dd>
            {t.calendar ? (
              <>
                {t.calendar.workingDays.join(', ')}, {t.calendar.workingHours.start}–{t.calendar.workingHours.end} in {t.calendar.timeZone}
                {t.calendar.holidays.length > 0 && <>; {t.calendar.holidays.length} holidays</>}
              </>
            ) : (
              <span class="tpl-muted">Mon–Fri 09:00–17:00 UTC (the default)</span>
            )}
          </dd>
          {t.inactivity && (
            <>
              <dt>Stalled after</dt>
              <dd>{t.inactivity} without activity</dd>
            </>
          )}
        </dl>
      </Section>

      <Section id="tpl-stages" title={`Stages (${t.stages.length})`}>
        <ol class="tpl-stages">
          {t.stages.map((s, i) => (
            <StageCard key={s.key} stage={s} index={i} names={names} transitions={t.transitions} />
          ))}
        </ol>
      </Section>

      <Section id="tpl-transitions" title="Transitions">
        {t.transitions?.length ? (
          <>
            <p class="hint">A listed stage may move only to its targets; stages not listed may move anywhere. A move back or a skip needs a reason.</p>
            <table class="tpl-table">
              <thead>
                <tr>
                  <th scope="col">From</th>
                  <th scope="col">May move to</th>
                </tr>
              </thead>
              <tbody>
                {t.transitions.map((tr) => (
                  <tr key={tr.from}>
                    <th scope="row">{names.stage(tr.from)}</th>
                    <td>{joined(tr.to.map(names.stage))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          <p class="tpl-muted">None listed: any stage may move to any other (forward needs the exit criteria; back or skipping needs a reason).</p>
        )}
      </Section>

      <Section id="tpl-fields" title={`Fields (${t.fields.length})`}>
        {t.fields.length === 0 ? (
          <p class="tpl-muted">No fields.</p>
        ) : (
          <div class="tpl-table-wrap">
            <table class="tpl-table">
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Type</th>
                  <th scope="col">Required</th>
                  <th scope="col">Options</th>
                  <th scope="col">On the portal</th>
                  <th scope="col">Sensitive</th>
                </tr>
              </thead>
              <tbody>
                {t.fields.map((f) => (
                  <tr key={f.key}>
                    <th scope="row">
                      {names.field(f.key)}
                      {f.description && <div class="hint">{f.description}</div>}
                    </th>
                    <td>{f.type}</td>
                    <td>{f.required ? 'required' : <span class="tpl-muted">no</span>}</td>
                    <td>{f.options ? f.options.join(', ') : <span class="tpl-muted">—</span>}</td>
                    <td>{f.external ? 'filled in by the participant' : <span class="tpl-muted">no</span>}</td>
                    <td>{sensitivity(f)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section id="tpl-documents" title={`Document slots (${t.documents.length})`}>
        {t.documents.length === 0 ? (
          <p class="tpl-muted">No document slots.</p>
        ) : (
          <div class="tpl-table-wrap">
            <table class="tpl-table">
              <thead>
                <tr>
                  <th scope="col">Slot</th>
                  <th scope="col">Required</th>
                  <th scope="col">On the portal</th>
                  <th scope="col">File types</th>
                  <th scope="col">Sensitive</th>
                </tr>
              </thead>
              <tbody>
                {t.documents.map((d) => (
                  <tr key={d.key}>
                    <th scope="row">{names.slot(d.key)}</th>
                    <td>{d.required ? 'required' : <span class="tpl-muted">no</span>}</td>
                    <td>{d.external ? 'uploaded by the participant' : <span class="tpl-muted">no</span>}</td>
                    <td>{d.contentTypes?.length ? d.contentTypes.join(', ') : <span class="tpl-muted">any</span>}</td>
                    <td>{sensitivity(d)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>

      <Section id="tpl-automations" title={`Automations (${t.automations.length})`}>
        {t.automations.length === 0 ? (
          <p class="tpl-muted">No automation rules.</p>
        ) : (
          <ol class="tpl-rules">
            {t.automations.map((a, i) => (
              <li key={i} class="card">
                <h3>{a.name ?? `Rule ${i + 1}`}</h3>
                <dl class="tpl-dl">
                  <dt>When</dt>
                  <dd>
                    <code>{a.on}</code>
                    {a.stage && <> in {names.stage(a.stage)}</>}
                    {a.field && <> for {names.field(a.field)}</>}
                    {a.document && <> for {names.slot(a.document)}</>}
                    {a.decision && (
                      <>
                        {' '}
                        with the decision <q>{a.decision}</q>
                      </>
                    )}
                  </dd>
                  <dt>If</dt>
                  <dd>{a.if === undefined ? <span class="tpl-muted">always</span> : <code class="tpl-condition">{conditionSummary(a.if)}</code>}</dd>
                  <dt>Then</dt>
                  <dd>
                    <Actions actions={a.do} names={names} />
                  </dd>
                </dl>
              </li>
            ))}
          </ol>
        )}
      </Section>

      <Section id="tpl-doc-templates" title={`Document templates (${t.documentTemplates.length})`}>
        {t.documentTemplates.length === 0 ? (
          <p class="tpl-muted">No generated documents.</p>
        ) : (
          <ul class="tpl-rules">
            {t.documentTemplates.map((d) => (
              <li key={d.key} class="card">
                <h3>
                  {d.title} <code class="tpl-key">{d.key}</code>
                </h3>
                <p>
                  A PDF saved as a new version of {names.slot(d.slot)}
                  {d.fileName && (
                    <>
                      , named <code>{d.fileName}</code>
                    </>
                  )}
                  .
                </p>
                <details>
                  <summary>Text of {d.key}</summary>
                  <pre class="tpl-body">{d.body}</pre>
                </details>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function VersionPicker({ templateKey, versions, shown }: { templateKey: string; versions: PublishedTemplate[]; shown: number }) {
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);
  const latest = newestFirst[0]?.version;
  return (
    <nav class="card tpl-versions" aria-labelledby="tpl-versions-title">
      <h2 id="tpl-versions-title">Versions</h2>
      <p class="hint">Published times in {browserTimeZone}. Cases keep the version they started with.</p>
      <ol>
        {newestFirst.map((v) => (
          <li key={v.version}>
            <a href={`/console/templates/${seg(templateKey)}/versions/${v.version}`} aria-current={v.version === shown ? 'page' : undefined}>
              Version {v.version}
            </a>
            {v.version === latest && (
              <>
                {' '}
                <span class="badge ok">latest</span>
              </>
            )}
            <span class="tpl-version-meta">
              <time dateTime={v.publishedAt}>{formatDateTime(v.publishedAt)}</time>
              {v.publishedBy && <> by {v.publishedBy}</>}
            </span>
          </li>
        ))}
      </ol>
    </nav>
  );
}

export function TemplatePage() {
  const { params } = useRoute();
  const key = params.key ?? '';
  const version = params.version;
  const me = useMe();
  const url = version ? `/v1/templates/${seg(key)}/versions/${seg(version)}` : `/v1/templates/${seg(key)}`;
  const shown = useApi<PublishedTemplate>(url);
  const versions = useApi<{ items: PublishedTemplate[] }>(`/v1/templates/${seg(key)}/versions`);
  const template = shown.data;
  useTitle(template ? `${template.name} v${template.version}` : 'Template');

  // "Published version N": left by the publish form for exactly this page, shown once, and only
  // while this URL is shown (moving to another version drops it).
  const { path } = useLocation();
  const [notice, setNotice] = useState<{ url: string; text: string } | undefined>(() => {
    const text = takeNotice(path);
    return text ? { url, text } : undefined;
  });
  useEffect(() => {
    const text = takeNotice(path);
    if (text) setNotice({ url, text });
  }, [url]);
  const noticeText = notice?.url === url ? notice.text : undefined;
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    // The form that published is gone: move focus to what happened, so it is read out and the keyboard starts here.
    if (noticeText) noticeRef.current?.focus();
  }, [noticeText]);

  const latest = versions.data?.items.reduce((max, v) => Math.max(max, v.version), 0);
  const isLatest = template && latest !== undefined ? template.version === latest : undefined;

  return (
    <main id="main" tabIndex={-1} class="tpl">
      <p class="tpl-crumbs">
        <a href="/console/templates">Templates</a> <span aria-hidden="true">›</span> {template?.name ?? key}
      </p>
      {noticeText && (
        <p class="notice" role="status" tabIndex={-1} ref={noticeRef}>
          {noticeText}
        </p>
      )}
      <ProblemMessage error={shown.error} title={shown.error?.status === 404 ? 'No such template or version' : undefined} />
      {shown.loading && !template && <Loading label="Loading the template" />}
      {template && (
        <>
          <div class="tpl-head">
            <div>
              <h1>{template.name}</h1>
              <p class="tpl-subtitle">
                <code class="tpl-key">{template.key}</code> · cases <code>{template.prefix}-…</code> · <strong>Version {template.version}</strong>
                {isLatest === true && (
                  <>
                    {' '}
                    <span class="badge ok">latest</span>
                  </>
                )}
                {isLatest === false && (
                  <>
                    {' '}
                    (<a href={`/console/templates/${seg(template.key)}`}>latest is version {latest}</a>)
                  </>
                )}{' '}
                · published <time dateTime={template.publishedAt}>{formatDateTime(template.publishedAt)}</time>
                {template.publishedBy && <> by {template.publishedBy}</>}
              </p>
            </div>
            <div class="tpl-actions">
              <a class="button" href={`/console/boards/${seg(template.key)}`}>
                Open board
              </a>
              <a class="button secondary" href={`/console/cases/new?template=${seg(template.key)}`}>
                Start a case
              </a>
              {isAdmin(me) ? (
                <a class="button secondary" href={`/console/templates/new?from=${seg(template.key)}&version=${template.version}`}>
                  Publish a new version
                </a>
              ) : (
                <span class="hint">Publishing a new version needs the admin role.</span>
              )}
            </div>
          </div>
          <div class="tpl-layout">
            <div class="tpl-body-col">
              <Definition t={template.definition} />
            </div>
            <div class="tpl-side">
              {versions.data ? (
                <VersionPicker templateKey={template.key} versions={versions.data.items} shown={template.version} />
              ) : (
                <ProblemMessage error={versions.error} title="The versions could not be listed" />
              )}
            </div>
          </div>
        </>
      )}
    </main>
  );
}
