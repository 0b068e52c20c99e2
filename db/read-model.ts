import { and, asc, desc, eq, gt, ilike, inArray, lte, sql, type Column, type SQL } from 'drizzle-orm';
import type { Actor } from '../domain/actor';
import type { CaseSort } from '../domain/case-list';
import type { CaseView } from '../domain/case-view';
import type { CaseEvent, CaseStatus } from '../domain/events';
import { searchText } from '../domain/redaction';
import { stageName, type PublishedTemplate, type TemplateDefinition } from '../domain/template';
import { actorAccessTerms, caseAccessList, seesEverything } from '../domain/visibility';
import type { Database } from './connection';
import { decodeOffsetCursor, encodeOffsetCursor, keysetPage, MAX_OFFSET, olderThan } from './keyset';
import { preparedSql, value } from './prepared';
import { caseEvents, cases, participants, tasks, type CaseRow } from './schema';

/** What the case workflow hands to the projection: its current view and a run of its events. */
export interface ProjectionBatch {
  caseKey: string;
  view: CaseView;
  events: CaseEvent[];
}

/** One row of a case list or board column. */
export interface CaseSummary {
  id: string;
  template: { key: string; version: number };
  title: string;
  status: CaseStatus;
  stage: string;
  owner: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** The earliest running deadline; `overdue` once it has passed. */
  dueAt: string | null;
  overdue: boolean;
  /** No activity for the template's inactivity period (a `case.stalled` event since the last activity). */
  stalled: boolean;
  /** Tasks of the case not yet completed. */
  openTasks: number;
  lastSeq: number;
}


export interface ListCasesFilter {
  /** Template key (every version). */
  template?: string;
  stage?: string;
  status?: CaseStatus;
  owner?: string;
  /** true: open cases whose earliest deadline has passed; false: every other case. */
  overdue?: boolean;
  /** Case-insensitive substring of the key, the title or the value of a field that is not sensitive. */
  q?: string;
  /** true: cases marked stalled (no activity for the template's inactivity period). */
  stalled?: boolean;
  /** Default `-createdAt` (newest first). */
  sort?: CaseSort;
  /** Page size: default 50, at most 200. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface CaseList {
  items: CaseSummary[];
  nextCursor: string | null;
}

export interface Board {
  template: { key: string; version: number; name: string };
  stages: Array<{ key: string; name: string; terminal: boolean; count: number; overdue: number; cases: CaseSummary[] }>;
}

export interface TimelinePage {
  items: CaseEvent[];
  /** Pass back as `after` for the next page; null on the last page. */
  nextCursor: number | null;
}

/** What a projection wrote. */
export interface ProjectionOutcome {
  /** The highest event seq of the batch (the view's lastSeq for a batch without events); 0 when skipped. */
  projectedThrough: number;
  /** Set when a `contiguous` write was refused because it would leave a gap: nothing was written. */
  skipped?: true;
  /** The batch's events this write stored for the first time (a re-sent duplicate is not among them). */
  inserted: CaseEvent[];
}

/** A batch whose data cannot be projected (e.g. a timestamp that is not one): retrying cannot help. */
export class InvalidProjectionError extends Error {
  override readonly name = 'InvalidProjectionError';
}

export { InvalidCursorError } from './keyset';

// Bulk inserts stay well under PostgreSQL's 65,535 bind parameters per statement.
const INSERT_CHUNK = 500;

const excluded = (column: Column): SQL => sql.raw(`excluded."${column.name}"`);

/**
 * Writes a batch to the read model in one transaction: events are inserted once by
 * (case_key, seq); the case row, its tasks and its participants are replaced only when the
 * batch's view is newer than what is stored. Idempotent under retries, duplicates and
 * out-of-order delivery. `projectedThrough` is the highest event seq of the batch.
 * PostgreSQL cannot store NUL characters in text or jsonb, so they are replaced by U+FFFD:
 * one odd comment must not stop a case's projection for good.
 * `template` is the definition the case pinned: who may see the case (`access`) and what `q` may
 * search (`search_text`, without sensitive values) are derived from it with the view.
 */
