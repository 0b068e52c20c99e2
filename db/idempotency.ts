import { and, eq } from 'drizzle-orm';
import type { Database } from './connection';
import { idempotencyKeys } from './schema';

export type IdempotencyResult = Record<string, unknown>;

export interface IdempotencyRecord<R extends IdempotencyResult = IdempotencyResult> {
  requestHash: string;
  result: R;
}

export type IdempotencyClaim<R extends IdempotencyResult = IdempotencyResult> =
  | { claimed: true }
  | ({ claimed: false } & IdempotencyRecord<R>);

/**
 * Records `result` under (scope, key) unless the key is already taken, atomically. A loser
 * gets the winner's request hash (to detect a reused key with another body) and result.
 */
export async function claimIdempotencyKey<R extends IdempotencyResult>(
  db: Database,
  input: { scope: string; key: string; requestHash: string; result: R },
): Promise<IdempotencyClaim<R>> {
  const inserted = await db
    .insert(idempotencyKeys)
    .values({ scope: input.scope, key: input.key, requestHash: input.requestHash, result: input.result })
    .onConflictDoNothing({ target: [idempotencyKeys.scope, idempotencyKeys.key] })
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return { claimed: true };
  const existing = await findIdempotencyKey<R>(db, input.scope, input.key);
  // Keys are never deleted while a claim can race with them, so the winner's row is there.
  if (!existing) throw new Error(`idempotency key ${input.scope}/${input.key} vanished during its claim`);
  return { claimed: false, ...existing };
}

/** The record stored under (scope, key), or null. */
export async function findIdempotencyKey<R extends IdempotencyResult = IdempotencyResult>(
  db: Database,
  scope: string,
  key: string,
): Promise<IdempotencyRecord<R> | null> {
  const [row] = await db
    .select({ requestHash: idempotencyKeys.requestHash, result: idempotencyKeys.result })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
  return row ? { requestHash: row.requestHash, result: row.result as R } : null;
}
