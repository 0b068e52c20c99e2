import type { Logger } from 'pino';

/** However much is in flight, a process asked to stop is gone within this long. */
export const HARD_STOP_MS = 30_000;

/**
 * Runs `stop` once on SIGINT or SIGTERM and exits when it is done. A second signal, or
 * HARD_STOP_MS without finishing, exits at once: a shutdown always finishes.
 */
export function stopOnSignals(stop: () => Promise<void>, opts: { log?: Pick<Logger, 'info' | 'error'>; hardStopMs?: number } = {}): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.log?.info({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    opts.log?.info({ signal }, 'stopping');
    const hard = setTimeout(() => {
      opts.log?.error({ afterMs: opts.hardStopMs ?? HARD_STOP_MS }, 'shutdown took too long: exiting now');
      process.exit(1);
    }, opts.hardStopMs ?? HARD_STOP_MS);
    hard.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        opts.log?.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
