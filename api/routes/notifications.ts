import { z } from 'zod';
import { listNotifications, markNotificationRead } from '../../db/notifications';
import { InvalidCursorError } from '../../db/read-model';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute } from '../route';

export const notificationSchema = z
  .object({
    id: z.string(),
    caseKey: z.string().nullable(),
    seq: z.number().int().nullable().meta({ description: 'The case event that triggered the automation' }),
    subject: z.string(),
    body: z.string().meta({ description: 'Plain text: escape it for the medium it is shown in' }),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });

export const notificationListSchema = z
  .object({ items: z.array(notificationSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'NotificationList' });

export const notificationsQuery = z
  .object({
    unread: z
      .enum(['true', 'false'])
      .optional()
      .transform((v) => v === 'true')
      .meta({ description: '`true`: only notifications not yet marked read' }),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export const notificationParams = z.object({ notificationId: z.string().min(1).max(100) });

export function notificationRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/notifications',
      operationId: 'listNotifications',
      summary: "The caller's notifications",
      description: 'Notifications addressed to the authenticated user (automations, owner digests), newest first, keyset-paginated.',
      tags: ['Automations'],
      query: notificationsQuery,
      responses: { 200: { description: 'A page of notifications', schema: notificationListSchema } },
      handler: async ({ query, actor }) => {
        try {
          return { body: await listNotifications(db, actor.id, query) };
        } catch (err) {
          if (err instanceof InvalidCursorError) {
            throw new Problem('validation_failed', 'The cursor is not one this API returned', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
          }
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/notifications/:notificationId/read',
      operationId: 'markNotificationRead',
      summary: 'Mark one of your notifications read',
      description: 'Idempotent: marking it again keeps the first read time. Another user’s notification is answered 404, like an unknown one.',
      tags: ['Automations'],
      params: notificationParams,
      responses: { 200: { description: 'The notification', schema: notificationSchema } },
      problems: ['notification_not_found'],
      handler: async ({ params, actor }) => {
        const read = await markNotificationRead(db, actor.id, params.notificationId);
        if (!read) throw new Problem('notification_not_found', `You have no notification ${params.notificationId}`);
        return { body: read };
      },
    }),
  ];
}
