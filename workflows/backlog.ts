import { projectionBatch } from '../domain/budgets';
import type { CaseEvent } from '../domain/events';
import { BYTES, jsonBytes } from '../domain/limits';

/**
 * Bytes of events waiting for the read model, kept as a running total so each command does not
 * re-measure the whole backlog.
 */
export class Backlog {
  private events: CaseEvent[];
  private total: number;

  constructor(events: CaseEvent[] = []) {
    this.events = events;
    this.total = jsonBytes(events);
  }

  get bytes(): number {
    return this.total;
  }

  get length(): number {
    return this.events.length;
  }

  /** Over the soft budget: new commands are refused with `case_busy` until the read model catches up. */
  get busy(): boolean {
    return this.total > BYTES.backlogSoft;
  }

  /** Over the hard budget: even refusals are only counted. */
  get full(): boolean {
    return this.total > BYTES.backlogHard;
  }

  push(events: readonly CaseEvent[]): void {
    for (const e of events) {
      this.events.push(e);
      this.total += jsonBytes(e);
    }
  }

  /** The next batch to project (by count only in runs that predate byte budgets: they must replay alike). */
  batch(countOnly = false): CaseEvent[] {
    return projectionBatch(this.events, countOnly);
  }

  /** The oldest waiting event's seq, if any. */
  get oldestSeq(): number | undefined {
    return this.events[0]?.seq;
  }

  /** Drops what the read model acknowledged. */
  acknowledge(throughSeq: number): void {
    const kept = this.events.filter((e) => e.seq > throughSeq);
    this.events = kept;
    this.total = jsonBytes(kept);
  }

  toArray(): CaseEvent[] {
    return this.events;
  }
}

