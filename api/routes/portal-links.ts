import type { Request } from 'express';
import { z } from 'zod';
import { createPortalLink, listPortalLinks, portalLinkTtlMs, portalUrl, revokePortalLink } from '../../db/portal-links';
import { visibleCaseTemplate } from '../../db/read-model';
import type { Actor } from '../../domain/actor';
import { findStage } from '../../domain/template';
import { mayAct } from '../../domain/decide';
import { assertMayChange, caseNotFound } from '../case-access';
import type { ApiDeps } from '../deps';
import { loadCase, type LoadedCase } from '../documents';
import { Problem } from '../errors';
import { defineRoute, type AnyRoute } from '../route';
import { caseIdParams } from '../schemas';

export const portalLinkInput = z
  .object({ participantId: z.string().regex(/^P-[1-9][0-9]*$/, 'must be a participant id like P-2') })
  .strict()
  .meta({ id: 'PortalLinkInput', example: { participantId: 'P-2' } });

const linkSchema = z
  .object({
    id: z.string(),
    caseKey: z.string(),
    participantId: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'PortalLink' });

const createdLinkSchema = z
  .object({
    id: z.string(),
    url: z.string().meta({ description: 'The magic link to send to the participant' }),
    token: z.string().meta({ description: 'Shown once; only its hash is stored' }),
    expiresAt: z.string(),
    caseKey: z.string(),
    participantId: z.string(),
  })
  .meta({ id: 'CreatedPortalLink' });

const linkParams = caseIdParams.extend({ linkId: z.string().min(1).max(100) });

/** The public base URL of links: PUBLIC_URL, else the origin the request came to. */
export function publicBaseUrl(deps: Pick<ApiDeps, 'config'>, req: Request): string {
  return deps.config.PUBLIC_URL ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * The case, when `actor` may hand out (and so revoke) its portal links: sees it (404 otherwise,
 * as if it did not exist), may change it (auditors may not: 403) and may act in its current stage (403).
 */
async function loadForLinks(deps: ApiDeps, caseKey: string, actor: Actor, opts: { allowArchived?: boolean } = {}): Promise<LoadedCase> {
  const loaded = await loadCase(deps, caseKey, opts);
  assertMayChange(actor, loaded.view, loaded.template);
  if (!mayAct(actor, findStage(loaded.template, loaded.view.stage.key), 'act')) {
    throw new Problem('forbidden', `${actor.name} may not act in stage "${loaded.view.stage.key}", so may not hand out or revoke portal links`);
  }
  return loaded;
}

export function portalLinkRoutes(deps: ApiDeps): AnyRoute[] {
  const ttlMs = portalLinkTtlMs(deps.config);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/cases/:id/portal-links',
      operationId: 'createPortalLink',
      summary: 'Create a portal magic link for an external participant',
      description:
        'The link opens `/portal/<token>` for this one case and participant, without an account. The token is random (256 bits), shown once and stored hashed; it expires after PORTAL_LINK_TTL_DAYS and can be revoked. Needs the right to act in the current stage.',
      tags: ['Portal'],
      params: caseIdParams,
      body: portalLinkInput,
      responses: { 201: { description: 'The link', schema: createdLinkSchema } },
      problems: ['case_not_found', 'participant_not_found', 'not_external_participant', 'forbidden', 'dependency_unavailable'],
      handler: async ({ params, body, actor, req }) => {
        const { view } = await loadForLinks(deps, params.id, actor);
        const participant = view.participants.find((p) => p.participantId === body.participantId);
        if (!participant) throw new Problem('participant_not_found', `no participant ${body.participantId} on case ${params.id}`);
        if (participant.kind !== 'external') {
          throw new Problem('not_external_participant', `${participant.name} (${participant.participantId}) is an internal participant; portal links are for external ones`, {
            errors: [{ path: 'participantId', message: 'must be an external participant' }],
          });
        }
        const link = await createPortalLink(deps.db, { caseKey: params.id, participantId: participant.participantId, createdBy: actor.id, ttlMs });
        const url = portalUrl(publicBaseUrl(deps, req), link.token);
        return {
          status: 201,
          headers: { Location: `/v1/cases/${params.id}/portal-links/${link.id}`, 'Cache-Control': 'no-store' },
          body: { id: link.id, url, token: link.token, expiresAt: link.expiresAt, caseKey: params.id, participantId: participant.participantId },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id/portal-links',
      operationId: 'listPortalLinks',
      summary: 'List the portal links of a case',
      description: 'Oldest first, without tokens; revoked and expired links included. For those who may see the case.',
      tags: ['Portal'],
      params: caseIdParams,
      responses: { 200: { description: 'The links', schema: z.object({ items: z.array(linkSchema) }) } },
      problems: ['case_not_found'],
      handler: async ({ params, actor }) => {
        if (!(await visibleCaseTemplate(deps.db, params.id, actor))) throw caseNotFound(params.id);
        return { body: { items: await listPortalLinks(deps.db, params.id) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/cases/:id/portal-links/:linkId',
      operationId: 'revokePortalLink',
      summary: 'Revoke a portal link',
      description:
        'The link then answers 404, like an unknown one. Revoking twice keeps the first time. Needs the right to hand out links: to see the case and act in its current stage.',
      tags: ['Portal'],
      params: linkParams,
      responses: { 200: { description: 'The revoked link', schema: linkSchema } },
      problems: ['case_not_found', 'forbidden', 'portal_link_not_found', 'dependency_unavailable'],
      handler: async ({ params, actor }) => {
        // An archived case's links still open its portal: they can still be revoked.
        await loadForLinks(deps, params.id, actor, { allowArchived: true });
        const link = await revokePortalLink(deps.db, params.id, params.linkId);
        if (!link) throw new Problem('portal_link_not_found', `case ${params.id} has no portal link ${params.linkId}`);
        return { body: link };
      },
    }),
  ];
}
