import type { Database } from './connection';
import { listEmails, type EmailInfo, type ListEmailsFilter } from './emails';

/**
 * The e-mails addressed to one address (compared case-insensitively), newest first,
 * keyset-paginated like `listEmails`: the outbox as a reader who is not an admin sees it.
 */
export function listEmailsTo(db: Database, address: string, filter: ListEmailsFilter = {}): Promise<{ items: EmailInfo[]; nextCursor: string | null }> {
  return listEmails(db, filter, address);
}
