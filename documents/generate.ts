/**
 * Generated documents: a document template rendered to a PDF and stored. The automation activity
 * (activities/documents.ts) and the API's generate command (api/documents.ts) both go through
 * here, so they name, hash and store a generated document the same way; it lives apart from both
 * because the API may not import activities/.
 */
import { createHash } from 'node:crypto';
import type { DocumentStore } from '../db/document-store';
import type { GeneratedDocument, RenderContext } from '../domain/effects';
import { RenderBudgetExceeded } from '../domain/logic-budget';
import { renderTemplate } from '../domain/render';
import type { DocumentTemplate } from '../domain/template';
import { renderPdf } from './pdf';

export const PDF_CONTENT_TYPE = 'application/pdf';

/** The hex SHA-256 of stored bytes (uploads too): what the document store and the case record keep. */
export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** The document id of an effect's PDF: the same effect (a retry, a re-dispatch) always maps to the same id. */
export const generatedDocumentId = (effectKey: string) => `gen_${sha256Hex(effectKey).slice(0, 40)}`;

/** A generated file name: no path separators, control characters or leading dots; ends in .pdf. */
export function generatedFileName(rendered: string, fallback: string): string {
  const cleaned = rendered
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f/\\]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s-]+/, '')
    .slice(0, 200)
    .trim();
  const name = cleaned || fallback;
  return /\.pdf$/i.test(name) ? name : `${name}.pdf`;
}

export interface RenderAndStoreInput {
  documentId: string;
  caseKey: string;
  template: DocumentTemplate;
  context: RenderContext | Record<string, unknown>;
  /** The PDF's creation date; pass a date from the case (an event time) for reproducible bytes. */
  createdAt: Date;
}

/** Renders one text of a document template; a budget error says which text it was. */
function renderPart(template: DocumentTemplate, part: 'title' | 'body' | 'fileName', context: object): string {
  try {
    return renderTemplate(template[part] ?? '', context, 'text');
  } catch (err) {
    if (err instanceof RenderBudgetExceeded) throw new RenderBudgetExceeded(`document template "${template.key}" ${part}: ${err.message}`);
    throw err;
  }
}

/**
 * Renders a document template (mustache, as text) into a PDF and stores it under `documentId`.
 * Idempotent: when the id is already stored, the stored document is kept and described.
 * A text over its run-time budget throws `RenderBudgetExceeded` before anything is stored.
 */
export async function renderAndStoreDocument(store: DocumentStore, input: RenderAndStoreInput): Promise<GeneratedDocument> {
  const { template, context } = input;
  const title = renderPart(template, 'title', context).trim() || template.title;
  const body = renderPart(template, 'body', context);
  const fileName = generatedFileName(renderPart(template, 'fileName', context), template.key);
  const existing = await store.stat(input.documentId);
  if (existing) return { documentId: existing.id, fileName, contentType: existing.contentType, size: existing.size, sha256: existing.sha256 };
  const bytes = await renderPdf({ title, body, createdAt: input.createdAt });
  const { info } = await store.put({
    id: input.documentId,
    caseKey: input.caseKey,
    slot: template.slot,
    contentType: PDF_CONTENT_TYPE,
    size: bytes.length,
    sha256: sha256Hex(bytes),
    bytes,
  });
  return { documentId: info.id, fileName, contentType: info.contentType, size: info.size, sha256: info.sha256 };
}
