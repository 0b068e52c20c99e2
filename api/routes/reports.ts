import { z } from 'zod';
import { BUSINESS_TIME_MAX_VISITS, REPORT_DEFAULT_RANGE_DAYS, REPORT_MAX_RANGE_DAYS, stageReport } from '../../db/reports';
import { getTemplate } from '../../db/templates';
import { keySchema } from '../../domain/schemas/template';
import type { ApiDeps } from '../deps';
import { Problem } from '../errors';
import { defineRoute } from '../route';

const DAY_MS = 86_400_000;

/** An ISO 8601 instant with an offset (zod also refuses dates that do not exist, such as 31 February). */
const instant = z
  .string()
  .max(40, 'must be an ISO 8601 instant, e.g. 2027-01-04T09:00:00Z')
  .pipe(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant with an offset, e.g. 2027-01-04T09:00:00Z' }));

export const reportQuery = z
  .object({
    from: instant.optional().meta({ description: `Start of the range, inclusive (default: \`to\` minus ${REPORT_DEFAULT_RANGE_DAYS} days)` }),
    to: instant.optional().meta({ description: 'End of the range, exclusive (default: now)' }),
  })
  .strict()
  .transform((q, ctx) => {
    const to = q.to !== undefined ? new Date(q.to) : new Date();
    const from = q.from !== undefined ? new Date(q.from) : new Date(to.getTime() - REPORT_DEFAULT_RANGE_DAYS * DAY_MS);
    if (to.getTime() <= from.getTime()) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `must be after from (${from.toISOString()})` });
      return z.NEVER;
    }
    if (to.getTime() - from.getTime() > REPORT_MAX_RANGE_DAYS * DAY_MS) {
      ctx.addIssue({ code: 'custom', path: [q.to !== undefined ? 'to' : 'from'], message: `the range may span at most ${REPORT_MAX_RANGE_DAYS} days` });
      return z.NEVER;
    }
    return { from, to };
  });

export const reportParams = z.object({ template: keySchema });

const percentiles = z
  .object({
    median: z.number().nullable().meta({ description: 'percentile_cont(0.5), ms; null without a visit' }),
    p90: z.number().nullable().meta({ description: 'percentile_cont(0.9), ms; null without a visit' }),
  })
  .meta({ id: 'ReportPercentiles' });

const slaOutcome = z
  .object({
    visits: z.number().int().meta({ description: 'Visits whose clock had this target' }),
    met: z.number().int(),
    missed: z.number().int(),
    metPct: z.number().nullable().meta({ description: 'Percent of visits, one decimal; null without a visit' }),
    missedPct: z.number().nullable(),
  })
  .meta({ id: 'ReportSlaOutcome' });

export const reportStageSchema = z
  .object({
    key: z.string(),
    name: z.string(),
    terminal: z.boolean(),
    current: z.boolean().meta({ description: 'false for a stage only older versions of the template have' }),
    entered: z.number().int().meta({ description: 'Cases that entered the stage in the range' }),
    visitsEnded: z.number().int().meta({ description: 'Visits of the stage (stage.entered to the next stage.exited, case.closed or case.cancelled) that ended in the range' }),
    cycleTimeMs: percentiles.meta({ description: 'Time spent in the stage by the visits that ended in the range' }),
    businessTimeMs: percentiles.nullable().meta({ description: "The same visits' working time on the template's calendar; null without a calendar or beyond the visit limit" }),
    sla: z.object({
      visits: z.number().int().meta({ description: 'Visits that ended in the range with an SLA clock (sla.started)' }),
      goal: slaOutcome.meta({ description: 'missed: sla.goal_missed during the visit' }),
      deadline: slaOutcome.meta({ description: 'missed: sla.deadline_missed during the visit' }),
    }),
    escalations: z.number().int().meta({ description: 'sla.escalated events in the range' }),
    open: z.number().int().meta({ description: 'Open cases in the stage now' }),
    overdue: z.number().int().meta({ description: 'Open cases in the stage whose earliest deadline has passed, now' }),
  })
  .meta({ id: 'ReportStage' });

export const reportWeekSchema = z
  .object({
    week: z.string().meta({ description: 'ISO week, e.g. 2026-W07 (UTC)' }),
    start: z.string().meta({ description: 'Its Monday, YYYY-MM-DD' }),
    started: z.number().int().meta({ description: 'case.created in the range and the week' }),
    closed: z.number().int(),
    cancelled: z.number().int(),
  })
  .meta({ id: 'ReportWeek' });

export const stageReportSchema = z
  .object({
    template: z.object({ key: z.string(), version: z.number().int(), name: z.string() }),
    range: z.object({ from: z.string(), to: z.string() }).meta({ description: 'from inclusive, to exclusive' }),
    generatedAt: z.string(),
    stages: z.array(reportStageSchema),
    totals: z.object({
      visitsEnded: z.number().int(),
      escalations: z.number().int(),
      open: z.number().int(),
      overdue: z.number().int(),
      started: z.number().int(),
      closed: z.number().int(),
      cancelled: z.number().int(),
    }),
    weeks: z.array(reportWeekSchema),
    businessTime: z
      .object({ computed: z.boolean(), visits: z.number().int(), limit: z.number().int(), reason: z.string().optional() })
      .nullable()
      .meta({ description: `Null without a calendar; computed up to ${BUSINESS_TIME_MAX_VISITS} visits, else \`computed: false\` with the reason` }),
  })
  .meta({ id: 'StageReport' });

export function reportRoutes({ db }: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/reports/:template',
      operationId: 'getStageReport',
      summary: 'Stage report of a template',
      description: `Per stage of the latest version: cases that entered it, cycle time (median, p90) and business time of the visits that ended in the range, SLA goal and deadline met/missed, escalations, open and overdue cases now; cases started, closed and cancelled per ISO week. Only cases the caller may see. \`from\` inclusive, \`to\` exclusive, at most ${REPORT_MAX_RANGE_DAYS} days (default: the last ${REPORT_DEFAULT_RANGE_DAYS} days). Computed from the read model.`,
      tags: ['Reports'],
      params: reportParams,
      query: reportQuery,
      responses: { 200: { description: 'The report', schema: stageReportSchema } },
      problems: ['template_not_found'],
      handler: async ({ params, query, actor }) => {
        const template = await getTemplate(db, params.template);
        if (!template) throw new Problem('template_not_found', `No template "${params.template}"`);
        return { body: await stageReport(db, template, actor, query) };
      },
    }),
  ];
}
