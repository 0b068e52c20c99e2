import { customType, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/**
 * Bytes of uploaded and generated documents, behind the DocumentStore interface so an object
 * store can replace it. Workflows only ever see the metadata.
 */
export const documentBlobs = pgTable('document_blobs', {
  id: text('id').primaryKey(),
  caseKey: text('case_key').notNull(),
  slot: text('slot').notNull(),
  contentType: text('content_type').notNull(),
  size: integer('size').notNull(),
  sha256: text('sha256').notNull(),
  bytes: bytea('bytes').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export type DocumentBlobRow = typeof documentBlobs.$inferSelect;