export async function projectCase(
  db: Database,
  batch: ProjectionBatch,
  template: TemplateDefinition,
  options: { contiguous?: boolean } = {},
): Promise<ProjectionOutcome> {
  const { caseKey, view, events } = withoutNul(batch);
  if (view.id !== caseKey) throw new InvalidProjectionError(`projection of ${caseKey} carries the view of ${view.id}`);
  const stray = events.find((e) => !Number.isInteger(e.seq) || e.seq < 1);
  if (stray) throw new InvalidProjectionError(`projection of ${caseKey} carries an event with invalid seq ${String(stray.seq)}`);

  if (options.contiguous) {
    const appended = await appendAnswer(db, { caseKey, view, events }, template);
    if (appended) return { projectedThrough: events[events.length - 1]!.seq, inserted: newlyStored(events, appended.inserted) };
  }
  /** Seqs of the events this write stored (not those already there): what metrics count, once per event. */
  const stored: number[] = [];

  const written = await db.transaction(async (tx) => {
    // Writers of one case in this path take turns: concurrent batches of a case not yet stored have
    // no row to lock, and inserting each other's events in different orders deadlocked.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`case:${caseKey}`}, 0))`);
    /** The stored tasks and participants are those of this view already (see below). */
    let listsCurrent = false;
    /** The case has no row yet (checked under `contiguous`): it has no task or participant rows either. */
    let firstWrite = false;
    if (options.contiguous && events.length > 0) {
      // Under the case row's lock (writers of one case queue here): only right after what is
      // stored. A timeline is read by `after=seq` cursors, so a gap filled later would be missed.
      const [row] = await tx
        .select({ last: sql<number | null>`(select max(${caseEvents.seq}) from ${caseEvents} where ${caseEvents.caseKey} = ${caseKey})`, viewSeq: cases.lastSeq })
        .from(cases)
        .where(eq(cases.key, caseKey))
        .for('update');
      const through = row ? Number(row.last ?? 0) : 0;
      firstWrite = !row;
      // A case not projected yet takes its opening (seq 1) only.
      if (through < events[0]!.seq - 1) return false;
      // The stored view is the state right before these events, the new view right after them, and
      // none of them touches a task or a participant: those rows stay as they are (the usual command).
      listsCurrent =
        row?.viewSeq === events[0]!.seq - 1 && view.lastSeq === events[events.length - 1]!.seq && !events.some((e) => e.type.startsWith('task.') || e.type.startsWith('participant.'));
    } else {
      // Then the case row's lock before any event, as the API's one-statement write (appendAnswer)
      // takes them: taken the other way round (events, then the row) the two deadlocked, and
      // PostgreSQL broke the tie only after its 1 s deadlock_timeout.
      await tx.select({ key: cases.key }).from(cases).where(eq(cases.key, caseKey)).for('update');
    }
    for (const chunk of chunks(events)) {
      const added = await tx
        .insert(caseEvents)
        .values(
          chunk.map((e) => ({
            caseKey,
            seq: e.seq,
            at: instant(e.at, `event ${e.seq} at`),
            type: e.type,
            stage: e.stage,
            actor: e.actor,
            data: e.data as Record<string, unknown>,
          })),
        )
        .onConflictDoNothing({ target: [caseEvents.caseKey, caseEvents.seq] })
        .returning({ seq: caseEvents.seq });
      for (const { seq } of added) stored.push(seq);
    }

    const row = {
      key: caseKey,
      templateKey: view.template.key,
      templateVersion: view.template.version,
      title: view.title,
      status: view.status,
      stage: view.stage.key,
      owner: view.owner,
      fields: view.fields,
      view,
      lastSeq: view.lastSeq,
      createdAt: instant(view.createdAt, 'view.createdAt'),
      updatedAt: instant(view.updatedAt, 'view.updatedAt'),
      closedAt: view.closedAt ? instant(view.closedAt, 'view.closedAt') : null,
      // Views projected before deadlines existed have no dueAt.
      dueAt: view.dueAt ? instant(view.dueAt, 'view.dueAt') : null,
      access: caseAccessList(view, template),
      searchText: searchText(view, template),
    };
    const newer = await tx
      .insert(cases)
      .values(row)
      .onConflictDoUpdate({
        target: cases.key,
        set: {
          templateKey: excluded(cases.templateKey),
          templateVersion: excluded(cases.templateVersion),
          title: excluded(cases.title),
          status: excluded(cases.status),
          stage: excluded(cases.stage),
          owner: excluded(cases.owner),
          fields: excluded(cases.fields),
          view: excluded(cases.view),
          lastSeq: excluded(cases.lastSeq),
          createdAt: excluded(cases.createdAt),
          updatedAt: excluded(cases.updatedAt),
          closedAt: excluded(cases.closedAt),
          dueAt: excluded(cases.dueAt),
          access: excluded(cases.access),
          searchText: excluded(cases.searchText),
        },
        // The row lock taken here also serialises concurrent projections of the same case.
        setWhere: sql`${cases.lastSeq} < excluded.last_seq`,
      })
      .returning({ key: cases.key });
    if (newer.length === 0 || listsCurrent) return true;

    if (!firstWrite) await tx.delete(tasks).where(eq(tasks.caseKey, caseKey));
    for (const chunk of chunks(view.tasks)) {
      await tx.insert(tasks).values(
        chunk.map((t) => ({
          caseKey,
          taskId: t.taskId,
          key: t.key ?? null,
          title: t.title,
          description: t.description ?? null,
          assignee: t.assignee,
          assigneeRole: t.assigneeRole ?? null,
          dueAt: t.dueAt ? instant(t.dueAt, `task ${t.taskId} dueAt`) : null,
          status: t.status,
          stage: t.stage,
          createdAt: instant(t.createdAt, `task ${t.taskId} createdAt`),
          completedAt: t.completedAt ? instant(t.completedAt, `task ${t.taskId} completedAt`) : null,
          completedBy: t.completedBy,
        })),
      );
    }
    if (!firstWrite) await tx.delete(participants).where(eq(participants.caseKey, caseKey));
    for (const chunk of chunks(view.participants)) {
      await tx.insert(participants).values(
        chunk.map((p) => ({
          caseKey,
          participantId: p.participantId,
          kind: p.kind,
          role: p.role,
          name: p.name,
          userId: p.userId ?? null,
          email: p.email ?? null,
          addedAt: instant(p.addedAt, `participant ${p.participantId} addedAt`),
        })),
      );
    }
    return true;
  });
  if (!written) return { projectedThrough: 0, skipped: true, inserted: [] };

  const projectedThrough = events.reduce((max, e) => Math.max(max, e.seq), 0);
  return { projectedThrough: events.length ? projectedThrough : view.lastSeq, inserted: newlyStored(events, stored) };
}

