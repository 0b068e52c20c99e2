import { z } from 'zod';
import { toCaseView, viewAsOf, type CaseView } from '../../domain/case-view';
import { redactEvents, redactView } from '../../domain/redaction';
import { caseViewWithAllowedSchema, historicalCaseViewSchema, publicCaseViewSchema } from '../../domain/schemas/case-view';
import { stateAsOf } from '../../domain/case-history';
import type { Actor } from '../../domain/actor';
import { allowedActions } from '../../domain/allowed-actions';
import { startCaseInput } from '../../domain/schemas/commands';
import { maySeeCase } from '../../domain/visibility';
import { getBoard, getEventsUntil, getProjectedCaseView, getTimeline, listCases, visibleCaseTemplate, InvalidCursorError } from '../../db/read-model';
import { assertMaySee, caseNotFound, pinnedTemplate } from '../case-access';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { getTemplate } from '../../db/templates';
import { attachment, casesCsv, CSV_TYPE, today, wantsCsv } from '../exports';
import { defineRoute, streamResponse } from '../route';
import { startCase } from '../start-case';
import { boardParams, boardQuery, boardSchema, caseIdParams, caseViewQuery, caseListSchema, commandHeaders, listCasesQuery, timelineQuery, timelineSchema } from '../schemas';

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
  /** The case as it stood at `asOf`, folded from its timeline in the read model (domain/case-history.ts). */
  async function historicalView(caseKey: string, asOf: Date, actor: Actor) {
    const pinned = await visibleCaseTemplate(db, caseKey, actor);
    if (!pinned) throw caseNotFound(caseKey);
    const asOfProblem = (message: string) => new Problem('validation_failed', `asOf ${message}`, { errors: [{ path: 'asOf', message }] });
    if (asOf.getTime() > Date.now()) throw asOfProblem('is in the future: the case as it stands now is GET without asOf');
    const state = stateAsOf(caseKey, await getEventsUntil(db, caseKey, asOf), asOf.toISOString());
    if (!state) throw asOfProblem('is before the case was opened');
    // The version the case ran on then: a migration since may have moved it to another.
    const version = { key: pinned.key, version: state.templateVersion || pinned.version };
    const record = await getTemplate(db, version.key, version.version);
    if (!record) throw new Error(`template ${version.key} v${version.version} is missing from the templates table`);
    // The definition as the workflow reads it (today's schema over what was published then).
    const template = { ...record, definition: await pinnedTemplate(db, version) };
    // Who may see what is decided by the case as it is now (`pinned`); the values as they were then.
    return { ...redactView(toCaseView(state, template, asOf.toISOString()), template.definition, actor), historical: true as const };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/cases',
      operationId: 'startCase',
      summary: 'Start a case',
      description:
        'Starts a case from the latest version of a template; the case pins that version. Needs one of the template\'s `permissions.start` roles (by default any role it declares; admins always, auditors never: 403). With an Idempotency-Key header a retried request returns the case it started (201) instead of starting another. When no automation reacts to the opening, the answer comes as soon as Temporal holds the start (the case adopts the opening the API decided; reads and commands sent right after wait for its first workflow task); otherwise the case\'s first workflow task answers, and `504 start_timeout` names the case when it did not within START_TIMEOUT_MS. The answer is the case as the starter may see it; a starter who may not see it (not its owner, an internal participant or one of the template\'s view roles) gets only its id, template and title.',
      tags: ['Cases'],
      body: startCaseInput,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: { 201: { description: 'The new case', schema: z.union([publicCaseViewSchema, startedCaseSchema]) } },
      problems: ['invalid_fields', 'template_not_found', 'forbidden', 'idempotency_key_reused', 'limit_exceeded', 'command_too_large', 'overloaded', 'start_timeout'],
      handler: async ({ body, headers, actor, res }) => {
        const { view, template } = await startCase({ db, cases, config }, actor, body, headers['idempotency-key'] || undefined);
        res.locals.caseKey = view.id;
        const answer = maySeeCase(actor, view, template)
          ? redactView(view, template, actor)
          : { id: view.id, template: view.template, title: view.title, visible: false as const };
        return { status: 201, headers: { Location: `/v1/cases/${view.id}` }, body: answer };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases',
      operationId: 'listCases',
      summary: 'List and filter cases',
      description:
        'The cases the caller may see, newest first, keyset-paginated: pass nextCursor back as cursor. `q` matches the key, the title and the values of fields that are not sensitive. Served from the read model.\n\n' +
        'With `Accept: text/csv` the answer is every matching case (no paging: `limit` and `cursor` do not apply), in the requested `sort`, streamed as a CSV download (UTF-8 with a byte-order mark, RFC 4180 quoting, cells that would start a formula prefixed with `\'`): key, title, template, template version, status, stage, owner, created, updated, closed, due, overdue, open tasks and — with `template` — one column per field of its latest version (label or key; multiselect values joined with `; `; sensitive values the caller may not see read `[redacted]`).',
      tags: ['Cases'],
      query: listCasesQuery,
      responses: {
        200: {
          description: 'A page of cases (JSON), or every matching case as CSV (`Accept: text/csv`)',
          schema: caseListSchema,
          content: { 'text/csv': z.string().meta({ description: 'CSV, streamed; `Content-Disposition: attachment; filename="cases-<template or all>-<date>.csv"`' }) },
        },
      },
      handler: async ({ query, actor, req, res }) => {
        if (wantsCsv(req, 'application/json')) {
          const { limit: _limit, cursor: _cursor, ...filter } = query;
          return streamResponse(res, {
            contentType: CSV_TYPE,
            headers: { Vary: 'Accept', 'Content-Disposition': attachment(`cases-${filter.template ?? 'all'}-${today()}.csv`) },
            body: casesCsv(db, filter, actor),
          });
        }
        try {
          return { body: await listCases(db, query, actor), headers: { Vary: 'Accept' } };
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
      operationId: 'getCase',
      summary: 'The case view',
      description:
        'Served by the case workflow itself (strongly consistent). Once an archived case\'s workflow is gone from Temporal, the last projected view is served, marked `Case-Source: read-model`. A case the caller may not see answers 404 exactly like one that does not exist; sensitive values the caller may not see are `{"redacted": true}`. With `asOf`, the case as it stood at that instant — stage, fields, tasks, documents and their review, participants, owner, SLA clock — folded from its timeline with the same rules the case workflow applies, marked `historical: true`; an instant before the case was opened or in the future is a 422.',
      tags: ['Cases'],
      params: caseIdParams,
      query: caseViewQuery,
      responses: {
        200: {
          description: 'The case, and what the caller may do with it now (`allowed`); with `asOf`, the case as it stood then (`historical`)',
          schema: z.union([caseViewWithAllowedSchema, historicalCaseViewSchema]),
        },
      },
      problems: ['case_not_found', 'case_unavailable', 'overloaded'],
      handler: async ({ params, query, actor }) => {
        if (query.asOf !== undefined) return { body: await historicalView(params.id, new Date(query.asOf), actor), headers: { 'Case-Source': 'read-model' } };
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
      operationId: 'getTimeline',
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
          ...(query.until ? { until: new Date(query.until) } : {}),
        });
        return { body: { ...page, items: redactEvents(page.items, await pinnedTemplate(db, pinned), actor) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/boards/:templateKey',
      operationId: 'getBoard',
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
