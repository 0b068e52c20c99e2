import { z } from 'zod';
import { ADMIN_ROLE, type Actor } from '../../domain/actor';
import { createApiToken, defaultTokenExpiry, listApiTokens, revokeApiToken } from '../../db/tokens';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute } from '../route';
import { createTokenInput, tokenSchema } from '../schemas';

function requireAdmin(actor: Actor) {
  if (!actor.roles.includes(ADMIN_ROLE)) throw new Problem('forbidden', 'Managing API tokens needs the admin role');
}

export function tokenRoutes({ db, config }: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/tokens',
      operationId: 'createToken',
      summary: 'Create an API token for an actor',
      description: `The token is shown once; only its hash is stored. Without \`expiresAt\` it expires after API_TOKEN_TTL_DAYS (${config.API_TOKEN_TTL_DAYS > 0 ? `${config.API_TOKEN_TTL_DAYS} days` : 'never: 0'}). Requires the admin role.`,
      tags: ['Tokens'],
      body: createTokenInput,
      responses: {
        201: { description: 'The new token', schema: tokenSchema.pick({ id: true, actorId: true, actorName: true, roles: true, expiresAt: true }).extend({ token: z.string() }) },
      },
      problems: ['forbidden'],
      handler: async ({ body, actor }) => {
        requireAdmin(actor);
        const expiresAt = body.expiresAt ? new Date(body.expiresAt) : defaultTokenExpiry(config.API_TOKEN_TTL_DAYS);
        const created = await createApiToken(db, {
          actorId: body.actorId,
          actorName: body.actorName,
          roles: body.roles,
          ...(body.description ? { description: body.description } : {}),
          ...(expiresAt ? { expiresAt } : {}),
        });
        return { status: 201, body: { ...created, actorId: body.actorId, actorName: body.actorName, roles: body.roles, expiresAt: expiresAt?.toISOString() ?? null } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/tokens',
      operationId: 'listTokens',
      summary: 'List API tokens (never their secrets)',
      tags: ['Tokens'],
      responses: { 200: { description: 'Tokens', schema: z.object({ items: z.array(tokenSchema) }) } },
      problems: ['forbidden'],
      handler: async ({ actor }) => {
        requireAdmin(actor);
        return { body: { items: await listApiTokens(db) } };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/tokens/:tokenId',
      operationId: 'revokeToken',
      summary: 'Revoke an API token',
      tags: ['Tokens'],
      params: z.object({ tokenId: z.string().min(1).max(100) }),
      responses: { 204: { description: 'Revoked' } },
      problems: ['forbidden', 'not_found'],
      handler: async ({ params, actor }) => {
        requireAdmin(actor);
        const revoked = await revokeApiToken(db, params.tokenId);
        if (!revoked) throw new Problem('not_found', `No token ${params.tokenId}`);
        return { status: 204 };
      },
    }),
  ];
}