/** The events of a batch whose seq the write reported as newly stored. */
function newlyStored(events: CaseEvent[], seqs: readonly number[]): CaseEvent[] {
  if (seqs.length === events.length) return events;
  const stored = new Set(seqs);
  return events.filter((e) => stored.has(e.seq));
}

/** The columns of a case summary (lists, boards, the CSV export). */
export const summaryColumns = {
  key: cases.key,
  templateKey: cases.templateKey,
  templateVersion: cases.templateVersion,
  title: cases.title,
  status: cases.status,
  stage: cases.stage,
  owner: cases.owner,
  createdAt: cases.createdAt,
  updatedAt: cases.updatedAt,
  closedAt: cases.closedAt,
  dueAt: cases.dueAt,
  lastSeq: cases.lastSeq,
  // Aliased: boards select these inside a window-function subquery.
  stalled: sql<boolean>`coalesce((${cases.view} ->> 'stalled')::boolean, false)`.as('stalled'),
  // Spelled out: drizzle may render ${cases.key} unqualified, which inside this subquery would be tasks.key.
  openTasks: sql<number>`(select count(*) from tasks t where t.case_key = "cases"."key" and t.status = 'open')`.mapWith(Number).as('open_tasks'),
};

type SummaryRow = Pick<CaseRow, 'key' | 'templateKey' | 'templateVersion' | 'title' | 'status' | 'stage' | 'owner' | 'createdAt' | 'updatedAt' | 'closedAt' | 'dueAt' | 'lastSeq'> & {
  stalled: boolean;
  openTasks: number;
};

export function toSummary(r: SummaryRow): CaseSummary {
  return {
    id: r.key,
    template: { key: r.templateKey, version: r.templateVersion },
    title: r.title,
    status: r.status,
    stage: r.stage,
    owner: r.owner,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    closedAt: r.closedAt ? r.closedAt.toISOString() : null,
    dueAt: r.dueAt ? r.dueAt.toISOString() : null,
    overdue: r.status === 'open' && r.dueAt !== null && r.dueAt.getTime() <= Date.now(),
    stalled: r.stalled === true,
    openTasks: Number(r.openTasks ?? 0),
    lastSeq: r.lastSeq,
  };
}

/**
 * The cases `viewer` may see (domain/visibility.ts): every case for admins and auditors, otherwise
 * those whose `access` list names the viewer's user id or one of their roles (GIN-indexed).
 */
