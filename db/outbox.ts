import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from './connection';
import { toEmailInfo, type EmailInfo, type ListEmailsFilter } from './emails';
import { clampLimit, keysetPage, olderThan } from './keyset';
import { emails } from './schema';

/**
 * The e-mails addressed to one address (compared case-insensitively), newest first,
 * keyset-paginated like `listEmails`: the outbox as a reader who is not an admin sees it.
 */
export async function listEmailsTo(
  db: Database,
  address: string,
  filter: ListEmailsFilter = {},
): Promise<{ items: EmailInfo[]; nextCursor: string | null }> {
  const limit = clampLimit(filter.limit, 50, 200);
  const conditions: SQL[] = [sql`exists (select 1 from jsonb_array_elements_text(${emails.to}) as r(address) where lower(r.address) = lower(${address}))`];
  if (filter.caseKey !== undefined) conditions.push(eq(emails.caseKey, filter.caseKey));
  if (filter.status !== undefined) conditions.push(eq(emails.status, filter.status));
  if (filter.cursor !== undefined) conditions.push(olderThan(emails.createdAt, emails.id, filter.cursor));
  const rows = await db
    .select()
    .from(emails)
    .where(and(...conditions))
    .orderBy(desc(emails.createdAt), desc(emails.id))
    .limit(limit + 1);
  const { page, nextCursor } = keysetPage(rows, limit);
  return { items: page.map(toEmailInfo), nextCursor };
}
