import type { Request } from 'express';
import { z } from 'zod';
import { createPortalLink, listPortalLinks, portalLinkTtlMs, portalUrl, revokePortalLink } from '../../db/portal-links';
import { findStage } from '../../domain/template';
import { mayAct } from '../../domain/decide';
import type { ApiDeps } from '../deps';
import { loadCase } from '../documents';
import { Problem } from '../errors';
import { defineRoute, type AnyRoute } from '../route';
import { caseIdParams } from '../schemas';

export const portalLinkInput = z
  .object({ participantId: z.string().regex(/^P-[1-9][0-9]*$/, 'must be a participant id like P-2') })
  .strict()
  .meta({ id: 'PortalLinkInput' });

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

export function portalLinkRoutes(deps: ApiDeps): AnyRoute[] {
  const ttlMs = portalLinkTtlMs(deps.config);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/cases/:id/portal-links',
      summary: 'Create a portal magic link for an external participant',
      description:
        'The link opens `/portal/<token>` for this one case and participant, without an account. The token is random (256 bits), shown once and stored hashed; it expires after PORTAL_LINK_TTL_DAYS and can be revoked. Needs the right to act in the current stage.',
      tags: ['Portal'],
      params: caseIdParams,
      body: portalLinkInput,
      responses: { 201: { description: 'The link', schema: createdLinkSchema } },
      problems: ['case_not_found', 'participant_not_found', 'not_external_participant', 'forbidden', 'dependency_unavailable'],
      handler: async ({ params, body, actor, req }) => {
        const { view, template } = await loadCase(deps, params.id);
        const stage = findStage(template, view.stage.key);
        if (!mayAct(actor, stage, 'act')) {
          throw new Problem('forbidden', `${actor.name} may not act in stage "${view.stage.key}", so may not hand out portal links`);
        }
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
      summary: 'List the portal links of a case',
      description: 'Oldest first, without tokens; revoked and expired links included.',
      tags: ['Portal'],
      params: caseIdParams,
      responses: { 200: { description: 'The links', schema: z.object({ items: z.array(linkSchema) }) } },
      handler: async ({ params }) => ({ body: { items: await listPortalLinks(deps.db, params.id) } }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/cases/:id/portal-links/:linkId',
      summary: 'Revoke a portal link',
      description: 'The link then answers 404, like an unknown one. Revoking twice keeps the first time.',
      tags: ['Portal'],
      params: linkParams,
      responses: { 200: { description: 'The revoked link', schema: linkSchema } },
      problems: ['portal_link_not_found'],
      handler: async ({ params }) => {
        const link = await revokePortalLink(deps.db, params.id, params.linkId);
        if (!link) throw new Problem('portal_link_not_found', `case ${params.id} has no portal link ${params.linkId}`);
        return { body: link };
      },
    }),
  ];
}
