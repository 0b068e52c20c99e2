import { z } from 'zod';
import { deleteSavedView, listSavedViews, MAX_SAVED_VIEWS, saveView, TooManyViewsError } from '../../db/saved-views';
import { listInboxTasks } from '../../db/task-inbox';
import { InvalidCursorError } from '../../db/keyset';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute } from '../route';
import { savedViewQuery } from '../schemas';

/** What the caller is: the actor their token or single sign-on maps to. */
export const meSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['user', 'external', 'system']),
    roles: z.array(z.string()),
    email: z.string().optional(),
  })
  .meta({ id: 'Me' });

export const savedViewSchema = z
  .object({ name: z.string(), query: z.record(z.string(), z.string()), updatedAt: z.string() })
  .meta({ id: 'SavedView', description: 'A named case list: the GET /v1/cases query parameters it applies' });

const viewParams = z.object({ name: z.string().trim().min(1).max(100).refine((v) => !v.includes('\u0000'), 'must not contain a NUL character') });

/** A saved view's query: GET /v1/cases parameters as strings, checked against that endpoint's own schema. */
const savedViewBody = z
  .object({
    query: z
      .record(z.string().max(50), z.string().max(500))
      .meta({ maxProperties: 20 })
      .refine((q) => Object.keys(q).length <= 20, 'at most 20 parameters')
      .superRefine((q, ctx) => {
        const parsed = savedViewQuery.safeParse(q);
        if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }),
  })
  .strict();

const taskInboxQuery = z
  .object({
    scope: z
      .enum(['mine', 'assigned', 'role'])
      .default('mine')
      .meta({ description: '`mine`: assigned to me, or unassigned for one of my roles; `assigned`: assigned to me; `role`: unassigned, for one of my roles' }),
    status: z.enum(['open', 'completed']).default('open'),
    overdue: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export const inboxTaskSchema = z
  .object({
    caseKey: z.string(),
    caseTitle: z.string(),
    template: z.object({ key: z.string(), version: z.number().int() }),
    taskId: z.string(),
    key: z.string().optional(),
    title: z.string(),
    assignee: z.string().nullable(),
    assigneeRole: z.string().nullable(),
    dueAt: z.string().nullable(),
    overdue: z.boolean(),
    stage: z.string(),
    status: z.enum(['open', 'completed']),
    createdAt: z.string(),
  })
  .meta({ id: 'InboxTask' });

export const taskInboxSchema = z.object({ items: z.array(inboxTaskSchema), nextCursor: z.string().nullable() }).meta({ id: 'TaskInbox' });
export const savedViewListSchema = z.object({ items: z.array(savedViewSchema) }).meta({ id: 'SavedViewList' });

const invalidCursor = () => new Problem('validation_failed', 'The cursor is not one this API returned', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });

/** The caller's own things: who they are, their task inbox, their saved case-list views. */
export function meRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      operationId: 'getMe',
      summary: 'Who you are',
      description: 'The actor your credential maps to: id, name, roles (and e-mail when single sign-on gives one). Clients use it to check a token and to label "my" work.',
      tags: ['Me'],
      responses: { 200: { description: 'The caller', schema: meSchema } },
      handler: async ({ actor }) => ({ body: { id: actor.id, name: actor.name, kind: actor.kind, roles: actor.roles, ...(actor.email ? { email: actor.email } : {}) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/tasks',
      operationId: 'listMyTasks',
      summary: 'Your task inbox',
      description:
        'Tasks across every case you may see that are yours to do: assigned to you, or unassigned and meant for one of your roles (`scope`). Overdue first, then by due date (none last), then oldest. Open tasks only of open cases. Served from the read model.',
      tags: ['Me'],
      query: taskInboxQuery,
      responses: { 200: { description: 'A page of tasks', schema: taskInboxSchema } },
      handler: async ({ query, actor }) => {
        try {
          return { body: await listInboxTasks(db, actor, { scope: query.scope, status: query.status, limit: query.limit, ...(query.overdue !== undefined ? { overdue: query.overdue } : {}), ...(query.cursor ? { cursor: query.cursor } : {}) }) };
        } catch (err) {
          if (err instanceof InvalidCursorError) throw invalidCursor();
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/views',
      operationId: 'listSavedViews',
      summary: 'Your saved case-list views',
      description: 'Named GET /v1/cases queries you saved, by name.',
      tags: ['Me'],
      responses: { 200: { description: 'Your views', schema: savedViewListSchema } },
      handler: async ({ actor }) => ({ body: { items: await listSavedViews(db, actor.id) } }),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/views/:name',
      operationId: 'saveView',
      summary: 'Save a case-list view',
      description: `Creates (201) or replaces (200) your view of this name. \`query\` holds GET /v1/cases parameters (not \`cursor\` or \`limit\`), validated like that endpoint's. At most ${MAX_SAVED_VIEWS} views per user.`,
      tags: ['Me'],
      params: viewParams,
      body: savedViewBody,
      responses: { 200: { description: 'The view, replaced', schema: savedViewSchema }, 201: { description: 'The view, created', schema: savedViewSchema } },
      problems: ['limit_exceeded'],
      handler: async ({ params, body, actor }) => {
        try {
          const { view, created } = await saveView(db, actor.id, params.name, body.query);
          return { status: created ? 201 : 200, body: view };
        } catch (err) {
          if (err instanceof TooManyViewsError) throw new Problem('limit_exceeded', `You have ${MAX_SAVED_VIEWS} saved views; delete one first`);
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/views/:name',
      operationId: 'deleteSavedView',
      summary: 'Delete a saved view',
      tags: ['Me'],
      params: viewParams,
      responses: { 204: { description: 'Deleted' } },
      problems: ['view_not_found'],
      handler: async ({ params, actor }) => {
        if (!(await deleteSavedView(db, actor.id, params.name))) throw new Problem('view_not_found', `You have no view "${params.name}"`);
        return { status: 204 };
      },
    }),
  ];
}
