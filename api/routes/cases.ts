import { z } from 'zod';
import { viewAsOf, type CaseView } from '../../domain/case-view';
import { redactEvents, redactView } from '../../domain/redaction';
import { caseViewWithAllowedSchema, publicCaseViewSchema } from '../../domain/schemas/case-view';
import { allowedActions } from '../../domain/allowed-actions';
import { startCaseInput } from '../../domain/schemas/commands';
import { maySeeCase } from '../../domain/visibility';
import { getBoard, getProjectedCaseView, getTimeline, listCases, visibleCaseTemplate, InvalidCursorError } from '../../db/read-model';
import { assertMaySee, caseNotFound, pinnedTemplate } from '../case-access';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { getTemplate } from '../../db/templates';
import { defineRoute } from '../route';
import { startCase } from '../start-case';
import { boardParams, boardQuery, boardSchema, caseIdParams, caseListSchema, commandHeaders, listCasesQuery, timelineQuery, timelineSchema } from '../schemas';

/** What starting a case answers when the starter may not see it (not its owner, participant or a view role). */
export const startedCaseSchema = z
  .object({
    id: z.string(),
    template: z.object({ key: z.string(), version: z.number().int(), name: z.string() }),
    title: z.string(),
    visible: z.literal(false).meta({ description: 'The case was started; its view is for those who may see it' }),
  })
  .meta({ id: 'StartedCase' });

export function caseRoutes({ db, cases, config }: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/cases',
      summary: 'Start a case',
      description:
        'Starts a case from the latest version of a template; the case pins that version. Needs one of the template\'s `permissions.start` roles (by default any role it declares; admins always, auditors never: 403). With an Idempotency-Key header a retried request returns the case it started (201) instead of starting another. The answer is the case as the starter may see it; a starter who may not see it (not its owner, an internal participant or one of the template\'s view roles) gets only its id, template and title.',
      tags: ['Cases'],
      body: startCaseInput,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: { 201: { description: 'The new case', schema: z.union([publicCaseViewSchema, startedCaseSchema]) } },
      problems: ['invalid_fields', 'template_not_found', 'forbidden', 'idempotency_key_reused', 'limit_exceeded', 'command_too_large', 'overloaded', 'start_timeout'],
      handler: async ({ body, headers, actor }) => {
        const { view, template } = await startCase({ db, cases, config }, actor, body, headers['idempotency-key'] || undefined);
        const answer = maySeeCase(actor, view, template)
          ? redactView(view, template, actor)
          : { id: view.id, template: view.template, title: view.title, visible: false as const };
        return { status: 201, headers: { Location: `/v1/cases/${view.id}` }, body: answer };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases',
      summary: 'List and filter cases',
      description:
        'The cases the caller may see, newest first, keyset-paginated: pass nextCursor back as cursor. `q` matches the key, the title and the values of fields that are not sensitive. Served from the read model.',
      tags: ['Cases'],
      query: listCasesQuery,
      responses: { 200: { description: 'A page of cases', schema: caseListSchema } },
      handler: async ({ query, actor }) => {
        try {
          return { body: await listCases(db, query, actor) };
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
        'Served by the case workflow itself (strongly consistent). Once an archived case\'s workflow is gone from Temporal, the last projected view is served, marked `Case-Source: read-model`. A case the caller may not see answers 404 exactly like one that does not exist; sensitive values the caller may not see are `{"redacted": true}`.',
      tags: ['Cases'],
      params: caseIdParams,
      responses: { 200: { description: 'The case, and what the caller may do with it now (`allowed`)', schema: caseViewWithAllowedSchema } },
      problems: ['case_not_found', 'case_unavailable', 'overloaded'],
      handler: async ({ params, actor }) => {
        let source = 'workflow';
        let view: CaseView;
        try {
          view = await cases.view(params.id);
        } catch (err) {
          const archived = err instanceof Problem && err.code === 'case_not_found' ? await getProjectedCaseView(db, params.id) : null;
          if (!archived) throw err;
          [view, source] = [archived, 'read-model'];
        }
        const template = await pinnedTemplate(db, view.template);
        assertMaySee(actor, view, template);
        const answer = redactView(viewAsOf(view, new Date().toISOString()), template, actor);
        return { body: { ...answer, allowed: allowedActions(actor, answer, template) }, headers: { 'Case-Source': source } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id/timeline',
      summary: 'The full timeline of a case',
      description: 'Oldest first; pass nextCursor back as `after`. Served from the read model. Sensitive values the caller may not see are `{"redacted": true}`.',
      tags: ['Cases'],
      params: caseIdParams,
      query: timelineQuery,
      responses: { 200: { description: 'A page of events', schema: timelineSchema } },
      problems: ['case_not_found'],
      handler: async ({ params, query, actor }) => {
        const pinned = await visibleCaseTemplate(db, params.id, actor);
        if (!pinned) throw caseNotFound(params.id);
        const page = await getTimeline(db, params.id, {
          limit: query.limit,
          ...(query.after !== undefined ? { after: query.after } : {}),
          ...(query.type ? { types: query.type } : {}),
        });
        return { body: { ...page, items: redactEvents(page.items, await pinnedTemplate(db, pinned), actor) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/boards/:templateKey',
      summary: 'Kanban board of a template',
      description: 'The open cases the caller may see, by stage of the latest template version (newest first, `limit` per stage), with counts of those cases.',
      tags: ['Cases'],
      params: boardParams,
      query: boardQuery,
      responses: { 200: { description: 'The board', schema: boardSchema } },
      problems: ['template_not_found'],
      handler: async ({ params, query, actor }) => {
        const template = await getTemplate(db, params.templateKey);
        if (!template) throw new Problem('template_not_found', `No template "${params.templateKey}"`);
        return { body: await getBoard(db, template, actor, { limitPerStage: query.limit }) };
      },
    }),
  ];
}
