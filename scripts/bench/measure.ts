/**
 * CPU accounting from /proc (user + system time of every process involved, all threads) and the
 * alternating-blocks runner that charges wall time and CPU to the kind of operation that used it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { pool, round, sleep, summarize, type Summary } from './stats';

let clkTck: number | undefined;
function ticksPerSecond(): number {
  try {
    clkTck ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clkTck = 100;
  }
  return clkTck;
}

/** utime + stime of a process in ms (all its threads), or null once it is gone. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

type CpuSnapshot = { byName: Record<string, number>; pg: Map<number, number> };

/**
 * Snapshots of the named processes, this harness (its client work is the raw column's client) and
 * the PostgreSQL backends serving the benchmark's database (they come and go with pools, so they
 * are listed at every snapshot).
 */
export class CpuMeter {
  constructor(
    private readonly pids: () => Record<string, number>,
    private readonly pgBackendPids: () => Promise<number[]>,
  ) {}

  async snapshot(): Promise<CpuSnapshot> {
    const byName: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const ms = processCpuMs(pid);
      if (ms !== null) byName[name] = ms;
    }
    const usage = process.cpuUsage();
    byName.harness = (usage.user + usage.system) / 1000;
    const pg = new Map<number, number>();
    for (const pid of await this.pgBackendPids()) {
      const ms = processCpuMs(pid);
      if (ms !== null) pg.set(pid, ms);
    }
    return { byName, pg };
  }

  static delta(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, ms] of Object.entries(b.byName)) if (a.byName[name] !== undefined) out[name] = ms - a.byName[name]!;
    // A backend that connected during the block counts from zero.
    out.postgres = [...b.pg].reduce((sum, [pid, ms]) => sum + ms - (a.pg.get(pid) ?? 0), 0);
    return out;
  }
}

export interface OpResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Kind<R extends OpResult> {
  name: string;
  n: number;
  /** Block size of this kind when it differs from the common one. */
  block?: number;
  run: (i: number) => Promise<R>;
}

export interface KindResult<R extends OpResult> {
  records: R[];
  summary: {
    n: number;
    ok: number;
    errors: number;
    errorSamples: string[];
    latency: Summary;
    perSecond: number | null;
    cpuMsPerOp: Record<string, number | null>;
  };
}

/**
 * Runs the kinds in alternating blocks (A B C, B C A, …) so a noisy neighbour or a warming JIT
 * hits every column alike, and charges each block's wall time and CPU to its kind. Each block's
 * closing snapshot waits `settleMs` so work a block leaves behind (a projection activity after the
 * last command) is charged to it rather than to the next kind; the wait is not in the wall time.
 */
export async function alternate<R extends OpResult>(
  meter: CpuMeter,
  kinds: Array<Kind<R>>,
  opts: { block: number; concurrency?: number; settleMs?: number },
): Promise<Record<string, KindResult<R>>> {
  const acc = new Map(kinds.map((k) => [k.name, { records: [] as R[], wallMs: 0, cpu: {} as Record<string, number>, done: 0 }]));
  for (let roundNo = 0; kinds.some((k) => acc.get(k.name)!.done < k.n); roundNo++) {
    for (let j = 0; j < kinds.length; j++) {
      const k = kinds[(j + roundNo) % kinds.length]!;
      const a = acc.get(k.name)!;
      const count = Math.min(k.block ?? opts.block, k.n - a.done);
      if (count <= 0) continue;
      const from = a.done;
      const c0 = await meter.snapshot();
      const t0 = performance.now();
      a.records.push(...(await pool(count, opts.concurrency ?? 1, (i) => k.run(from + i))));
      a.wallMs += performance.now() - t0;
      await sleep(opts.settleMs ?? 100);
      for (const [name, ms] of Object.entries(CpuMeter.delta(c0, await meter.snapshot()))) a.cpu[name] = (a.cpu[name] ?? 0) + ms;
      a.done += count;
    }
  }
  const out: Record<string, KindResult<R>> = {};
  for (const [name, a] of acc) {
    const ok = a.records.filter((r) => r.ok);
    const n = a.records.length;
    const cpuMsPerOp: Record<string, number | null> = Object.fromEntries(Object.entries(a.cpu).map(([p, ms]) => [p, round(ms / n, 2)]));
    cpuMsPerOp.total = round(Object.values(a.cpu).reduce((s, ms) => s + ms, 0) / n, 2);
    out[name] = {
      records: a.records,
      summary: {
        n,
        ok: ok.length,
        errors: n - ok.length,
        errorSamples: [...new Set(a.records.filter((r) => !r.ok).map((r) => r.error ?? '?'))].slice(0, 5),
        latency: summarize(ok.map((r) => r.ms)),
        perSecond: round((n / a.wallMs) * 1000, 2),
        cpuMsPerOp,
      },
    };
  }
  return out;
}
