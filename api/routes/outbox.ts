import { z } from 'zod';
import { ADMIN_ROLE, type Actor } from '../../domain/actor';
import { listEmails } from '../../db/emails';
import { listEmailsTo } from '../../db/outbox';
import { InvalidCursorError } from '../../db/read-model';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute } from '../route';

export const emailSchema = z
  .object({
    id: z.string(),
    idempotencyKey: z.string().meta({ description: 'Case key, automation event seq and action index (or `digest:<date>:<owner>`); also sent to Resend' }),
    caseKey: z.string().nullable(),
    from: z.string(),
    to: z.array(z.string()),
    subject: z.string(),
    html: z.string(),
    text: z.string().nullable(),
    status: z.enum(['sending', 'sent', 'outbox', 'failed']).meta({
      description: '`outbox`: stored only (no RESEND_API_KEY); `sending`: accepted for delivery, not yet confirmed; `sent`: Resend accepted it; `failed`: Resend refused it',
    }),
    providerId: z.string().nullable().meta({ description: "Resend's id of the message" }),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
  })
  .meta({ id: 'Email' });

export const outboxQuery = z
  .object({
    caseKey: z.string().min(1).max(50).optional(),
    status: z.enum(['sending', 'sent', 'outbox', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export const emailListSchema = z.object({ items: z.array(emailSchema), nextCursor: z.string().nullable() }).meta({ id: 'EmailList' });

/** The caller's e-mail address, when their identity carries one. */
function addressOf(actor: Actor): string | undefined {
  const email = (actor as Actor & { email?: unknown }).email;
  return typeof email === 'string' && email.trim() ? email.trim() : undefined;
}

export function outboxRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/outbox',
      operationId: 'listOutbox',
      summary: 'Every e-mail the service sent or stored',
      description:
        'The `emails` ledger, newest first, keyset-paginated (pass nextCursor back as cursor). Without RESEND_API_KEY this is the development outbox: messages have status `outbox` and go nowhere else. Admins see every e-mail; anyone else only those addressed to the e-mail address their token or identity carries (none without one).',
      tags: ['Automations'],
      query: outboxQuery,
      responses: { 200: { description: 'A page of e-mails', schema: emailListSchema } },
      handler: async ({ query, actor }) => {
        const address = addressOf(actor);
        try {
          if (actor.roles.includes(ADMIN_ROLE)) return { body: await listEmails(db, query) };
          // An e-mail is for its recipients: a reader without an address has none.
          if (!address) return { body: { items: [], nextCursor: null } };
          return { body: await listEmailsTo(db, address, query) };
        } catch (err) {
          if (err instanceof InvalidCursorError) {
            throw new Problem('validation_failed', 'The cursor is not one this API returned', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
          }
          throw err;
        }
      },
    }),
  ];
}
