/** However much is in flight, a process asked to stop is gone within this long. */
export const HARD_STOP_MS = 30_000;

/**
 * What a process says while it stops. `npm start` prints lines for the person at the terminal;
 * the API and worker services log JSON for whoever operates them.
 */
export interface StopReport {
  /** A stop began: on `signal`, or without one because the process itself failed. */
  stopping(signal?: NodeJS.Signals): void;
  stopped(part: string): void;
  failed(part: string, err: unknown): void;
  /** Every part was asked to stop; `clean` when none failed. */
  finished(clean: boolean): void;
  /** A repeated signal: the process exits now. */
  hurried(signal: NodeJS.Signals): void;
  /** The hard stop timeout passed: the process exits now. */
  tooLong(afterMs: number): void;
}

export interface StopStackOptions {
  report: StopReport;
  /** Signals that, arriving again during a stop, exit at once with 130. Default: SIGINT and SIGTERM. */
  hurryOn?: readonly NodeJS.Signals[];
  /** Whether a part that failed to stop makes the exit code 1 (default) instead of the code asked for. */
  uncleanStopFails?: boolean;
  hardStopMs?: number;
}

/**
 * What a process started, stopped in reverse order of start and then the process exits: the API
 * drains its requests while the worker still runs their commands, then the worker, the database
 * and last the Temporal dev server. A part that fails to stop does not keep the others running.
 * A second signal, or `hardStopMs` without finishing, exits at once: a shutdown always finishes.
 */
export class StopStack {
  private readonly parts: Array<{ name: string; stop: () => Promise<unknown> }> = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: StopStackOptions) {}

  /** `stop` runs before everything pushed earlier. */
  push(name: string, stop: () => Promise<unknown>): void {
    this.parts.push({ name, stop });
  }

  /** Stops every part once, then exits with `code`; later calls join the stop under way. */
  stop(code: number, signal?: NodeJS.Signals): Promise<void> {
    return (this.stopping ??= this.stopAll(code, signal));
  }

  /** From now on SIGINT and SIGTERM stop the stack and exit 0. */
  stopOnSignals(): void {
    const hurryOn = this.opts.hurryOn ?? ['SIGINT', 'SIGTERM'];
    const onSignal = (signal: NodeJS.Signals) => {
      if (!this.stopping) {
        void this.stop(0, signal);
      } else if (hurryOn.includes(signal)) {
        this.opts.report.hurried(signal);
        process.exit(130);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  private async stopAll(code: number, signal?: NodeJS.Signals): Promise<void> {
    const { report } = this.opts;
    report.stopping(signal);
    const hardStopMs = this.opts.hardStopMs ?? HARD_STOP_MS;
    const hard = setTimeout(() => {
      report.tooLong(hardStopMs);
      process.exit(code || 1);
    }, hardStopMs);
    hard.unref();
    let clean = true;
    // Popped, not iterated over a copy: a part that finished starting during the stop is stopped too.
    for (let part = this.parts.pop(); part; part = this.parts.pop()) {
      try {
        await part.stop();
        report.stopped(part.name);
      } catch (err) {
        clean = false;
        report.failed(part.name, err);
      }
    }
    report.finished(clean);
    process.exit(!clean && (this.opts.uncleanStopFails ?? true) ? code || 1 : code);
  }
}
