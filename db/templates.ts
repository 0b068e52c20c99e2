import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { readPinnedDefinition } from '../domain/schemas/template';
import { defaultPrefix, type PublishedTemplate, type TemplateDefinition } from '../domain/template';
import { claimPrefix } from './case-keys';
import type { Database } from './connection';
import { prepared, value } from './prepared';
import { templates, type TemplateRow } from './schema';

export { PrefixTakenError } from './case-keys';

/** A published template version as stored: what a case pins, plus who published it. */
export interface TemplateRecord extends PublishedTemplate {
  name: string;
  publishedBy: string;
}

/** The latest version of one template key. */
export interface TemplateSummary {
  key: string;
  name: string;
  prefix: string;
  latestVersion: number;
  /** How many versions have been published. */
  versions: number;
  publishedAt: string;
  publishedBy: string;
}

const recordColumns = {
  key: templates.key,
  version: templates.version,
  name: templates.name,
  prefix: templates.prefix,
  definition: templates.definition,
  publishedAt: templates.publishedAt,
  publishedBy: templates.publishedBy,
};

type RecordRow = Pick<TemplateRow, keyof typeof recordColumns>;

function toRecord(row: RecordRow): TemplateRecord {
  return { ...row, publishedAt: row.publishedAt.toISOString() };
}

/** Exactly the `PublishedTemplate` shape a case workflow pins (nothing more in its input). */
export function toPublishedTemplate(t: PublishedTemplate): PublishedTemplate {
  return { key: t.key, version: t.version, prefix: t.prefix, definition: t.definition, publishedAt: t.publishedAt };
}

/**
 * Publishes a definition as the next version of its key. Publishing a definition deeply equal
 * to the latest version creates nothing and returns that version with `created: false`.
 * Versions are allocated under a per-key transaction lock, so concurrent publishes get
 * distinct versions. Throws `PrefixTakenError` when another template key owns the prefix.
 */
export async function publishTemplate(
  db: Database,
  input: { definition: TemplateDefinition; source?: string; publishedBy: string },
): Promise<TemplateRecord & { created: boolean }> {
  const { definition } = input;
  const key = definition.key;
  const prefix = definition.prefix ?? defaultPrefix(key);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`template:${key}`}, 0))`);
    const [latest] = await tx.select(recordColumns).from(templates).where(eq(templates.key, key)).orderBy(desc(templates.version)).limit(1);
    if (latest && sameJson(latest.definition, definition)) return { ...toRecord(latest), created: false };
    await claimPrefix(tx, { prefix, templateKey: key });
    const [row] = await tx
      .insert(templates)
      .values({
        key,
        version: (latest?.version ?? 0) + 1,
        name: definition.name,
        prefix,
        definition,
        source: input.source ?? null,
        publishedBy: input.publishedBy,
      })
      .returning(recordColumns);
    if (!row) throw new Error(`publishing template ${key} returned no row`);
    return { ...toRecord(row), created: true };
  });
}

/** One version of a template, or its latest version when `version` is omitted; null if unknown. */
export async function getTemplate(db: Database, key: string, version?: number): Promise<TemplateRecord | null> {
  const where = version === undefined ? eq(templates.key, key) : and(eq(templates.key, key), eq(templates.version, version));
  const [row] = await db.select(recordColumns).from(templates).where(where).orderBy(desc(templates.version)).limit(1);
  return row ? toRecord(row) : null;
}

/** A version's definition read through today's schema, and whether it still fits that schema (`readPinnedDefinition`). */
interface PinnedDefinition {
  definition: TemplateDefinition;
  current: boolean;
}

/** Pinned definitions kept in memory, per database: versions never change once published. */
const pinnedCache = new WeakMap<Database, Map<string, PinnedDefinition>>();
const PINNED_CACHE_SIZE = 500;

async function readPinned(db: Database, key: string, version: number): Promise<PinnedDefinition | null> {
  let cache = pinnedCache.get(db);
  if (!cache) pinnedCache.set(db, (cache = new Map()));
  const id = `${key}\u0000${version}`;
  const cached = cache.get(id);
  if (cached) return cached;
  const record = await getTemplate(db, key, version);
  if (!record) return null;
  const pinned = readPinnedDefinition(record.definition);
  // Oldest out first: a Map iterates in insertion order.
  if (cache.size >= PINNED_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(id, pinned);
  return pinned;
}

/**
 * The definition a case pinned (key and version), read through today's schema as the workflow and
 * the document API read it; null when no such version exists. Kept in memory once read: every
 * authorised read and every projection needs the template's permissions and sensitive fields.
 */
export async function getPinnedDefinition(db: Database, key: string, version: number): Promise<TemplateDefinition | null> {
  return (await readPinned(db, key, version))?.definition ?? null;
}

/**
 * The latest version of a template as a start pins it, its definition read through today's schema
 * (`current`: it still fits that schema); null for an unknown key. One small prepared query for
 * the version, whose definition comes from the cache of pinned definitions: a start neither
 * transfers nor parses the stored definition again, and sees a new version as soon as it is published.
 */
export async function getLatestTemplate(db: Database, key: string): Promise<{ template: TemplateRecord; current: boolean } | null> {
  const latest = prepared(db, 'templates-latest', (d) =>
    d
      .select({ key: templates.key, version: templates.version, name: templates.name, prefix: templates.prefix, publishedAt: templates.publishedAt, publishedBy: templates.publishedBy })
      .from(templates)
      .where(eq(templates.key, value('key')))
      .orderBy(desc(templates.version))
      .limit(1)
      .prepare('templates-latest'),
  );
  const [row] = await latest.execute({ key });
  const pinned = row ? await readPinned(db, row.key, row.version) : null;
  if (!row || !pinned) return null;
  return { template: { ...row, publishedAt: row.publishedAt.toISOString(), definition: pinned.definition }, current: pinned.current };
}

/** The text a version was published from (JSON or YAML), when it was kept. */
export async function getTemplateSource(db: Database, key: string, version: number): Promise<string | null> {
  const [row] = await db
    .select({ source: templates.source })
    .from(templates)
    .where(and(eq(templates.key, key), eq(templates.version, version)));
  return row?.source ?? null;
}

/** The latest version of every template, by key. */
export async function listTemplates(db: Database): Promise<TemplateSummary[]> {
  const rows = await db
    .selectDistinctOn([templates.key], {
      key: templates.key,
      name: templates.name,
      prefix: templates.prefix,
      latestVersion: templates.version,
      versions: sql<number>`count(*) over (partition by ${templates.key})`.mapWith(Number),
      publishedAt: templates.publishedAt,
      publishedBy: templates.publishedBy,
    })
    .from(templates)
    .orderBy(asc(templates.key), desc(templates.version));
  return rows.map((r) => ({ ...r, publishedAt: r.publishedAt.toISOString() }));
}

/** Every version of a template, oldest first (empty when the key is unknown). */
export async function listTemplateVersions(db: Database, key: string): Promise<TemplateRecord[]> {
  const rows = await db.select(recordColumns).from(templates).where(eq(templates.key, key)).orderBy(asc(templates.version));
  return rows.map(toRecord);
}

/** Deep equality of JSON values, ignoring object key order (jsonb does not keep it). */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    }
    return v;
  });
}
