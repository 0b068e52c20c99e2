/**
 * Home (/console): what the signed-in person should look at first — their open tasks (overdue
 * first), the open cases they own, unread notifications, and open cases that are overdue or
 * stalled. Each section loads on its own, so one slow or failing list never hides the others;
 * the page refreshes every 30 s while visible.
 */
import { useState } from 'preact/hooks';
import { api, queryString, seg, type ApiProblem } from '../lib/api';
import { formatDateTime, browserTimeZone } from '../lib/format';
import { useMe } from '../lib/me';
import { useApi, usePolling, useTitle, type Loaded } from '../lib/use-api';
import { Loading, ProblemMessage } from '../components/problem';
import { DueBadge, StalledBadge } from '../components/case-badges';
import type { CaseItem, CaseItemList, NotificationItem, NotificationList, TaskItem, TaskList } from '../components/list-types';
import '../styles/home.css';

const caseHref = (key: string) => `/console/cases/${seg(key)}`;

/**
 * Overdue first, then by due time (none last), then oldest first. The API already answers in
 * this order; sorting again keeps the promise if a page is ever merged from several answers.
 */
export function byUrgency(a: TaskItem, b: TaskItem): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  if (a.dueAt !== b.dueAt) {
    if (!a.dueAt) return 1;
    if (!b.dueAt) return -1;
    return a.dueAt < b.dueAt ? -1 : 1;
  }
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

/** A section's body while it loads, fails or has nothing; `undefined` once there is something to show. */
function placeholder<T>(loaded: Loaded<T>, what: string, isEmpty: (data: T) => boolean, emptyText: string) {
  if (loaded.data === undefined) {
    if (loaded.error) return <ProblemMessage error={loaded.error} title={`Could not load ${what}`} />;
    return <Loading label={`Loading ${what}`} />;
  }
  if (isEmpty(loaded.data)) return <p class="empty">{emptyText}</p>;
  return undefined;
}

function MyTasks({ tasks }: { tasks: Loaded<TaskList> }) {
  const body = placeholder(tasks, 'your tasks', (d) => d.items.length === 0, 'No open tasks for you. Nice.');
  const items = tasks.data ? [...tasks.data.items].sort(byUrgency) : [];
  return (
    <section class="home-section" aria-labelledby="home-tasks">
      <h2 id="home-tasks">
        My tasks {tasks.data && <span class="count">({items.length}{tasks.data.nextCursor ? '+' : ''})</span>}
      </h2>
      {body ?? (
        <ul class="home-list">
          {items.map((t) => (
            <li key={`${t.caseKey}/${t.taskId}`} class={t.overdue ? 'overdue' : undefined}>
              <a href={caseHref(t.caseKey)} class="primary">
                {t.title}
              </a>
              <span class="meta">
                <span class="case-ref">
                  <span class="key">{t.caseKey}</span> {t.caseTitle}
                </span>
                {!t.assignee && t.assigneeRole && <span class="hint">for role {t.assigneeRole}</span>}
              </span>
              <DueBadge dueAt={t.dueAt} overdue={t.overdue} empty="No due date" />
            </li>
          ))}
        </ul>
      )}
      {tasks.error && tasks.data && <ProblemMessage error={tasks.error} title="Could not refresh your tasks" />}
    </section>
  );
}

function CaseRows({ cases }: { cases: CaseItem[] }) {
  return (
    <ul class="home-list">
      {cases.map((c) => (
        <li key={c.id} class={c.overdue ? 'overdue' : undefined}>
          <a href={caseHref(c.id)} class="primary">
            <span class="key">{c.id}</span> {c.title}
          </a>
          <span class="meta">
            <span>Stage {c.stage}</span>
            {c.owner && <span>Owner {c.owner}</span>}
            {typeof c.openTasks === 'number' && c.openTasks > 0 && <span>{c.openTasks === 1 ? '1 open task' : `${c.openTasks} open tasks`}</span>}
            <StalledBadge stalled={c.stalled} />
          </span>
          <DueBadge dueAt={c.dueAt} overdue={c.overdue} />
        </li>
      ))}
    </ul>
  );
}

function MyCases({ cases, meId }: { cases: Loaded<CaseItemList>; meId: string }) {
  const body = placeholder(cases, 'your cases', (d) => d.items.length === 0, 'You own no open cases.');
  return (
    <section class="home-section" aria-labelledby="home-cases">
      <h2 id="home-cases">My cases</h2>
      {body ?? <CaseRows cases={cases.data?.items ?? []} />}
      {cases.data?.nextCursor && (
        <p>
          <a href={`/console/cases${queryString({ owner: meId, status: 'open' })}`}>All my open cases</a>
        </p>
      )}
    </section>
  );
}

