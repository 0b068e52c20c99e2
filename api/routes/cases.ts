import { viewAsOf } from '../../domain/case-view';
import { caseViewSchema } from '../../domain/schemas/case-view';
import { startCaseInput } from '../../domain/schemas/commands';
import { caseExists, getBoard, getProjectedCaseView, getTimeline, listCases, InvalidCursorError } from '../../db/read-model';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { getTemplate } from '../../db/templates';
import { defineRoute } from '../route';
import { startCase } from '../start-case';
import { boardParams, boardSchema, caseIdParams, caseListSchema, commandHeaders, listCasesQuery, timelineQuery, timelineSchema } from '../schemas';

export function caseRoutes({ db, cases, config }: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/cases',
      summary: 'Start a case',
      description:
        'Starts a case from the latest version of a template; the case pins that version. With an Idempotency-Key header a retried request returns the case it started (201) instead of starting another.',
      tags: ['Cases'],
      body: startCaseInput,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: { 201: { description: 'The new case', schema: caseViewSchema } },
      problems: ['invalid_fields', 'template_not_found', 'idempotency_key_reused', 'limit_exceeded', 'command_too_large', 'overloaded', 'start_timeout'],
      handler: async ({ body, headers, actor }) => {
        const view = await startCase({ db, cases, config }, actor, body, headers['idempotency-key'] || undefined);
        return { status: 201, headers: { Location: `/v1/cases/${view.id}` }, body: view };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases',
      summary: 'List and filter cases',
      description: 'Newest first, keyset-paginated: pass nextCursor back as cursor. Served from the read model.',
      tags: ['Cases'],
      query: listCasesQuery,
      responses: { 200: { description: 'A page of cases', schema: caseListSchema } },
      handler: async ({ query }) => {
        try {
          return { body: await listCases(db, query) };
        } catch (err) {
          if (err instanceof InvalidCursorError) {
            throw new Problem('validation_failed', 'The cursor is not one this API returned', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
          }
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id',
      summary: 'The case view',
      description:
        'Served by the case workflow itself (strongly consistent). Once an archived case\'s workflow is gone from Temporal, the last projected view is served, marked `Case-Source: read-model`.',
      tags: ['Cases'],
      params: caseIdParams,
      responses: { 200: { description: 'The case', schema: caseViewSchema } },
      problems: ['case_not_found', 'case_unavailable', 'overloaded'],
      handler: async ({ params }) => {
        try {
          return { body: viewAsOf(await cases.view(params.id), new Date().toISOString()), headers: { 'Case-Source': 'workflow' } };
        } catch (err) {
          const archived = err instanceof Problem && err.code === 'case_not_found' ? await getProjectedCaseView(db, params.id) : null;
          if (!archived) throw err;
          return { body: viewAsOf(archived, new Date().toISOString()), headers: { 'Case-Source': 'read-model' } };
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id/timeline',
      summary: 'The full timeline of a case',
      description: 'Oldest first; pass nextCursor back as `after`. Served from the read model.',
      tags: ['Cases'],
      params: caseIdParams,
      query: timelineQuery,
      responses: { 200: { description: 'A page of events', schema: timelineSchema } },
      problems: ['case_not_found'],
      handler: async ({ params, query }) => {
        if (!(await caseExists(db, params.id))) throw new Problem('case_not_found', `No case ${params.id}`);
        const page = await getTimeline(db, params.id, {
          limit: query.limit,
          ...(query.after !== undefined ? { after: query.after } : {}),
          ...(query.type ? { types: query.type } : {}),
        });
        return { body: page };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/boards/:templateKey',
      summary: 'Kanban board of a template',
      description: 'Open cases by stage of the latest template version, with counts.',
      tags: ['Cases'],
      params: boardParams,
      responses: { 200: { description: 'The board', schema: boardSchema } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const template = await getTemplate(db, params.templateKey);
        if (!template) throw new Problem('template_not_found', `No template "${params.templateKey}"`);
        return { body: await getBoard(db, template) };
      },
    }),
  ];
}
