import type { Logger } from 'pino';
import { writeAnswer } from '../db/answers';
import type { Database } from '../db/connection';
import type { CommandResult } from '../domain/case-view';
import type { CaseMetrics } from '../metrics/case-metrics';

/**
 * Writes a command's answer to the read model; never throws. Resolves false when the write was
 * left to the case workflow (refused as not contiguous, or the database failed): the caller then
 * asks the case to write it now.
 */
export type AnswerProjection = (caseKey: string, result: CommandResult) => Promise<boolean>;

/** The API's write of what it has just been answered (db/answers.ts), counted and never failing the request. */
export function answerProjection(db: Database, log?: Logger, metrics?: CaseMetrics): AnswerProjection {
  return async (caseKey, result) => {
    try {
      const inserted = await writeAnswer(db, caseKey, result);
      if (!inserted) return false;
      metrics?.eventsStored(result.case.template.key, inserted, 'api');
      return true;
    } catch (err) {
      log?.warn({ err, caseKey }, 'writing a command to the read model failed; the case workflow writes it');
      return false;
    }
  };
}
