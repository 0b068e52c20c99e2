import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Database } from './connection';
import { webhookDeliveries, type WebhookDeliveryRow } from './schema';

/** The ledger of outbound webhook calls: one row per idempotency key (= the X-Case-Delivery id). */

/** Inserts a pending delivery, or returns the row already stored under the key (a retried activity). */
export async function claimWebhookDelivery(
  db: Database,
  input: { idempotencyKey: string; caseKey: string | null; url: string },
): Promise<WebhookDeliveryRow> {
  const [inserted] = await db
    .insert(webhookDeliveries)
    .values({ id: `whd_${randomBytes(12).toString('base64url')}`, ...input, status: 'pending' })
    .onConflictDoNothing({ target: webhookDeliveries.idempotencyKey })
    .returning();
  if (inserted) return inserted;
  const [existing] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.idempotencyKey, input.idempotencyKey)).limit(1);
  if (!existing) throw new Error(`webhook delivery ${input.idempotencyKey} vanished between insert and read`);
  return existing;
}

export async function getWebhookDeliveryByKey(db: Database, idempotencyKey: string): Promise<WebhookDeliveryRow | null> {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.idempotencyKey, idempotencyKey)).limit(1);
  return row ?? null;
}

/** Counts an HTTP attempt before it is made, so a crash mid-call still shows up in `attempts`. */
export async function recordWebhookAttempt(db: Database, id: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1` })
    .where(eq(webhookDeliveries.id, id));
}

/** `last_error` stays: it tells why a delivery needed more than one attempt. */
export async function markWebhookDelivered(db: Database, id: string, responseStatus: number): Promise<WebhookDeliveryRow> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: 'delivered', responseStatus, deliveredAt: sql`coalesce(${webhookDeliveries.deliveredAt}, now())` })
    .where(eq(webhookDeliveries.id, id))
    .returning();
  if (!row) throw new Error(`webhook delivery ${id} not found`);
  return row;
}

/** Records why an attempt failed; `permanent` marks the delivery `failed` (no retry will follow). */
export async function recordWebhookError(
  db: Database,
  id: string,
  error: { message: string; responseStatus: number | null; permanent: boolean },
): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({
      lastError: error.message.slice(0, 2000),
      responseStatus: error.responseStatus,
      ...(error.permanent ? { status: 'failed' as const } : {}),
    })
    .where(eq(webhookDeliveries.id, id));
}
