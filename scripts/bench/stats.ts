/** Small statistics helpers shared by the benchmarks. */

export interface Summary {
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export const round = (x: number | null | undefined, digits = 1): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits));

/** Nearest-rank percentile of an ascending array (the same definition as the reference benchmark). */
export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarize(samples: Array<number | null | undefined>): Summary {
  const s = samples.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(percentile(s, 0.5), 2),
    p90: round(percentile(s, 0.9), 2),
    p99: round(percentile(s, 0.99), 2),
    max: round(s.at(-1), 2),
    mean: round(s.length ? s.reduce((a, b) => a + b, 0) / s.length : null, 2),
  };
}

export const ratio = (a: number | null | undefined, b: number | null | undefined): number | null => (a && b ? round(a / b, 2) : null);

/** Runs fn(0..n-1) with at most `concurrency` in flight; results in index order. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  let next = 0;
  const results = new Array<T>(n);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) results[i] = await fn(i);
    }),
  );
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
