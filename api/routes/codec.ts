/**
 * The codec server: the Temporal Web UI and CLI send the payloads they show to `/codec/decode`
 * (and those they send, e.g. a signal typed into the UI, to `/codec/encode`), in the remote-codec
 * JSON format — protobuf JSON of `Payloads`, every bytes field in base64. Decoding shows what the
 * API itself shows only to those who see every case and every sensitive field: admins and auditors.
 * Encoding reveals nothing, but what it is for (sending a command from the Temporal UI, past the
 * API's per-case checks) is an admin's job.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import type { Request } from 'express';
import { z } from 'zod';
import { isAdmin, seesEverything } from '../../domain/visibility';
import type { Actor } from '../../domain/actor';
import { PayloadDecodeError } from '../../temporal/payload-codec';
import { payloadCodecOf } from '../../temporal/data-converter';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute, type AnyRoute } from '../route';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

const payloadSchema = z
  .object({
    metadata: z
      .record(z.string().max(200), base64)
      .meta({ maxProperties: 50, description: 'Metadata values, each base64 (e.g. `encoding`: base64 of `json/plain`)' })
      .refine((m) => Object.keys(m).length <= 50, 'at most 50 metadata entries')
      .optional(),
    data: base64.optional().meta({ description: 'The payload bytes, base64' }),
  })
  .meta({ id: 'CodecPayload' });

// Protobuf JSON leaves out an empty list: `{}` is a request for no payloads (the Temporal CLI sends it).
export const codecPayloadsSchema = z
  .object({ payloads: z.array(payloadSchema).max(10_000).default([]) })
  .meta({
    id: 'CodecPayloads',
    description: "Temporal's `Payloads` message as protobuf JSON (the remote codec format of the Temporal UI and CLI)",
    example: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJ0aXRsZSI6IkFkYSJ9' }] },
  });

const codecHeaders = z.object({
  'x-namespace': z.string().max(200).optional().meta({ description: 'The namespace the Temporal UI shows (sent by the UI; payloads are decoded with this service\'s keys whatever it is)' }),
});

type JsonPayload = z.output<typeof payloadSchema>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** Who may decode: those who see every case and sensitive field through the API (admins, auditors). */
function mayDecode(actor: Actor): void {
  if (!seesEverything(actor)) throw new Problem('forbidden', 'Decoding payloads shows every case\'s data: it needs the admin or auditor role');
}

function mayEncode(actor: Actor): void {
  if (!isAdmin(actor)) throw new Problem('forbidden', 'Encoding payloads (to send commands from the Temporal UI or CLI) needs the admin role');
}

/**
 * The two endpoints at `base` (`/codec`, or the dev link's path). Decoding one payload at a time
 * keeps the index of one that fails for the answer.
 */
function codecEndpoints(deps: ApiDeps, base: string, extra: Partial<AnyRoute> = {}): AnyRoute[] {
  // Built on first use: the OpenAPI document is generated from these routes without a configuration.
  let built: ReturnType<typeof payloadCodecOf> | undefined;
  const codec = () => (built ??= payloadCodecOf(deps.config));
  return [
    defineRoute({
      method: 'post',
      path: `${base}/decode`,
      operationId: 'decodePayloads',
      summary: 'Decrypt Temporal payloads (codec server for the Temporal UI and CLI)',
      description:
        'Payloads encrypted by this service (`encoding: binary/encrypted`) come back as they were before encryption; any other payload comes back unchanged. ' +
        'Admins and auditors only. A payload whose key is not configured, or whose ciphertext does not authenticate, answers 422 `payload_undecodable` naming the payload and its key id.',
      tags: ['Codec'],
      headers: codecHeaders,
      body: codecPayloadsSchema,
      responses: { 200: { description: 'The payloads, decoded, in the same order', schema: codecPayloadsSchema } },
      problems: ['forbidden', 'payload_undecodable'],
      ...extra,
      handler: async ({ body, actor }) => {
        mayDecode(actor);
        const decoded: Payload[] = [];
        for (const [index, payload] of body.payloads.entries()) {
          try {
            decoded.push(...(await codec().decode([fromJson(payload)])));
          } catch (err) {
            if (!(err instanceof PayloadDecodeError)) throw err;
            throw new Problem('payload_undecodable', `payloads.${index}: ${err.message}`, {
              errors: [{ path: `payloads.${index}`, message: err.message }],
              ...(err.keyId ? { keyId: err.keyId } : {}),
            });
          }
        }
        return { body: { payloads: decoded.map(toJson) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/encode`,
      operationId: 'encodePayloads',
      summary: 'Encrypt Temporal payloads (codec server for the Temporal UI and CLI)',
      description: 'Encrypts each payload with the current key (PAYLOAD_KEY_ID), as the service itself does; without keys they come back unchanged. Admins only.',
      tags: ['Codec'],
      headers: codecHeaders,
      body: codecPayloadsSchema,
      responses: { 200: { description: 'The payloads, encoded, in the same order', schema: codecPayloadsSchema } },
      problems: ['forbidden'],
      ...extra,
      handler: async ({ body, actor }) => {
        mayEncode(actor);
        return { body: { payloads: (await codec().encode(body.payloads.map(fromJson))).map(toJson) } };
      },
    }),
  ];
}

/** `POST /codec/decode` and `POST /codec/encode`, authenticated like every route (API token or single sign-on JWT). */
export function codecRoutes(deps: ApiDeps): AnyRoute[] {
  return codecEndpoints(deps, '/codec');
}

/** The actor the dev codec link acts as: `npm start`'s developer is an admin anyway. */
const CODEC_LINK_ACTOR: Actor = { id: 'temporal-ui', name: 'Temporal UI (npm start codec link)', roles: ['admin'], kind: 'system' };

/**
 * `npm start` only: the same endpoints under `/codec/link/<secret>`, for the dev server's Temporal
 * UI, which has no sign-in and so no token to pass. The secret is in the path because the UI can
 * set nothing but the endpoint's URL; it is generated per data folder, kept on this machine, and
 * redacted from logs by its form (`ccl_…`). Not mounted (and not documented) otherwise: mount
 * them with `codecLinkAuthenticator`.
 */
export function codecLinkRoutes(deps: ApiDeps): AnyRoute[] {
  if (!deps.codecLink) return [];
  return codecEndpoints(deps, '/codec/link/:link', { params: z.object({ link: z.string().max(200) }) });
}

/** Authenticates a codec link request by the secret in its path (compared in constant time). */
export function codecLinkAuthenticator(secret: string): (req: Request) => Promise<Actor> {
  const expected = Buffer.from(secret);
  return async (req) => {
    const given = Buffer.from(String(req.params.link ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Problem('unauthorized', 'This codec link is not valid (npm start prints the current one)');
    return CODEC_LINK_ACTOR;
  };
}