export function visibleTo(viewer: Actor): SQL | undefined {
  if (seesEverything(viewer)) return undefined;
  if (viewer.kind !== 'user') return sql`false`;
  const terms = actorAccessTerms(viewer).map((t) => sql`${t}`);
  return sql`${cases.access} && array[${sql.join(terms, sql`, `)}]::text[]`;
}

/** One column of a sort's keyset: an expression, and the type its text form is read back as. */
export interface KeyPart {
  expr: SQL;
  type: 'timestamptz' | 'text' | 'bigint';
}

/**
 * The order of each sort as keyset columns, all in one direction (so a row comparison resumes
 * after a row), for `listCases` and the CSV export (db/exports.ts): `-createdAt` by (created_at,
 * key) descending, the others by their column, then the key's prefix and number, then the key.
 * `dueAt` puts cases without a deadline last either way: ±infinity in their place orders alike.
 */
export function caseSortKey(sort: CaseSort): { descending: boolean; parts: KeyPart[] } {
  const descending = sort.startsWith('-');
  const key: KeyPart = { expr: sql`${cases.key}`, type: 'text' };
  if (sort === '-createdAt') return { descending, parts: [{ expr: sql`${cases.createdAt}`, type: 'timestamptz' }, key] };
  const keyOrder: KeyPart[] = [
    { expr: sql`split_part(${cases.key}, '-', 1)`, type: 'text' },
    { expr: sql`split_part(${cases.key}, '-', 2)::bigint`, type: 'bigint' },
    key,
  ];
  switch (sort.replace(/^-/, '')) {
    case 'updatedAt':
      return { descending, parts: [{ expr: sql`${cases.updatedAt}`, type: 'timestamptz' }, ...keyOrder] };
    case 'dueAt':
      return { descending, parts: [{ expr: descending ? sql`coalesce(${cases.dueAt}, '-infinity')` : sql`coalesce(${cases.dueAt}, 'infinity')`, type: 'timestamptz' }, ...keyOrder] };
    case 'title':
      return { descending, parts: [{ expr: sql`lower(${cases.title})`, type: 'text' }, ...keyOrder] };
    case 'key':
      return { descending, parts: keyOrder };
    default:
      return { descending, parts: [{ expr: sql`${cases.createdAt}`, type: 'timestamptz' }, ...keyOrder] };
  }
}

/** The ORDER BY of each sort. */
function sortOrder(sort: CaseSort): SQL[] {
  const { descending, parts } = caseSortKey(sort);
  return parts.map((p) => (descending ? sql`${p.expr} desc` : sql`${p.expr} asc`));
}

/** The conditions of a case list: the viewer's visibility and the filters (shared with the CSV export, db/exports.ts). */
export function caseListConditions(filter: Omit<ListCasesFilter, 'sort' | 'limit' | 'cursor'>, viewer: Actor): SQL[] {
  const visible = visibleTo(viewer);
  const conditions: SQL[] = visible ? [visible] : [];
  if (filter.template !== undefined) conditions.push(eq(cases.templateKey, filter.template));
  if (filter.stage !== undefined) conditions.push(eq(cases.stage, filter.stage));
  if (filter.status !== undefined) conditions.push(eq(cases.status, filter.status));
  if (filter.owner !== undefined) conditions.push(eq(cases.owner, filter.owner));
  if (filter.overdue === true) conditions.push(sql`${cases.status} = 'open' and ${cases.dueAt} <= now()`);
  if (filter.overdue === false) conditions.push(sql`not (${cases.status} = 'open' and coalesce(${cases.dueAt} <= now(), false))`);
  if (filter.stalled !== undefined) conditions.push(sql`coalesce((${cases.view} ->> 'stalled')::boolean, false) = ${filter.stalled}`);
  const q = filter.q?.trim();
  if (q) {
    // Backslash is PostgreSQL's default LIKE escape character.
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // Only cases the viewer may see, and never a sensitive value: search_text leaves them out.
    conditions.push(ilike(cases.searchText, pattern));
  }
  return conditions;
}

/**
 * The cases a viewer may see, matching the filters. Newest first (the default) pages by keyset on
 * (created_at, key); other orders page by offset (up to 10,000 rows deep), their cursor naming the
 * sort so a cursor of one order is refused by another.
 */
