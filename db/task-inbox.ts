import { and, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Actor } from '../domain/actor';
import type { Database } from './connection';
import { decodeOffsetCursor, encodeOffsetCursor, MAX_OFFSET } from './keyset';
import { visibleTo } from './read-model';
import { cases, tasks } from './schema';

/**
 * The task inbox: tasks across every case the caller may see that are theirs to do — assigned to
 * them, or unassigned and meant for one of their roles — overdue first, then by due date.
 */
export type TaskScope = 'mine' | 'assigned' | 'role';

export interface TaskInboxFilter {
  scope?: TaskScope;
  status?: 'open' | 'completed';
  overdue?: boolean;
  limit?: number;
  cursor?: string;
}

export interface InboxTask {
  caseKey: string;
  caseTitle: string;
  template: { key: string; version: number };
  taskId: string;
  key?: string;
  title: string;
  assignee: string | null;
  assigneeRole: string | null;
  dueAt: string | null;
  overdue: boolean;
  stage: string;
  status: 'open' | 'completed';
  createdAt: string;
}

export async function listInboxTasks(db: Database, viewer: Actor, filter: TaskInboxFilter): Promise<{ items: InboxTask[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
  const scope = filter.scope ?? 'mine';
  const status = filter.status ?? 'open';
  const order = `${scope}:${status}:${filter.overdue ?? ''}`;
  const offset = filter.cursor !== undefined ? decodeOffsetCursor(filter.cursor, order) : 0;

  const assignedToMe = eq(tasks.assignee, viewer.id);
  const forMyRoles = viewer.roles.length > 0 ? and(isNull(tasks.assignee), inArray(tasks.assigneeRole, viewer.roles)) : sql`false`;
  const mine = scope === 'assigned' ? assignedToMe : scope === 'role' ? forMyRoles : or(assignedToMe, forMyRoles);
  const conditions: Array<SQL | undefined> = [mine, eq(tasks.status, status), visibleTo(viewer)];
  // Tasks of closed or cancelled cases are nobody's work any more.
  if (status === 'open') conditions.push(eq(cases.status, 'open'));
  if (filter.overdue === true) conditions.push(sql`${tasks.dueAt} <= now()`);
  if (filter.overdue === false) conditions.push(sql`(${tasks.dueAt} is null or ${tasks.dueAt} > now())`);

  const rows = await db
    .select({
      caseKey: tasks.caseKey,
      caseTitle: cases.title,
      templateKey: cases.templateKey,
      templateVersion: cases.templateVersion,
      taskId: tasks.taskId,
      key: tasks.key,
      title: tasks.title,
      assignee: tasks.assignee,
      assigneeRole: tasks.assigneeRole,
      dueAt: tasks.dueAt,
      stage: tasks.stage,
      status: tasks.status,
      createdAt: tasks.createdAt,
    })
    .from(tasks)
    .innerJoin(cases, eq(cases.key, tasks.caseKey))
    .where(and(...conditions))
    .orderBy(sql`(${tasks.dueAt} is not null and ${tasks.dueAt} <= now()) desc`, sql`${tasks.dueAt} asc nulls last`, tasks.createdAt, tasks.caseKey, tasks.taskId)
    .offset(offset)
    .limit(limit + 1);
  const now = Date.now();
  const items = rows.slice(0, limit).map((r) => ({
    caseKey: r.caseKey,
    caseTitle: r.caseTitle,
    template: { key: r.templateKey, version: r.templateVersion },
    taskId: r.taskId,
    ...(r.key ? { key: r.key } : {}),
    title: r.title,
    assignee: r.assignee,
    assigneeRole: r.assigneeRole,
    dueAt: r.dueAt ? r.dueAt.toISOString() : null,
    overdue: r.status === 'open' && r.dueAt !== null && r.dueAt.getTime() <= now,
    stage: r.stage,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
  }));
  const more = rows.length > limit && offset + limit < MAX_OFFSET;
  return { items, nextCursor: more ? encodeOffsetCursor(order, offset + limit) : null };
}
