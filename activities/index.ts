import type { EffectActivities } from '../domain/effects';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { createLogger } from '../config/logger';
import type { Database } from '../db/connection';
import { sendDigestsActivity } from './digest';
import { sendEmailActivity } from './email';
import { notifyUserActivity } from './notify';
import { projectCaseActivity } from './projection';
import { callWebhookActivity } from './webhook';
import { generateDocumentActivity } from './documents';
import { applyBatchItemActivity, finishBatchActivity, recordBatchItemActivity } from './batch';

export { ProjectionFailure } from './projection';
export { EmailFailure } from './email';
export { WebhookFailure } from './webhook';
export { DigestFailure, type DigestInput, type DigestRunResult } from './digest';

export interface ActivityDeps {
  db: Database;
  config: Config;
  /** Where activities log (deliveries, refusals); a pino logger at LOG_LEVEL when absent. */
  log?: Logger;
}

/**
 * Every activity the worker registers, built over its dependencies so tests can hand in a
 * real database and fakes of third-party services. Workflows import this type only.
 */
export function createActivities(deps: ActivityDeps) {
  const effectDeps = { db: deps.db, config: deps.config, log: deps.log ?? createLogger(deps.config, 'activities') };
  return {
    /** Projects `{ caseKey, view, events }` into the read model; idempotent and order-safe. */
    projectCase: projectCaseActivity(deps.db),
    /** EmailEffect → EmailResult: records and sends one e-mail, once per effect key (Resend, or the outbox). */
    sendEmail: sendEmailActivity(effectDeps),
    /** NotifyEffect → NotifyResult: an in-app notification, plus an e-mail copy when the user has an address. */
    notifyUser: notifyUserActivity(effectDeps),
    /** WebhookEffect → WebhookResult: a signed POST to an allowlisted URL, once per effect key. */
    callWebhook: callWebhookActivity(effectDeps),
    /** `{ at }` → DigestRunResult: the owner digest (run by digestWorkflow on the `owner-digest` schedule). */
    sendDigests: sendDigestsActivity(effectDeps),
    /** GenerateDocumentEffect → GeneratedDocument: renders a document template to PDF and stores it, once per effect key. */
    generateDocument: generateDocumentActivity(effectDeps),
    /** BatchItemInput → BatchItemResult: one case of a bulk action or migration, sent as the actor who asked, once. */
    applyBatchItem: applyBatchItemActivity(effectDeps),
    /** `{ batchId, result }`: stores the outcome of an item the batch workflow gave up on. */
    recordBatchItem: recordBatchItemActivity(deps.db),
    /** Marks a bulk action or migration finished. */
    finishBatch: finishBatchActivity(deps.db),
  };
}

// The case workflow calls effects by these names and types: keep the two in step at compile time.
type ProvidesEffects = ReturnType<typeof createActivities> extends EffectActivities ? true : never;
export const providesEffects: ProvidesEffects = true;