export async function listCases(db: Database, filter: ListCasesFilter, viewer: Actor): Promise<CaseList> {
  const limit = clamp(filter.limit ?? 50, 1, 200);
  const sort = filter.sort ?? '-createdAt';
  const conditions = caseListConditions(filter, viewer);

  if (sort === '-createdAt') {
    if (filter.cursor !== undefined) conditions.push(olderThan(cases.createdAt, cases.key, filter.cursor));
    const rows = await db
      .select(summaryColumns)
      .from(cases)
      .where(and(...conditions))
      .orderBy(desc(cases.createdAt), desc(cases.key))
      .limit(limit + 1);
    const { page, nextCursor } = keysetPage(
      rows.map((r) => ({ ...r, id: r.key })),
      limit,
    );
    return { items: page.map(toSummary), nextCursor };
  }
  const offset = filter.cursor !== undefined ? decodeOffsetCursor(filter.cursor, sort) : 0;
  const rows = await db
    .select(summaryColumns)
    .from(cases)
    .where(and(...conditions))
    .orderBy(...sortOrder(sort))
    .offset(offset)
    .limit(limit + 1);
  const more = rows.length > limit && offset + limit < MAX_OFFSET;
  return { items: rows.slice(0, limit).map(toSummary), nextCursor: more ? encodeOffsetCursor(sort, offset + limit) : null };
}

/**
 * Kanban board of a template: the open cases `viewer` may see, of every version, by stage of the
 * given (latest) version, newest first, with counts of those cases only. Cases in a stage the
 * latest version no longer has get an extra column keyed by that stage.
 */
export async function getBoard(db: Database, template: PublishedTemplate, viewer: Actor, opts: { limitPerStage?: number } = {}): Promise<Board> {
  const limitPerStage = clamp(opts.limitPerStage ?? 50, 0, 500);
  const where = and(eq(cases.templateKey, template.key), eq(cases.status, 'open'), visibleTo(viewer));

  const counts = await db
    .select({
      stage: cases.stage,
      count: sql<number>`count(*)`.mapWith(Number),
      overdue: sql<number>`count(*) filter (where ${cases.dueAt} <= now())`.mapWith(Number),
    })
    .from(cases)
    .where(where)
    .groupBy(cases.stage);

  const ranked = db
    .select({
      ...summaryColumns,
      rank: sql<number>`row_number() over (partition by ${cases.stage} order by ${cases.createdAt} desc, ${cases.key} desc)`.as('rank'),
    })
    .from(cases)
    .where(where)
    .as('ranked');
  const rows =
    limitPerStage === 0
      ? []
      : await db
          .select()
          .from(ranked)
          .where(sql`${ranked.rank} <= ${limitPerStage}`)
          .orderBy(desc(ranked.createdAt), desc(ranked.key));

  const byStage = new Map<string, CaseSummary[]>();
  for (const r of rows) {
    const list = byStage.get(r.stage) ?? [];
    list.push(toSummary(r));
    byStage.set(r.stage, list);
  }
  const countOf = new Map(counts.map((c) => [c.stage, c.count]));
  const overdueOf = new Map(counts.map((c) => [c.stage, c.overdue]));

  const def = template.definition;
  const known = new Set(def.stages.map((s) => s.key));
  const stages: Board['stages'] = def.stages.map((s) => ({
    key: s.key,
    name: stageName(s),
    terminal: s.terminal,
    count: countOf.get(s.key) ?? 0,
    overdue: overdueOf.get(s.key) ?? 0,
    cases: byStage.get(s.key) ?? [],
  }));
  const unknown = [...countOf.keys()].filter((k) => !known.has(k)).sort();
  for (const key of unknown) {
    stages.push({ key, name: key, terminal: false, count: countOf.get(key) ?? 0, overdue: overdueOf.get(key) ?? 0, cases: byStage.get(key) ?? [] });
  }
  return { template: { key: template.key, version: template.version, name: def.name }, stages };
}

