import { eq } from 'drizzle-orm';
import type { Database } from './connection';
import { documentBlobs } from './schema';

/** What is known about stored bytes without reading them. */
export interface StoredDocumentInfo {
  id: string;
  caseKey: string;
  slot: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface StoredDocument extends StoredDocumentInfo {
  bytes: Buffer;
}

/**
 * Where document bytes live, by document id. Workflows only ever carry the metadata; this is
 * the one place bytes are written and read, so an object store can replace PostgreSQL later.
 */
export interface DocumentStore {
  /**
   * Stores bytes under `doc.id`. Idempotent: when the id is already taken the stored document is
   * kept (a retried activity stores once) and returned with `created: false`.
   */
  put(doc: StoredDocument): Promise<{ created: boolean; info: StoredDocumentInfo }>;
  get(id: string): Promise<StoredDocument | null>;
  stat(id: string): Promise<StoredDocumentInfo | null>;
  /** Removes the bytes; false when there were none. */
  delete(id: string): Promise<boolean>;
}

const infoColumns = {
  id: documentBlobs.id,
  caseKey: documentBlobs.caseKey,
  slot: documentBlobs.slot,
  contentType: documentBlobs.contentType,
  size: documentBlobs.size,
  sha256: documentBlobs.sha256,
};

/** The PostgreSQL implementation over `document_blobs` (bytea); works on postgres.js and PGlite. */
export class PostgresDocumentStore implements DocumentStore {
  constructor(private readonly db: Database) {}

  async put(doc: StoredDocument): Promise<{ created: boolean; info: StoredDocumentInfo }> {
    if (doc.bytes.length !== doc.size) throw new Error(`document ${doc.id}: size ${doc.size} does not match ${doc.bytes.length} bytes`);
    const inserted = await this.db
      .insert(documentBlobs)
      .values({
        id: doc.id,
        caseKey: doc.caseKey,
        slot: doc.slot,
        contentType: doc.contentType,
        size: doc.size,
        sha256: doc.sha256,
        bytes: doc.bytes,
      })
      .onConflictDoNothing({ target: documentBlobs.id })
      .returning(infoColumns);
    const created = inserted[0];
    if (created) return { created: true, info: created };
    const existing = await this.stat(doc.id);
    if (!existing) throw new Error(`document ${doc.id} was neither inserted nor found (deleted concurrently?)`);
    return { created: false, info: existing };
  }

  async get(id: string): Promise<StoredDocument | null> {
    const [row] = await this.db.select({ ...infoColumns, bytes: documentBlobs.bytes }).from(documentBlobs).where(eq(documentBlobs.id, id));
    return row ?? null;
  }

  async stat(id: string): Promise<StoredDocumentInfo | null> {
    const [row] = await this.db.select(infoColumns).from(documentBlobs).where(eq(documentBlobs.id, id));
    return row ?? null;
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.db.delete(documentBlobs).where(eq(documentBlobs.id, id)).returning({ id: documentBlobs.id });
    return rows.length > 0;
  }
}
