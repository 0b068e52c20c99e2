import { z } from 'zod';
import { INSTANT_MESSAGE } from '../../domain/shapes';
import { keySchema } from '../../domain/schemas/template';
import type { ApiDeps } from '../deps';
import { attachment, auditCsv, auditNdjson, CSV_TYPE, NDJSON_TYPE, wantsCsv } from '../exports';
import { defineRoute, streamResponse } from '../route';

/** The longest range one audit export may span. */
export const AUDIT_MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const instant = (description: string) => z.iso.datetime({ offset: true, message: INSTANT_MESSAGE }).meta({ description });

export const auditQuery = z
  .object({
    template: keySchema.optional().meta({ description: 'Only the cases of this template (every version)' }),
    from: instant('Start of the range, inclusive: an ISO 8601 instant with Z or an offset'),
    to: instant(`End of the range, exclusive; at most ${AUDIT_MAX_DAYS} days after from`),
  })
  .strict()
  .superRefine((q, ctx) => {
    const span = Date.parse(q.to) - Date.parse(q.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (span > AUDIT_MAX_DAYS * DAY_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${AUDIT_MAX_DAYS} days after from` });
  });

/** One line of the NDJSON audit export (documentation: the handler writes the lines itself). */
export const auditLineSchema = z
  .object({
    actorId: z.string(),
    actorName: z.string(),
    actorKind: z.enum(['user', 'external', 'system']),
    at: z.string().meta({ description: 'When the event happened (ISO 8601, UTC)' }),
    caseKey: z.string(),
    seq: z.number().int().meta({ description: 'The event\'s number on the case\'s timeline' }),
    template: z.string(),
    templateVersion: z.number().int(),
    type: z.string(),
    stage: z.string(),
    data: z.record(z.string(), z.unknown()).meta({ description: 'The event\'s data; sensitive values the caller may not see are {"redacted": true}' }),
  })
  .meta({ id: 'AuditLine' });

export function auditRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      operationId: 'exportAuditTrail',
      summary: 'Export the audit trail',
      description:
        `Every timeline event in [from, to) of the cases the caller may see (optionally of one template), oldest first (by time, case, seq), streamed. ` +
        `NDJSON by default; with \`Accept: text/csv\` a CSV (UTF-8 with a byte-order mark; \`data\` as JSON text; cells that would start a formula prefixed with \`'\`). ` +
        `Sensitive values the caller may not see are redacted as on the timeline; auditors and admins see everything. The range spans at most ${AUDIT_MAX_DAYS} days. ` +
        'A failure after the first byte cuts the connection (a truncated transfer), never a short body that looks complete.',
      tags: ['Cases'],
      query: auditQuery,
      responses: {
        200: {
          description: 'The events, streamed as a download',
          content: {
            'application/x-ndjson': auditLineSchema,
            'text/csv': z.string().meta({ description: 'Columns: actor id, actor name, actor kind, time, case key, seq, template, template version, type, stage, data' }),
          },
        },
      },
      handler: async ({ query, actor, req, res }) => {
        const range = { from: new Date(query.from), to: new Date(query.to), ...(query.template ? { template: query.template } : {}) };
        const csv = wantsCsv(req, 'application/x-ndjson');
        const name = `audit-${query.template ?? 'all'}-${range.from.toISOString().slice(0, 10)}-${range.to.toISOString().slice(0, 10)}.${csv ? 'csv' : 'ndjson'}`;
        return streamResponse(res, {
          contentType: csv ? CSV_TYPE : NDJSON_TYPE,
          headers: { Vary: 'Accept', 'Content-Disposition': attachment(name) },
          body: csv ? auditCsv(db, range, actor) : auditNdjson(db, range, actor),
        });
      },
    }),
  ];
}
