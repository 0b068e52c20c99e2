import type { CommandResult } from '../domain/case-view';
import type { AnswerProjection } from './answer-projection';

/** Answers of one case held at most this many before they are written, whatever the window. */
const MAX_HELD = 64;
/** Cases whose written seq is remembered (the most recently written; a case forgotten is only written again by its workflow). */
const REMEMBERED_CASES = 10_000;

/**
 * Answers of one case that can be written as one: each starts right after the one before it
 * (no event of the case's own — an effect's outcome, an automation — between them, which the case
 * writes itself) and carries the view after its last event. A run is one answer with the events of
 * all and the view of the last. Sorted by seq first: concurrent commands of a case can be answered
 * here out of the order the case applied them.
 */
export function contiguousRuns(answers: readonly CommandResult[]): CommandResult[] {
  const sorted = answers.filter((a) => a.project && a.events.length > 0).sort((a, b) => a.events[0]!.seq - b.events[0]!.seq);
  const runs: CommandResult[] = [];
  for (const answer of sorted) {
    const last = runs[runs.length - 1];
    const lastSeq = last?.events[last.events.length - 1]!.seq;
    if (last && last.case.lastSeq === lastSeq && answer.events[0]!.seq === lastSeq + 1) {
      runs[runs.length - 1] = { ...answer, events: [...last.events, ...answer.events] };
    } else {
      runs.push(answer);
    }
  }
  return runs;
}

interface HeldAnswers {
  answers: CommandResult[];
  timer?: NodeJS.Timeout;
  writing?: Promise<void>;
}

/**
 * The API's writes of command answers to the read model, behind the callers' backs: an answer
 * waits `windowMs` for more answers of its case, then they are written as one statement
 * (`contiguousRuns`), one write of a case at a time. A case taking commands back to back (a bulk
 * import, an integration, a busy screen) then costs the database one write per window instead of
 * one per command — the write was a third of what a command cost beyond Temporal itself — for
 * `windowMs` more read-model lag. An answer that could not be written is the case's to write:
 * `leaveToCase` tells it at once, and later answers of that batch are not tried (the case's own
 * write covers them).
 */
export class AnswerBatches {
  private readonly held = new Map<string, HeldAnswers>();
  /**
   * Per case: whether its run takes `written` (`takesWritten`), and the seq through which this
   * process has written its events. Most recently touched last, so the oldest is dropped first.
   */
  private readonly known = new Map<string, { takes: boolean; through?: number }>();

  constructor(
    private readonly write: AnswerProjection,
    private readonly leaveToCase: (caseKey: string) => Promise<void>,
    private readonly windowMs: number,
  ) {}

  add(caseKey: string, answer: CommandResult): void {
    this.noteTaking(caseKey, answer);
    if (!answer.project || answer.events.length === 0) return;
    let held = this.held.get(caseKey);
    if (!held) this.held.set(caseKey, (held = { answers: [] }));
    held.answers.push(answer);
    if (held.writing) return;
    if (held.answers.length >= MAX_HELD) this.writeNow(caseKey, held);
    else held.timer ??= setTimeout(() => this.writeNow(caseKey, held), this.windowMs);
  }

  /** Writes every held answer now and resolves when all writes have ended (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.held.size > 0) {
      for (const [caseKey, held] of this.held) if (!held.writing) this.writeNow(caseKey, held);
      await Promise.all([...this.held.values()].map((h) => h.writing));
    }
  }

  /**
   * How far this process has written a case's events, for its next command (`written`): the case
   * then drops them instead of writing them again. Only for cases whose run takes it.
   */
  writtenThrough(caseKey: string): number | undefined {
    const known = this.known.get(caseKey);
    return known?.takes ? known.through : undefined;
  }

  /** An answer its caller wrote itself (a start's opening): counted like the batches' own writes. */
  noteWrite(caseKey: string, answer: CommandResult): void {
    this.noteTaking(caseKey, answer);
    const last = answer.events[answer.events.length - 1];
    if (last) this.noteWritten(caseKey, last.seq);
  }

  /** Answers not written yet, for all cases (a gauge, tests). */
  get pending(): number {
    let n = 0;
    for (const held of this.held.values()) n += held.answers.length;
    return n;
  }

  private writeNow(caseKey: string, held: HeldAnswers): void {
    clearTimeout(held.timer);
    held.timer = undefined;
    const batch = held.answers.splice(0);
    held.writing = this.writeRuns(caseKey, batch).finally(() => {
      held.writing = undefined;
      if (held.answers.length === 0) this.held.delete(caseKey);
      // Answers that came during the write wait for their own window, counted from now.
      else held.timer = setTimeout(() => this.writeNow(caseKey, held), held.answers.length >= MAX_HELD ? 0 : this.windowMs);
    });
  }

  private async writeRuns(caseKey: string, batch: CommandResult[]): Promise<void> {
    for (const run of contiguousRuns(batch)) {
      if (await this.write(caseKey, run)) {
        this.noteWritten(caseKey, run.events[run.events.length - 1]!.seq);
        continue;
      }
      await this.leaveToCase(caseKey);
      return;
    }
  }

  private noteTaking(caseKey: string, answer: CommandResult): void {
    const known = this.known.get(caseKey);
    if (answer.takesWritten && !known?.takes) this.remember(caseKey, { ...known, takes: true });
  }

  private noteWritten(caseKey: string, seq: number): void {
    const known = this.known.get(caseKey);
    if (known?.through === undefined || known.through < seq) this.remember(caseKey, { takes: known?.takes ?? false, through: seq });
  }

  private remember(caseKey: string, entry: { takes: boolean; through?: number }): void {
    this.known.delete(caseKey);
    this.known.set(caseKey, entry);
    if (this.known.size > REMEMBERED_CASES) this.known.delete(this.known.keys().next().value!);
  }
}
