import { Gauge, type Registry } from 'prom-client';

/** One row of the read model's count of open cases (db/case-counts.ts). */
export interface OpenCasesCount {
  template: string;
  stage: string;
  open: number;
  overdue: number;
}

/** A scrape never waits longer than this for the count; the gauges are then left empty for that scrape. */
const COUNT_TIMEOUT_MS = 2_000;

/**
 * `cases_open` and `cases_overdue` by template and stage, counted in the read model when Prometheus
 * scrapes (one query for both gauges). Every API replica reports the same global numbers: aggregate
 * them with `max`, not `sum`. A count that fails (database down) leaves both gauges without
 * samples rather than showing stale numbers.
 */
export function registerOpenCasesGauges(registry: Registry, count: () => Promise<OpenCasesCount[]>, onError: (err: unknown) => void): void {
  let pending: Promise<OpenCasesCount[] | undefined> | undefined;
  // Both gauges' collect() run in the same scrape (in parallel): they share one query.
  const load = () =>
    (pending ??= withTimeout(count(), COUNT_TIMEOUT_MS)
      .catch((err: unknown) => {
        onError(err);
        return undefined;
      })
      .finally(() => setImmediate(() => (pending = undefined))));

  const gauge = (name: string, help: string, value: (row: OpenCasesCount) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['template', 'stage'] as const,
      registers: [registry],
      async collect() {
        const rows = await load();
        // Stages nobody is in any more disappear instead of keeping their last count.
        this.reset();
        for (const row of rows ?? []) this.set({ template: row.template, stage: row.stage }, value(row));
      },
    });
  gauge('cases_open', 'Open cases by template and stage, from the read model at scrape time (every API replica reports the same: use max)', (r) => r.open);
  gauge('cases_overdue', 'Open cases past their earliest running deadline, by template and stage (from the read model at scrape time; use max)', (r) => r.overdue);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`counting open cases took over ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
