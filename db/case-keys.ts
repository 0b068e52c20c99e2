import { eq, sql } from 'drizzle-orm';
import type { Database } from './connection';
import { prepared, value } from './prepared';
import { caseSequences } from './schema';

/** The prefix already belongs to another template key: its case keys would collide. */
export class PrefixTakenError extends Error {
  override readonly name = 'PrefixTakenError';
  constructor(
    readonly prefix: string,
    readonly owner: string,
    readonly templateKey: string,
  ) {
    super(`Case key prefix "${prefix}" already belongs to template "${owner}"; give template "${templateKey}" another "prefix"`);
  }
}

/** The template key that owns a case key prefix, or null when the prefix is free. */
export async function prefixOwner(db: Database, prefix: string): Promise<string | null> {
  const [row] = await db.select({ owner: caseSequences.templateKey }).from(caseSequences).where(eq(caseSequences.prefix, prefix));
  return row?.owner ?? null;
}

/**
 * Claims a prefix for a template key (a no-op when the key already owns it); throws
 * `PrefixTakenError` when another key owns it. Safe under concurrent claims.
 */
export async function claimPrefix(db: Database, { prefix, templateKey }: { prefix: string; templateKey: string }): Promise<void> {
  await db.insert(caseSequences).values({ prefix, templateKey, lastNumber: 0 }).onConflictDoNothing({ target: caseSequences.prefix });
  const owner = await prefixOwner(db, prefix);
  if (owner !== templateKey) throw new PrefixTakenError(prefix, owner ?? '(unknown)', templateKey);
}

/**
 * Allocates the next case key `<PREFIX>-<n>` in one atomic statement, so concurrent starts
 * never get the same number. Throws `PrefixTakenError` if another template owns the prefix.
 */
export async function nextCaseKey(db: Database, { prefix, templateKey }: { prefix: string; templateKey: string }): Promise<string> {
  const allocate = prepared(db, 'case-keys-next', (d) =>
    d
      .insert(caseSequences)
      .values({ prefix: value('prefix'), templateKey: value('templateKey'), lastNumber: 1 })
      .onConflictDoUpdate({
        target: caseSequences.prefix,
        set: { lastNumber: sql`${caseSequences.lastNumber} + 1` },
        setWhere: sql`${caseSequences.templateKey} = excluded.template_key`,
      })
      .returning({ n: caseSequences.lastNumber })
      .prepare('case-keys-next'),
  );
  const [row] = await allocate.execute({ prefix, templateKey });
  if (!row) throw new PrefixTakenError(prefix, (await prefixOwner(db, prefix)) ?? '(unknown)', templateKey);
  return `${prefix}-${row.n}`;
}
