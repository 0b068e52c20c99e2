/**
 * Tasks: the list (open first), completing and reopening them, and a form for a new one (title,
 * assignee, due). Completing is offered to whoever may act in the stage, and to the assignee for
 * their own task whatever the stage's permissions (`allowed.completeOwnTasks`).
 */
import { useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import { browserTimeZone, formatDateTime } from '../../lib/format';
import { useMe } from '../../lib/me';
import { seg } from '../../lib/api';
import { knownPeople, stageName, useCase, type CaseTask, type CaseViewForCaller } from './context';
import { ReasonForm } from './reason-form';
import { fromLocalInput } from './sla';
import { inputErrors } from '../../components/input-errors';
import { send, useCommand } from './command';

/** The task a stage's missing criterion names (a checklist key, or a task id when the stage needs all). */
export function taskFor(view: CaseViewForCaller, ref: string): CaseTask | undefined {
  return view.tasks.find((t) => t.taskId === ref) ?? view.tasks.find((t) => t.key === ref && t.stage === view.stage.key);
}

export function TasksSection() {
  const { view, template } = useCase();
  const tasks = [...view.tasks].sort((a, b) => (a.status === b.status ? a.createdAt.localeCompare(b.createdAt) : a.status === 'open' ? -1 : 1));
  const needed = new Set(view.stage.missing.tasks.map((ref) => taskFor(view, ref)?.taskId ?? ref));
  return (
    <section class="card case-section" aria-labelledby="tasks-title">
      <h2 id="tasks-title">
        Tasks <span class="count">({view.tasks.filter((t) => t.status === 'open').length} open)</span>
      </h2>
      {tasks.length === 0 && <p class="hint">No tasks yet.</p>}
      {tasks.length > 0 && (
        <ul class="task-list">
          {tasks.map((t) => (
            <TaskItem key={t.taskId} task={t} needed={needed.has(t.taskId)} stage={stageName(template, t.stage)} />
          ))}
        </ul>
      )}
      {view.allowed.act && <NewTaskForm />}
    </section>
  );
}

function TaskItem({ task, needed, stage }: { task: CaseTask; needed: boolean; stage: string }) {
  const { view, caseUrl } = useCase();
  const me = useMe();
  const complete = useCommand();
  const reopen = useCommand();
  const url = `${caseUrl}/tasks/${seg(task.taskId)}`;
  const mayComplete = task.status === 'open' && (view.allowed.act || (view.allowed.completeOwnTasks && task.assignee === me.id));
  const overdue = task.status === 'open' && task.dueAt !== null && Date.parse(task.dueAt) < Date.parse(view.asOf);
  return (
    <li class={`task ${task.status}${needed ? ' needed' : ''}`}>
      <div class="task-main">
        <span class={`badge ${task.status === 'completed' ? 'ok' : overdue ? 'overdue' : ''}`}>{task.status === 'completed' ? 'Done' : overdue ? 'Overdue' : 'Open'}</span>{' '}
        <strong class="task-title">{task.title}</strong> <span class="hint">{task.taskId}</span>
        {needed && <span class="needed-note"> — needed to leave {view.stage.name}</span>}
      </div>
      <div class="task-meta hint">
        {task.assignee ? `Assigned to ${task.assignee}` : task.assigneeRole ? `For role ${task.assigneeRole}` : 'Unassigned'}
        {task.dueAt && (
          <>
            {' · due '}
            <time dateTime={task.dueAt}>{formatDateTime(task.dueAt)}</time>
          </>
        )}
        {' · '}
        {stage}
        {task.completedAt && ` · completed ${formatDateTime(task.completedAt)}${task.completedBy ? ` by ${task.completedBy}` : ''}`}
      </div>
      {task.description && <p class="task-description">{task.description}</p>}
      <div class="task-actions">
        {mayComplete && (
          <button type="button" disabled={complete.pending} onClick={() => void send(complete, 'post', `${url}/complete`, {})} aria-label={`Complete task: ${task.title}`}>
            {complete.pending ? 'Completing…' : 'Complete'}
          </button>
        )}
        {task.status === 'completed' && view.allowed.act && (
          <ReasonForm
            id={`reopen-${task.taskId}`}
            openLabel={`Reopen…`}
            submitLabel={`Reopen task`}
            reasonRequired
            cmd={reopen}
            onSubmit={(reason) => send(reopen, 'post', `${url}/reopen`, { reason })}
          />
        )}
      </div>
      {complete.error && <ProblemMessage error={complete.error} title="The task was not completed" />}
    </li>
  );
}

function NewTaskForm() {
  const { caseUrl } = useCase();
  const cmd = useCommand();
  const [title, setTitle] = useState('');
  const [assignee, setAssignee] = useState('');
  const [due, setDue] = useState('');
  const { attrs: input, errorLine } = inputErrors(cmd.error);
  return (
    <form
      class="new-task"
      aria-labelledby="new-task-title"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const dueAt = fromLocalInput(due);
        const body = { title: title.trim(), ...(assignee.trim() ? { assignee: assignee.trim() } : {}), ...(dueAt ? { dueAt } : {}) };
        if (await send(cmd, 'post', `${caseUrl}/tasks`, body)) {
          setTitle('');
          setAssignee('');
          setDue('');
        }
      }}
    >
      <h3 id="new-task-title">New task</h3>
      <div class="inline-fields">
        <div class="field">
          <label for="task-title">Title</label>
          <input {...input('task-title', 'title')} type="text" maxLength={300} required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
          {errorLine('task-title', 'title')}
        </div>
        <div class="field">
          <label for="task-assignee">Assignee (user id)</label>
          <input {...input('task-assignee', 'assignee')} type="text" list="case-people" autoComplete="off" value={assignee} onInput={(e) => setAssignee(e.currentTarget.value)} />
          {errorLine('task-assignee', 'assignee')}
        </div>
        <div class="field">
          <label for="task-due">Due ({browserTimeZone})</label>
          <input {...input('task-due', 'dueAt')} type="datetime-local" value={due} onInput={(e) => setDue(e.currentTarget.value)} />
          {errorLine('task-due', 'dueAt')}
        </div>
      </div>
      {cmd.error && <ProblemMessage error={cmd.error} title="The task was not created" />}
      <button type="submit" disabled={cmd.pending}>
        {cmd.pending ? 'Creating…' : 'Create task'}
      </button>
    </form>
  );
}

/** Suggestions for user-id inputs (`list="case-people"`): the owner and internal participants. */
export function PeopleList() {
  const { view } = useCase();
  return (
    <datalist id="case-people">
      {knownPeople(view).map((p) => (
        <option key={p.id} value={p.id}>
          {p.name} ({p.note})
        </option>
      ))}
    </datalist>
  );
}
