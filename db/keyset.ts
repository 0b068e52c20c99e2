import { sql, type Column, type SQL } from 'drizzle-orm';

/**
 * Keyset pagination over `(created_at, id)`, newest first, for case, outbox and notification
 * lists. The cursor is opaque to clients (base64url JSON of the last row's position); a cursor
 * this API did not hand out is an `InvalidCursorError`, which routes answer with a 422.
 */
/** A cursor that this API did not produce (or that was tampered with). */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor(readonly cursor: string) {
    super('invalid cursor');
  }
}

export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id]), 'utf8').toString('base64url');
}

export function decodeKeysetCursor(cursor: string): KeysetPosition {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) throw new InvalidCursorError(cursor);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' || parsed[1] === '') {
    throw new InvalidCursorError(cursor);
  }
  const createdAt = new Date(parsed[0]);
  // Only the exact instants this API writes: anything else was not handed out by it.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== parsed[0]) throw new InvalidCursorError(cursor);
  return { createdAt, id: parsed[1] };
}

/** Rows strictly after `cursor` in `(created_at desc, id desc)` order. */
export function olderThan(createdAt: Column, id: Column, cursor: string): SQL {
  const after = decodeKeysetCursor(cursor);
  return sql`(${createdAt}, ${id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id})`;
}

/** Splits the `limit + 1` rows a page query fetched into the page and the next cursor. */
export function keysetPage<R extends KeysetPosition>(rows: R[], limit: number): { page: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeKeysetCursor(last) : null };
}

export function clampLimit(limit: number | undefined, dflt: number, max: number): number {
  return Math.min(Math.max(Math.trunc(limit ?? dflt), 1), max);
}

/** How deep offset pages go (lists in an order other than newest first). */
export const MAX_OFFSET = 10_000;

/** Cursor of a page in an order keysets do not serve: the order it belongs to and the offset. */
export function encodeOffsetCursor(order: string, offset: number): string {
  return Buffer.from(JSON.stringify(['offset', order, offset]), 'utf8').toString('base64url');
}

/** The offset of a cursor `encodeOffsetCursor` made for this order; anything else is an InvalidCursorError. */
export function decodeOffsetCursor(cursor: string, order: string): number {
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed[0] !== 'offset' || parsed[1] !== order || !Number.isInteger(parsed[2]) || parsed[2] < 1 || parsed[2] > MAX_OFFSET) {
    throw new InvalidCursorError(cursor);
  }
  return parsed[2] as number;
}
