/**
 * Reads a Prometheus text exposition (what `/metrics` serves) for assertions: the samples by name
 * and labels, and the metric families it declares. (parse-prometheus-text-format drops the labels
 * of histograms, which the lag histogram needs.)
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

export class Scrape {
  readonly samples: Sample[] = [];
  /** Families from `# TYPE` lines: a metric with no samples yet is declared all the same. */
  readonly families = new Map<string, string>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      const type = /^# TYPE (\S+) (\S+)/.exec(line);
      if (type) this.families.set(type[1]!, type[2]!);
      if (line.startsWith('#') || !line.trim()) continue;
      const m = SAMPLE.exec(line.trim());
      if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name, value] of (m[2] ?? '').matchAll(LABEL)) labels[name!] = value!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      this.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
    }
  }

  /** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
  }

  /** Every name a query may use: families, and the sample names of their series (`_bucket`, `_count`, `_total`…). */
  names(): Set<string> {
    return new Set([...this.families.keys(), ...this.samples.map((s) => s.name)]);
  }
}

/** How each value of `after` moved from `before`, for the series named. */
export function delta(before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}): number {
  return after.value(name, labels) - before.value(name, labels);
}
