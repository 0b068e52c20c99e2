import type { Request } from 'express';
import type { Database } from '../db/connection';
import { auditEventBatches, caseExportBatches, type CaseExportFilter } from '../db/exports';
import { getTemplate } from '../db/templates';
import type { Actor } from '../domain/actor';
import type { CaseEvent } from '../domain/events';
import { redactEvent } from '../domain/redaction';
import type { TemplateDefinition } from '../domain/template';
import { hiddenFrom, type Hidden } from '../domain/visibility';
import { pinnedTemplate } from './case-access';
import { CSV_BOM, csvRow, formatCell } from './csv';

/**
 * The exports: the case list as CSV, the audit trail as NDJSON or CSV. Each is an async iterable
 * of text chunks (one per database batch) for `streamResponse`, which writes them with
 * back-pressure. The first chunk carries the header and the first batch, so a failing first query
 * is still answered with a problem.
 */

export const CSV_TYPE = 'text/csv; charset=utf-8';
export const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';

/** What a sensitive value the caller may not see reads as in a CSV cell. */
export const REDACTED_CELL = '[redacted]';

/** Whether the client asked for CSV rather than `preferred` (JSON, NDJSON): `Accept` negotiation, `preferred` by default. */
export function wantsCsv(req: Request, preferred: string): boolean {
  return req.accepts([preferred, 'text/csv']) === 'text/csv';
}

/** `attachment; filename="…"` (names built from template keys and dates only: nothing to escape). */
export const attachment = (fileName: string) => `attachment; filename="${fileName}"`;

export const today = () => new Date().toISOString().slice(0, 10);

/** Pinned definitions and what they hide from the caller, per (key, version), for one export. */
function definitionsFor(db: Database, actor: Actor) {
  const cache = new Map<string, { template: TemplateDefinition; hidden: Hidden }>();
  return async (ref: { key: string; version: number }) => {
    const id = `${ref.key}\u0000${ref.version}`;
    let entry = cache.get(id);
    if (!entry) {
      const template = await pinnedTemplate(db, ref);
      entry = { template, hidden: hiddenFrom(template, actor) };
      cache.set(id, entry);
    }
    return entry;
  };
}

const CASE_COLUMNS = ['key', 'title', 'template', 'template version', 'status', 'stage', 'owner', 'created', 'updated', 'closed', 'due', 'overdue', 'open tasks'];

/**
 * The case list as CSV: the list's columns and, with `filter.template`, one column per field of
 * that template's latest version (its label, or its key). A sensitive value is `[redacted]` for a
 * caller who may not see it — under the case's pinned version, or under the latest version (the
 * columns' own): whichever hides it.
 */
export async function* casesCsv(db: Database, filter: CaseExportFilter, actor: Actor): AsyncGenerator<string> {
  const latest = filter.template !== undefined ? await getTemplate(db, filter.template) : null;
  const definitions = definitionsFor(db, actor);
  const columns = latest ? (await definitions(latest)).template.fields : [];
  const hiddenByLatest = latest ? (await definitions(latest)).hidden.fields : new Set<string>();
  let head = CSV_BOM + csvRow([...CASE_COLUMNS, ...columns.map((f) => f.label ?? f.key)]);
  for await (const batch of caseExportBatches(db, filter, actor, { withFields: columns.length > 0 })) {
    let chunk = head;
    head = '';
    for (const c of batch) {
      const hidden = columns.length > 0 ? (await definitions(c.template)).hidden.fields : undefined;
      const cells = [
        c.id,
        c.title,
        c.template.key,
        String(c.template.version),
        c.status,
        c.stage,
        c.owner ?? '',
        c.createdAt,
        c.updatedAt,
        c.closedAt ?? '',
        c.dueAt ?? '',
        String(c.overdue),
        String(c.openTasks),
      ];
      for (const f of columns) {
        const value = c.fields[f.key];
        const redacted = value !== null && value !== undefined && (hidden?.has(f.key) || hiddenByLatest.has(f.key));
        cells.push(redacted ? REDACTED_CELL : formatCell(value));
      }
      chunk += csvRow(cells);
    }
    yield chunk;
  }
  if (head) yield head;
}

export interface AuditRange {
  from: Date;
  to: Date;
  template?: string;
}

const AUDIT_COLUMNS = ['actor id', 'actor name', 'actor kind', 'time', 'case key', 'seq', 'template', 'template version', 'type', 'stage', 'data'];

/** An audit line: the event as the caller may see it (domain/redaction.ts), flat. */
interface AuditLine {
  actorId: string;
  actorName: string;
  actorKind: string;
  at: string;
  caseKey: string;
  seq: number;
  template: string;
  templateVersion: number;
  type: string;
  stage: string;
  data: unknown;
}

/** Every event of the range the caller may see, oldest first, redacted for the caller, one array per batch. */
async function* auditLines(db: Database, range: AuditRange, actor: Actor): AsyncGenerator<AuditLine[]> {
  const definitions = definitionsFor(db, actor);
  for await (const batch of auditEventBatches(db, range, actor)) {
    const lines: AuditLine[] = [];
    for (const row of batch) {
      const { template, hidden } = await definitions(row.template);
      const event = { seq: row.seq, at: row.at.toISOString(), actor: row.actor, type: row.type, stage: row.stage, data: row.data } as CaseEvent;
      const seen = redactEvent(event, template, actor, hidden);
      lines.push({
        actorId: row.actor.id,
        actorName: row.actor.name,
        actorKind: row.actor.kind ?? 'user',
        at: seen.at,
        caseKey: row.caseKey,
        seq: row.seq,
        template: row.template.key,
        templateVersion: row.template.version,
        type: row.type,
        stage: row.stage,
        data: seen.data,
      });
    }
    yield lines;
  }
}

/** The audit trail as NDJSON: one JSON object per line, `\n`-terminated. */
export async function* auditNdjson(db: Database, range: AuditRange, actor: Actor): AsyncGenerator<string> {
  for await (const lines of auditLines(db, range, actor)) {
    let chunk = '';
    for (const line of lines) chunk += `${JSON.stringify(line)}\n`;
    yield chunk;
  }
}

/** The audit trail as CSV; `data` is the event's data as JSON text. */
export async function* auditCsv(db: Database, range: AuditRange, actor: Actor): AsyncGenerator<string> {
  let head = CSV_BOM + csvRow(AUDIT_COLUMNS);
  for await (const lines of auditLines(db, range, actor)) {
    let chunk = head;
    head = '';
    for (const l of lines) {
      chunk += csvRow([l.actorId, l.actorName, l.actorKind, l.at, l.caseKey, String(l.seq), l.template, String(l.templateVersion), l.type, l.stage, JSON.stringify(l.data)]);
    }
    yield chunk;
  }
  if (head) yield head;
}
