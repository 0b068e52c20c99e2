import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { CaseView } from '../domain/case-view';
import type { Actor } from '../domain/actor';
import { BATCH_OUTCOMES, type BatchItemOutcome, type BatchItemResult, type BatchKind, type BatchStatus } from '../domain/batch';
import type { Database } from './connection';
import { caseListConditions, type ListCasesFilter } from './read-model';
import { batchItems, batches, cases } from './schema';

/**
 * Bulk actions and migrations in the database: the batch as asked, and one row per case that the
 * batch workflow's activity fills in with its outcome. Every write is idempotent (a retried
 * activity or a retried request writes the same thing again).
 */

export interface NewBatch {
  id: string;
  kind: BatchKind;
  action: string;
  templateKey?: string;
  request: Record<string, unknown>;
  actor: Actor;
  caseKeys: string[];
}

export interface BatchProgress {
  id: string;
  kind: BatchKind;
  action: string;
  templateKey: string | null;
  request: Record<string, unknown>;
  requestedBy: { id: string; name: string };
  status: BatchStatus;
  total: number;
  counts: Record<BatchItemOutcome, number>;
  createdAt: string;
  finishedAt: string | null;
}

export interface BatchItemPage {
  items: Array<{ position: number; case: string; outcome: BatchItemOutcome; code: string | null; detail: string | null; at: string }>;
  /** Pass back as `after` for the next page; null on the last page. */
  nextCursor: number | null;
}

const CHUNK = 1000;

/** Records a batch and its cases as pending; a second call with the same id changes nothing. */
export async function createBatch(db: Database, batch: NewBatch): Promise<void> {
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(batches)
      .values({
        id: batch.id,
        kind: batch.kind,
        action: batch.action,
        templateKey: batch.templateKey ?? null,
        request: batch.request,
        actor: batch.actor,
        status: 'running',
        total: batch.caseKeys.length,
      })
      .onConflictDoNothing({ target: batches.id })
      .returning({ id: batches.id });
    if (inserted.length === 0) return;
    for (let i = 0; i < batch.caseKeys.length; i += CHUNK) {
      await tx
        .insert(batchItems)
        .values(batch.caseKeys.slice(i, i + CHUNK).map((caseKey, j) => ({ batchId: batch.id, caseKey, position: i + j, outcome: 'pending' as const })))
        .onConflictDoNothing();
    }
  });
}

/** The cases of a batch in processing order, or undefined when there is no such batch. */
export async function batchCaseKeys(db: Database, batchId: string): Promise<string[] | undefined> {
  const [batch] = await db.select({ id: batches.id }).from(batches).where(eq(batches.id, batchId));
  if (!batch) return undefined;
  const rows = await db.select({ caseKey: batchItems.caseKey }).from(batchItems).where(eq(batchItems.batchId, batchId)).orderBy(asc(batchItems.position));
  return rows.map((r) => r.caseKey);
}

/** Stores what became of one case (the last word wins: a retried item writes its same outcome again). */
export async function recordBatchItem(db: Database, batchId: string, result: BatchItemResult): Promise<void> {
  await db
    .update(batchItems)
    .set({ outcome: result.outcome, code: result.code ?? null, detail: result.detail?.slice(0, 2000) ?? null, updatedAt: sql`now()` })
    .where(and(eq(batchItems.batchId, batchId), eq(batchItems.caseKey, result.caseKey)));
}

/** Marks the batch finished; a cancelled one marks the cases it never reached `cancelled`. */
export async function finishBatch(db: Database, batchId: string, status: Exclude<BatchStatus, 'running'>): Promise<void> {
  await db.transaction(async (tx) => {
    if (status === 'cancelled') {
      await tx
        .update(batchItems)
        .set({ outcome: 'cancelled', updatedAt: sql`now()` })
        .where(and(eq(batchItems.batchId, batchId), eq(batchItems.outcome, 'pending')));
    }
    await tx
      .update(batches)
      .set({ status, finishedAt: sql`coalesce(${batches.finishedAt}, now())` })
      .where(eq(batches.id, batchId));
  });
}

/** The batch and how many of its cases reached each outcome, or null. */
export async function getBatchProgress(db: Database, batchId: string, kind: BatchKind): Promise<BatchProgress | null> {
  const [row] = await db.select().from(batches).where(and(eq(batches.id, batchId), eq(batches.kind, kind)));
  if (!row) return null;
  const grouped = await db
    .select({ outcome: batchItems.outcome, n: sql<number>`count(*)::int` })
    .from(batchItems)
    .where(eq(batchItems.batchId, batchId))
    .groupBy(batchItems.outcome);
  const counts = Object.fromEntries(BATCH_OUTCOMES.map((o) => [o, 0])) as Record<BatchItemOutcome, number>;
  for (const g of grouped) counts[g.outcome] = Number(g.n);
  return {
    id: row.id,
    kind: row.kind,
    action: row.action,
    templateKey: row.templateKey,
    request: row.request,
    requestedBy: { id: row.actor.id, name: row.actor.name },
    status: row.status,
    total: row.total,
    counts,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** One page of a batch's cases in processing order, optionally of one outcome. */
export async function listBatchItems(
  db: Database,
  batchId: string,
  opts: { after?: number; limit: number; outcome?: BatchItemOutcome },
): Promise<BatchItemPage> {
  const rows = await db
    .select()
    .from(batchItems)
    .where(
      and(
        eq(batchItems.batchId, batchId),
        opts.after !== undefined ? gt(batchItems.position, opts.after) : undefined,
        opts.outcome ? eq(batchItems.outcome, opts.outcome) : undefined,
      ),
    )
    .orderBy(asc(batchItems.position))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => ({ position: r.position, case: r.caseKey, outcome: r.outcome, code: r.code, detail: r.detail, at: r.updatedAt.toISOString() })),
    nextCursor: rows.length > opts.limit ? page[page.length - 1]!.position : null,
  };
}

/**
 * The cases of one template version matching a list filter that `viewer` may see, with their
 * stored views, in key order, `batchSize` at a time (a migration's dry run and its targets).
 */
export async function* casesOfVersion(
  db: Database,
  target: { templateKey: string; version: number; filter: Omit<ListCasesFilter, 'template' | 'sort' | 'limit' | 'cursor'> },
  viewer: Actor,
  opts: { batchSize?: number } = {},
): AsyncGenerator<Array<{ key: string; view: CaseView }>> {
  const batchSize = opts.batchSize ?? 500;
  const conditions = [...caseListConditions({ ...target.filter, template: target.templateKey }, viewer), eq(cases.templateVersion, target.version)];
  let after: string | undefined;
  for (;;) {
    const rows = await db
      .select({ key: cases.key, view: cases.view })
      .from(cases)
      .where(and(...conditions, after !== undefined ? gt(cases.key, after) : undefined))
      .orderBy(asc(cases.key))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.key;
  }
}
