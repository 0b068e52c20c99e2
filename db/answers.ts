import type { CommandResult } from '../domain/case-view';
import type { CaseEvent } from '../domain/events';
import type { Database } from './connection';
import { projectCase } from './read-model';
import { getPinnedDefinition } from './templates';

/** When a write refused as not contiguous is tried again (ms after the previous try). */
const RETRY_AFTER_MS = [0, 50, 250];

/**
 * Writes the events a command's caller was answered with to the read model: the API after a
 * command, the bulk activity after each case. The case workflow then needs no workflow task of its
 * own for them (told that this write failed, it writes them at once; if it is lost, after its grace). Only
 * right after what the read model holds (`contiguous`); a write refused as not contiguous is
 * usually just behind the workflow's own write of older events (an effect's outcome, a signal), so
 * it is tried again shortly before it is left to the workflow. Answers the events it stored (none
 * when they were there already, or when there was nothing to write), or undefined when it left
 * them to the workflow — which the caller should then tell the case (`projectBacklogSignal`).
 */
export async function writeAnswer(db: Database, caseKey: string, answer: CommandResult): Promise<CaseEvent[] | undefined> {
  if (!answer.project || answer.events.length === 0) return [];
  const { key, version } = answer.case.template;
  const template = await getPinnedDefinition(db, key, version);
  if (!template) return undefined;
  for (const wait of RETRY_AFTER_MS) {
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const written = await projectCase(db, { caseKey, view: answer.case, events: answer.events }, template, { contiguous: true });
    if (!written.skipped) return written.inserted;
  }
  return undefined;
}
