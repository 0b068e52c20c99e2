/**
 * Admission control for one API process: at most `limit` calls to Temporal at once. A call past
 * the limit waits up to `waitMs` for a slot and is then refused (the API answers 503 with
 * Retry-After) — a burst is answered quickly instead of piling up until clients time out.
 */
export class AdmissionRefused extends Error {
  override readonly name = 'AdmissionRefused';
  constructor(readonly limit: number) {
    super(`${limit} calls to the workflow service are already in flight`);
  }
}

export class Admission {
  private inFlight = 0;
  private readonly waiting: Array<{ admit: () => void }> = [];

  constructor(
    readonly limit: number,
    readonly waitMs: number,
  ) {}

  get active(): number {
    return this.inFlight;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await call();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return Promise.resolve();
    }
    if (this.waitMs <= 0) return Promise.reject(new AdmissionRefused(this.limit));
    return new Promise<void>((resolve, reject) => {
      const entry = {
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new AdmissionRefused(this.limit));
      }, this.waitMs);
      this.waiting.push(entry);
    });
  }

  private release(): void {
    // The slot passes straight to the next waiter, so the count stays at the limit.
    const next = this.waiting.shift();
    if (next) next.admit();
    else this.inFlight--;
  }
}

/**
 * Requests in flight per actor: one client (a token) may not hold more than `limit` at once, so
 * it cannot take every slot from everybody else (the API answers 429 with Retry-After).
 */
export class PerActorLimit {
  private readonly counts = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Takes a slot for the actor; returns its release, or undefined when the actor is at its limit. */
  enter(actorId: string): (() => void) | undefined {
    const n = this.counts.get(actorId) ?? 0;
    if (n >= this.limit) return undefined;
    this.counts.set(actorId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(actorId) ?? 1) - 1;
      if (left <= 0) this.counts.delete(actorId);
      else this.counts.set(actorId, left);
    };
  }
}