/** A page of a case's timeline, oldest first, optionally only some event types. */
export async function getTimeline(
  db: Database,
  caseKey: string,
  opts: { after?: number; limit?: number; types?: string[]; until?: Date } = {},
): Promise<TimelinePage> {
  const limit = clamp(opts.limit ?? 100, 1, 500);
  const conditions: SQL[] = [eq(caseEvents.caseKey, caseKey)];
  if (opts.after !== undefined) conditions.push(gt(caseEvents.seq, opts.after));
  if (opts.until !== undefined) conditions.push(lte(caseEvents.at, opts.until));
  if (opts.types !== undefined) {
    if (opts.types.length === 0) return { items: [], nextCursor: null };
    conditions.push(inArray(caseEvents.type, opts.types));
  }
  const rows = await db
    .select()
    .from(caseEvents)
    .where(and(...conditions))
    .orderBy(asc(caseEvents.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(
      (r) => ({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, type: r.type, stage: r.stage, data: r.data }) as CaseEvent,
    ),
    nextCursor: rows.length > limit && last ? last.seq : null,
  };
}

/** Every event of a case up to an instant (inclusive), in seq order: what an "as of" view folds. */
export async function getEventsUntil(db: Database, caseKey: string, until: Date): Promise<CaseEvent[]> {
  const rows = await db
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.caseKey, caseKey), lte(caseEvents.at, until)))
    .orderBy(asc(caseEvents.seq));
  return rows.map((r) => ({ seq: r.seq, at: r.at.toISOString(), actor: r.actor, type: r.type, stage: r.stage, data: r.data }) as CaseEvent);
}

/**
 * The template a case pinned, when the read model knows the case and `viewer` may see it; null
 * otherwise — a case the viewer may not see is answered like one that does not exist.
 */
export async function visibleCaseTemplate(db: Database, caseKey: string, viewer: Actor): Promise<{ key: string; version: number } | null> {
  const rows = await db
    .select({ key: cases.templateKey, version: cases.templateVersion })
    .from(cases)
    .where(and(eq(cases.key, caseKey), visibleTo(viewer)))
    .limit(1);
  return rows[0] ?? null;
}

/** Whether the read model knows the case (it is written by the case's first projection). */
export async function caseExists(db: Database, caseKey: string): Promise<boolean> {
  const rows = await db.select({ key: cases.key }).from(cases).where(eq(cases.key, caseKey)).limit(1);
  return rows.length > 0;
}

/** The last projected view of a case: the answer once its workflow is archived and gone. */
export async function getProjectedCaseView(db: Database, caseKey: string): Promise<CaseView | null> {
  const rows = await db.select({ view: cases.view }).from(cases).where(eq(cases.key, caseKey)).limit(1);
  return (rows[0]?.view as CaseView | undefined) ?? null;
}

const NUL = /\u0000/g;

/**
 * The usual command answer in one statement (no transaction round trips): its events right after
 * what is stored, the stored view exactly the state before them, and none of them touching a task
 * or a participant. Under the case row's lock, like `projectCase`; false (nothing written) when
 * any of that does not hold, and `projectCase` takes the general path. A case's opening likewise,
 * while the case has no row.
 */
async function appendAnswer(db: Database, { caseKey, view, events }: ProjectionBatch, template: TemplateDefinition): Promise<{ inserted: number[] } | undefined> {
  const first = events[0]?.seq;
  const last = events[events.length - 1]?.seq;
  if (first === undefined || view.lastSeq !== last || events.some((e) => e.type.startsWith('task.') || e.type.startsWith('participant.'))) return undefined;
  for (const e of events) instant(e.at, `event ${e.seq} at`);
  const at = (value: string | null | undefined, what: string) => (value ? instant(value, what).toISOString() : null);
  const values = {
    caseKey,
    events: JSON.stringify(events.map((e) => ({ seq: e.seq, at: e.at, type: e.type, stage: e.stage, actor: e.actor, data: e.data }))),
    after: first - 1,
    templateKey: view.template.key,
    templateVersion: view.template.version,
    title: view.title,
    status: view.status,
    stage: view.stage.key,
    owner: view.owner,
    fields: JSON.stringify(view.fields),
    view: JSON.stringify(view),
    lastSeq: view.lastSeq,
    createdAt: at(view.createdAt, 'view.createdAt'),
    updatedAt: at(view.updatedAt, 'view.updatedAt'),
    closedAt: at(view.closedAt, 'view.closedAt'),
    dueAt: at(view.dueAt, 'view.dueAt'),
    access: JSON.stringify(caseAccessList(view, template)),
    searchText: searchText(view, template),
  };
  // The opening of a case not in the read model yet (its row and first events, or nothing), or the next events of a stored one.
  const statement = first === 1 ? preparedSql(db, 'read-model-open-case', openCaseStatement) : preparedSql(db, 'read-model-append-answer', appendAnswerStatement);
  return appendedOrNot(firstRow<AppendRow>(await statement.execute(values)));
}

