import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/connection';
import { PostgresDocumentStore, type DocumentStore } from '../db/document-store';
import type { GeneratedDocument, GenerateDocumentEffect } from '../domain/effects';
import { generatedDocumentId, renderAndStoreDocument } from '../documents/generate';
import { permanentIfOverBudget } from './email';

/**
 * Activity for the `generateDocument` automation action: renders the effect's document template
 * with the case as it was when the rule ran and stores the PDF under an id derived from the
 * effect key, so retries store it once. The workflow records the returned metadata as a new
 * version of the template's slot.
 */
export function generateDocumentActivity(deps: { db: Database; store?: DocumentStore }) {
  const store = deps.store ?? new PostgresDocumentStore(deps.db);
  return async (effect: GenerateDocumentEffect): Promise<GeneratedDocument> => {
    const createdAt = new Date(effect.context.event.at);
    if (Number.isNaN(createdAt.getTime())) {
      throw ApplicationFailure.create({ nonRetryable: true, type: 'InvalidEffect', message: `effect ${effect.key}: event time "${effect.context.event.at}" is not a date` });
    }
    try {
      return await renderAndStoreDocument(store, {
        documentId: generatedDocumentId(effect.key),
        caseKey: effect.caseKey,
        template: effect.template,
        context: effect.context,
        createdAt,
      });
    } catch (err) {
      // The same template over the same context renders the same way on every attempt: fail for good.
      throw permanentIfOverBudget(err, `effect ${effect.key}`);
    }
  };
}
