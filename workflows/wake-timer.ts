import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/**
 * The case's one durable timer, set for the next instant it must wake at (an SLA target, an
 * escalation, a task's due date, the end of retention). It is re-armed only when that instant
 * changes: a command that leaves it alone costs no timer events in the history.
 */
export class WakeTimer {
  private at: string | undefined;
  private scope: CancellationScope | undefined;
  /** The armed instant has come; `consume()` before arming the next. */
  fired = false;

  /** `label` names the timer in the Temporal UI (`SLA deadline: documentation`). */
  arm(at: string | undefined, label?: string): void {
    if (at === this.at && (this.scope || this.fired)) return;
    this.scope?.cancel();
    this.scope = undefined;
    this.at = at;
    this.fired = false;
    if (at === undefined) return;
    const scope = new CancellationScope();
    this.scope = scope;
    const ms = Math.max(1, Date.parse(at) - Date.now());
    scope.run(() => sleep(ms, label ? { summary: label } : undefined)).then(
      () => {
        if (this.scope !== scope) return;
        this.scope = undefined;
        this.fired = true;
      },
      (err: unknown) => {
        // Cancelled because the instant moved: the new timer is already armed.
        if (!isCancellation(err)) throw err;
      },
    );
  }

  /** Clears a fired timer, so the next `arm` sets a new one even for the same instant. */
  consume(): void {
    if (!this.fired) return;
    this.fired = false;
    this.at = undefined;
  }
}
