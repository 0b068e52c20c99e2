import { count, eq, lte, sql } from 'drizzle-orm';
import type { Database } from './connection';
import { cases } from './schema';

export interface OpenCasesInStage {
  template: string;
  stage: string;
  open: number;
  /** Open cases whose earliest running deadline has passed. */
  overdue: number;
}

/**
 * Open cases per template and stage, with how many are overdue: one aggregate over the open rows
 * (status index), read when Prometheus scrapes (api/metrics.ts), so it is never stale.
 */
export async function openCasesByStage(db: Database): Promise<OpenCasesInStage[]> {
  const rows = await db
    .select({
      template: cases.templateKey,
      stage: cases.stage,
      open: count(),
      overdue: sql<number>`count(*) filter (where ${lte(cases.dueAt, sql`now()`)})`.mapWith(Number),
    })
    .from(cases)
    .where(eq(cases.status, 'open'))
    .groupBy(cases.templateKey, cases.stage);
  return rows.map((r) => ({ template: r.template, stage: r.stage, open: Number(r.open), overdue: Number(r.overdue) }));
}
