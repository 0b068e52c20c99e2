import type { CaseEvent } from '../domain/events';
import { BYTES, RECENT_EVENTS, jsonBytes } from '../domain/limits';

/**
 * The newest events within the recent timeline's count and byte budgets (what `keepRecent` keeps),
 * with each event measured once when it arrives rather than the whole list on every command.
 */
export class RecentEvents {
  private events: CaseEvent[] = [];
  private sizes: number[] = [];
  private total = 0;

  constructor(events: readonly CaseEvent[] = []) {
    this.push(events);
  }

  push(events: readonly CaseEvent[]): void {
    for (const event of events) {
      const size = jsonBytes(event);
      this.events.push(event);
      this.sizes.push(size);
      this.total += size;
    }
    let drop = 0;
    while (drop < this.events.length && (this.events.length - drop > RECENT_EVENTS || this.total > BYTES.recentEvents)) this.total -= this.sizes[drop++]!;
    if (drop > 0) {
      this.events = this.events.slice(drop);
      this.sizes = this.sizes.slice(drop);
    }
  }

  /** Events with `from <= seq <= to` still held (a repeated request's answer). */
  between(from: number, to: number): CaseEvent[] {
    return this.events.filter((e) => e.seq >= from && e.seq <= to);
  }

  /** The newest `limit` events (1..RECENT_EVENTS, all by default). */
  newest(limit?: number): CaseEvent[] {
    return this.events.slice(-Math.max(1, Math.min(limit ?? RECENT_EVENTS, RECENT_EVENTS)));
  }

  toArray(): CaseEvent[] {
    return this.events;
  }
}