/** The `added` CTE of both statements below: the events right after what is stored, when `fits` says they are. */
const insertEventsStatement = () => sql`
      insert into ${caseEvents} (case_key, seq, at, type, stage, actor, data)
      select ${value('caseKey')}, e.seq, e.at, e.type, e.stage, e.actor, e.data
      from jsonb_to_recordset(${value('events')}::jsonb) as e(seq integer, at timestamptz, type text, stage text, actor jsonb, data jsonb)
      where exists (select 1 from fits)
      on conflict (case_key, seq) do nothing
      returning seq`;

const openCaseStatement = () => sql`
      with fits as (
        select 1 where not exists (select 1 from ${cases} where ${cases.key} = ${value('caseKey')})
      ), added as (${insertEventsStatement()}
      ), inserted as (
        insert into ${cases} (key, template_key, template_version, title, status, stage, owner, fields, view, last_seq, created_at, updated_at, closed_at, due_at, access, search_text)
        select ${value('caseKey')}, ${value('templateKey')}, ${value('templateVersion')}, ${value('title')}, ${value('status')}, ${value('stage')}, ${value('owner')}, ${value('fields')}::jsonb,
          ${value('view')}::jsonb, ${value('lastSeq')}, ${value('createdAt')}::timestamptz, ${value('updatedAt')}::timestamptz, ${value('closedAt')}::timestamptz,
          ${value('dueAt')}::timestamptz, array(select jsonb_array_elements_text(${value('access')}::jsonb)), ${value('searchText')}
        where exists (select 1 from fits)
        on conflict (key) do nothing
      )
      select exists (select 1 from fits) as fits, ${insertedSeqs} as inserted`;

const appendAnswerStatement = () => sql`
    with stored as (
      select ${cases.lastSeq} as last_seq, (select max(${caseEvents.seq}) from ${caseEvents} where ${caseEvents.caseKey} = ${value('caseKey')}) as through
      from ${cases} where ${cases.key} = ${value('caseKey')} for update
    ), fits as (
      select 1 from stored where last_seq = ${value('after')} and coalesce(through, 0) >= ${value('after')}
    ), added as (${insertEventsStatement()}
    ), updated as (
      update ${cases} set
        template_key = ${value('templateKey')}, template_version = ${value('templateVersion')}, title = ${value('title')},
        status = ${value('status')}, stage = ${value('stage')}, owner = ${value('owner')}, fields = ${value('fields')}::jsonb,
        view = ${value('view')}::jsonb, last_seq = ${value('lastSeq')},
        created_at = ${value('createdAt')}::timestamptz, updated_at = ${value('updatedAt')}::timestamptz,
        closed_at = ${value('closedAt')}::timestamptz, due_at = ${value('dueAt')}::timestamptz,
        access = array(select jsonb_array_elements_text(${value('access')}::jsonb)),
        search_text = ${value('searchText')}
      where ${cases.key} = ${value('caseKey')} and ${cases.lastSeq} < ${value('lastSeq')} and exists (select 1 from fits)
    )
    select exists (select 1 from fits) as fits, ${insertedSeqs} as inserted`;

/** The seqs the `added` CTE stored, as JSON text (the same through postgres.js and PGlite). */
const insertedSeqs = sql`(select coalesce(json_agg(seq), '[]'::json)::text from added)`;

interface AppendRow {
  fits: boolean;
  inserted: string;
}

function appendedOrNot(row: AppendRow | undefined): { inserted: number[] } | undefined {
  return row?.fits === true ? { inserted: JSON.parse(row.inserted) as number[] } : undefined;
}

/** The first row of `db.execute`, whose shape differs between postgres.js (an array) and PGlite (`{ rows }`). */
function firstRow<T>(result: unknown): T | undefined {
  return ((Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[])[0];
}

function withoutNul<T>(value: T): T {
  // Cheap check first: almost no batch has one, and then nothing is copied.
  if (!JSON.stringify(value).includes('\\u0000')) return value;
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(NUL, '\uFFFD');
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(NUL, '\uFFFD'), clean(x)]));
    return v;
  };
  return clean(value) as T;
}

function instant(value: string, what: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidProjectionError(`${what} is not a timestamp: ${JSON.stringify(value).slice(0, 60)}`);
  return date;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : min;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += INSERT_CHUNK) out.push(items.slice(i, i + INSERT_CHUNK));
  return out;
}

