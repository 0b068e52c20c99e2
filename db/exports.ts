import { and, asc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Actor } from '../domain/actor';
import type { Database } from './connection';
import { caseListConditions, caseSortKey, summaryColumns, toSummary, visibleTo, type CaseSummary, type KeyPart, type ListCasesFilter } from './read-model';
import { caseEvents, cases } from './schema';

/**
 * Reads for the exports (GET /v1/cases as CSV, GET /v1/audit): every matching row, in keyset
 * batches, so a caller streams any number of them in constant memory. Each batch is one ordinary
 * query resuming after the last row of the previous one — no server-side cursor, so the same code
 * runs on postgres.js and PGlite, and no connection or transaction is held between batches (a
 * slow client holds nothing in the database).
 */

export const EXPORT_BATCH = 1000;

/** A case as the CSV export writes it: the list's summary and its field values. */
export interface CaseExportRow extends CaseSummary {
  fields: Record<string, unknown>;
}

export type CaseExportFilter = Omit<ListCasesFilter, 'limit' | 'cursor'>;

const castTo = (value: string, type: KeyPart['type']): SQL =>
  type === 'timestamptz' ? sql`${value}::timestamptz` : type === 'bigint' ? sql`${value}::bigint` : sql`${value}::text`;

/**
 * Every case `viewer` may see matching `filter`, in the order of `filter.sort` (default newest
 * first), `batchSize` at a time. `withFields` adds the cases' field values (for template columns).
 */
export async function* caseExportBatches(
  db: Database,
  filter: CaseExportFilter,
  viewer: Actor,
  opts: { withFields?: boolean; batchSize?: number } = {},
): AsyncGenerator<CaseExportRow[]> {
  const batchSize = opts.batchSize ?? EXPORT_BATCH;
  const { descending, parts } = caseSortKey(filter.sort ?? '-createdAt');
  const conditions = caseListConditions(filter, viewer);
  const row = sql.join(
    parts.map((p) => p.expr),
    sql`, `,
  );
  const order = parts.map((p) => (descending ? sql`${p.expr} desc` : sql`${p.expr} asc`));
  // The keyset values travel as text (timestamps with their offset, exactly): no driver-specific parsing.
  const keyText = sql<string>`json_build_array(${sql.join(
    parts.map((p) => sql`(${p.expr})::text`),
    sql`, `,
  )})::text`;
  let after: string[] | undefined;
  for (;;) {
    const resume = after
      ? [
          sql`(${row}) ${descending ? sql`<` : sql`>`} (${sql.join(
            parts.map((p, i) => castTo(after![i]!, p.type)),
            sql`, `,
          )})`,
        ]
      : [];
    const rows = await db
      .select({
        ...summaryColumns,
        fields: opts.withFields ? cases.fields : sql<null>`null`,
        keyset: keyText,
      })
      .from(cases)
      .where(and(...conditions, ...resume))
      .orderBy(...order)
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows.map((r) => ({ ...toSummary(r), fields: (r.fields ?? {}) as Record<string, unknown> }));
    if (rows.length < batchSize) return;
    after = JSON.parse(rows[rows.length - 1]!.keyset) as string[];
  }
}

/** One timeline event with the case it belongs to, as the audit export reads it. */
export interface AuditEventRow {
  caseKey: string;
  seq: number;
  at: Date;
  type: string;
  stage: string;
  actor: Actor;
  data: Record<string, unknown>;
  template: { key: string; version: number };
}

/**
 * Every event in [from, to) of the cases `viewer` may see (of one template, when given), oldest
 * first by (at, case_key, seq), `batchSize` at a time.
 */
export async function* auditEventBatches(
  db: Database,
  range: { from: Date; to: Date; template?: string },
  viewer: Actor,
  opts: { batchSize?: number } = {},
): AsyncGenerator<AuditEventRow[]> {
  const batchSize = opts.batchSize ?? EXPORT_BATCH;
  const visible = visibleTo(viewer);
  const conditions: SQL[] = [gte(caseEvents.at, range.from), lt(caseEvents.at, range.to)];
  if (visible) conditions.push(visible);
  if (range.template !== undefined) conditions.push(eq(cases.templateKey, range.template));
  let after: { at: Date; caseKey: string; seq: number } | undefined;
  for (;;) {
    const resume = after ? [sql`(${caseEvents.at}, ${caseEvents.caseKey}, ${caseEvents.seq}) > (${after.at.toISOString()}::timestamptz, ${after.caseKey}::text, ${after.seq}::integer)`] : [];
    const rows = await db
      .select({
        caseKey: caseEvents.caseKey,
        seq: caseEvents.seq,
        at: caseEvents.at,
        type: caseEvents.type,
        stage: caseEvents.stage,
        actor: caseEvents.actor,
        data: caseEvents.data,
        templateKey: cases.templateKey,
        templateVersion: cases.templateVersion,
      })
      .from(caseEvents)
      .innerJoin(cases, eq(cases.key, caseEvents.caseKey))
      .where(and(...conditions, ...resume))
      .orderBy(asc(caseEvents.at), asc(caseEvents.caseKey), asc(caseEvents.seq))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows.map(({ templateKey, templateVersion, ...e }) => ({ ...e, template: { key: templateKey, version: templateVersion } }));
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, caseKey: last.caseKey, seq: last.seq };
  }
}