function Notifications({ notes, onRead }: { notes: Loaded<NotificationList>; onRead: (n: NotificationItem) => Promise<void> }) {
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<ApiProblem | undefined>();
  const body = placeholder(notes, 'notifications', (d) => d.items.length === 0, 'No unread notifications.');
  const markRead = async (n: NotificationItem) => {
    setBusy(n.id);
    setError(undefined);
    try {
      await onRead(n);
    } catch (err) {
      setError(err as ApiProblem);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section class="home-section" aria-labelledby="home-notes">
      <h2 id="home-notes">Unread notifications</h2>
      <ProblemMessage error={error} title="Could not mark it read" />
      {body ?? (
        <ul class="home-list notes">
          {notes.data?.items.map((n) => (
            <li key={n.id}>
              <span class="primary">
                {n.caseKey ? (
                  <a href={caseHref(n.caseKey)}>{n.subject}</a>
                ) : (
                  <strong>{n.subject}</strong>
                )}
              </span>
              {/* Plain text from the API (Preact escapes it); pre-line keeps its line breaks. */}
              {n.body && <p class="note-body">{n.body}</p>}
              <span class="meta">
                <time dateTime={n.createdAt}>{formatDateTime(n.createdAt)}</time>
              </span>
              <button type="button" class="secondary small" disabled={busy === n.id} onClick={() => void markRead(n)}>
                Mark read<span class="visually-hidden">: {n.subject}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function NeedsAttention({ overdue, stalled }: { overdue: Loaded<CaseItemList>; stalled: Loaded<CaseItemList> }) {
  const overdueBody = placeholder(overdue, 'overdue cases', (d) => d.items.length === 0, 'No open case is overdue.');
  const stalledBody = placeholder(stalled, 'stalled cases', (d) => d.items.length === 0, 'No open case is stalled.');
  return (
    <section class="home-section attention" aria-labelledby="home-attention">
      <h2 id="home-attention">Needs attention</h2>
      <h3 id="home-overdue">Overdue</h3>
      {overdueBody ?? <CaseRows cases={overdue.data?.items ?? []} />}
      {overdue.data?.nextCursor && (
        <p>
          <a href={`/console/cases${queryString({ overdue: 'true', status: 'open' })}`}>All overdue cases</a>
        </p>
      )}
      <h3 id="home-stalled">Stalled</h3>
      <p class="hint">Open cases nobody has touched for the time their template allows.</p>
      {stalledBody ?? <CaseRows cases={stalled.data?.items ?? []} />}
      {stalled.data?.nextCursor && (
        <p>
          <a href={`/console/cases${queryString({ stalled: 'true', status: 'open' })}`}>All stalled cases</a>
        </p>
      )}
    </section>
  );
}

export function Home() {
  const me = useMe();
  useTitle('Home');
  const tasks = useApi<TaskList>('/v1/tasks?status=open&limit=50');
  const myCases = useApi<CaseItemList>(`/v1/cases${queryString({ owner: me.id, status: 'open', limit: 20, sort: 'dueAt' })}`);
  const notes = useApi<NotificationList>('/v1/notifications?unread=true&limit=20');
  const overdue = useApi<CaseItemList>('/v1/cases?overdue=true&status=open&limit=10&sort=dueAt');
  const stalled = useApi<CaseItemList>('/v1/cases?stalled=true&status=open&limit=10&sort=updatedAt');
  // Tasks and notifications arrive without the user doing anything: refresh while the tab is visible.
  usePolling(() => {
    void tasks.reload();
    void myCases.reload();
    void notes.reload();
    void overdue.reload();
    void stalled.reload();
  }, 30_000);

  const markRead = async (n: NotificationItem) => {
    await api.post(`/v1/notifications/${seg(n.id)}/read`);
    // Drop it at once (the answer is authoritative), then refresh in case others arrived meanwhile.
    if (notes.data) notes.set({ ...notes.data, items: notes.data.items.filter((x) => x.id !== n.id) });
    void notes.reload();
  };

  return (
    <main id="main" tabIndex={-1} class="home">
      <h1>Hello, {me.name}</h1>
      <p class="hint">Times are shown in your time zone ({browserTimeZone}).</p>
      <div class="home-grid">
        <MyTasks tasks={tasks} />
        <Notifications notes={notes} onRead={markRead} />
        <MyCases cases={myCases} meId={me.id} />
        <NeedsAttention overdue={overdue} stalled={stalled} />
      </div>
    </main>
  );
}
