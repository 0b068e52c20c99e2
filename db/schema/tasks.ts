import { index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Tasks of every case, replaced from the case view on each newer projection. */
export const tasks = pgTable(
  'tasks',
  {
    caseKey: text('case_key').notNull(),
    taskId: text('task_id').notNull(),
    key: text('key'),
    title: text('title').notNull(),
    description: text('description'),
    assignee: text('assignee'),
    assigneeRole: text('assignee_role'),
    dueAt: timestamp('due_at', { withTimezone: true, precision: 3 }),
    status: text('status').$type<'open' | 'completed'>().notNull(),
    stage: text('stage').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
    completedBy: text('completed_by'),
  },
  (t) => [
    primaryKey({ columns: [t.caseKey, t.taskId] }),
    index('tasks_assignee_status_idx').on(t.assignee, t.status),
    index('tasks_status_due_idx').on(t.status, t.dueAt),
    // The task inbox (GET /v1/tasks): unassigned tasks for one of the caller's roles.
    index('tasks_role_status_idx').on(t.assigneeRole, t.status),
  ],
);

export type TaskRow = typeof tasks.$inferSelect;
