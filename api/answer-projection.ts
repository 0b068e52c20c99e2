import type { Logger } from 'pino';
import type { Database } from '../db/connection';
import { projectCase } from '../db/read-model';
import { getPinnedDefinition } from '../db/templates';
import type { CommandResult } from '../domain/case-view';
import type { CaseMetrics } from '../metrics/case-metrics';

/** When a write refused as not contiguous is tried again (ms after the previous try). */
const RETRY_AFTER_MS = [0, 50, 250];

/** Writes a command's answer to the read model; never throws (the case workflow is the backstop). */
export type AnswerProjection = (caseKey: string, result: CommandResult) => Promise<void>;

/**
 * The API writes the events of a command it has just been answered to the read model itself: it
 * has them at hand, and the case workflow then needs no second workflow task per command to do it
 * (it writes them itself CALLER_PROJECTION_GRACE_MS later if this write is lost). Only right after
 * what the read model holds (`contiguous`): a write that would leave a gap is left to the workflow.
 */
export function answerProjection(db: Database, log?: Logger, metrics?: CaseMetrics): AnswerProjection {
  return async (caseKey, result) => {
    if (!result.project || result.events.length === 0) return;
    try {
      const { key, version } = result.case.template;
      const template = await getPinnedDefinition(db, key, version);
      if (!template) return;
      // Refused as not contiguous, it is usually just behind the workflow's own write of older events
      // (an effect's outcome, a signal): try again shortly before leaving it to the workflow's grace.
      for (const wait of RETRY_AFTER_MS) {
        if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
        const written = await projectCase(db, { caseKey, view: result.case, events: result.events }, template, { contiguous: true });
        if (!written.skipped) {
          metrics?.eventsStored(key, written.inserted, 'api');
          return;
        }
      }
    } catch (err) {
      log?.warn({ err, caseKey }, 'writing a command to the read model failed; the case workflow writes it shortly');
    }
  };
}
