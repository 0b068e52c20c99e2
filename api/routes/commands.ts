import { z } from 'zod';
import type { Actor } from '../../domain/actor';
import { commandResultSchema } from '../../domain/schemas/case-view';
import { type CaseCommand } from '../../domain/commands';
import {
  advanceInput,
  assignOwnerInput,
  changeDeadlineInput,
  closeInput,
  commentInput,
  completeTaskInput,
  createTaskInput,
  decisionInput,
  fieldValuesInput,
  participantInput,
  pauseClockInput,
  reasonInput,
  reassignTaskInput,
  reopenTaskInput,
  resumeClockInput,
} from '../../domain/schemas/commands';
import type { ProblemCode } from '../errors';
import { visibleCaseTemplate } from '../../db/read-model';
import { caseNotFound, resultFor } from '../case-access';
import { Problem } from '../errors';
import type { ApiDeps } from '../deps';
import { defineRoute, type AnyRoute } from '../route';
import { acceptedSchema, caseIdParams, commandHeaders, participantParams, taskParams } from '../schemas';

const baseProblems: ProblemCode[] = [
  'case_not_found',
  'forbidden',
  'case_not_open',
  'case_archived',
  'limit_exceeded',
  'command_too_large',
  'case_busy',
  'case_unavailable',
  'overloaded',
  'command_timeout',
];

const wantsAsync = (prefer: string | undefined) => /(^|[,;\s])respond-async($|[,;\s])/i.test(prefer ?? '');

/**
 * Every command endpoint has the same life: validate the body, build the domain command, then
 * either wait for the workflow's verdict (Update, 200) or send it as a Signal (202). Who may send
 * it is the case's to say, where the live case is (its update validator, or the dry run before a
 * signal): a case the sender may not see answers 404 `case_not_found` like one that does not exist,
 * an auditor 403, then the stage's permissions. The answer has sensitive values redacted for the sender.
 */
export function commandRoute<P extends z.ZodObject, B extends z.ZodType | undefined>(
  deps: ApiDeps,
  spec: {
    method?: 'post' | 'put' | 'patch' | 'delete';
    path: string;
    operationId: string;
    summary: string;
    description?: string;
    /** OpenAPI tags; `Case commands` by default. */
    tags?: string[];
    params: P;
    body?: B;
    problems?: ProblemCode[];
    toCommand: (params: z.output<P>, body: B extends z.ZodType ? z.output<B> : undefined) => CaseCommand;
  },
): AnyRoute {
  return defineRoute({
    method: spec.method ?? 'post',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    description: `${spec.description ?? ''} With \`Prefer: respond-async\` the answer is 202 as soon as the case has checked and recorded the command (it is applied in the same step; the read model follows within moments).`.trim(),
    tags: spec.tags ?? ['Case commands'],
    params: spec.params,
    ...(spec.body ? { body: spec.body } : {}),
    headers: commandHeaders,
    responses: {
      200: { description: 'Applied: the case after the command and the events it appended', schema: commandResultSchema },
      202: { description: 'Accepted for asynchronous processing', schema: acceptedSchema },
    },
    problems: [...baseProblems, ...(spec.problems ?? [])],
    handler: async ({ params, body, headers, actor }) => {
      const caseKey = (params as { id: string }).id;
      const command = spec.toCommand(params as z.output<P>, body as B extends z.ZodType ? z.output<B> : undefined);
      const requestId = headers['idempotency-key'] || undefined;
      const request = { actor: actor as Actor, command, ...(requestId ? { requestId } : {}) };
      // An archived case has no workflow left to judge the sender: the read model says who may know it existed.
      const archivedIsHidden = async (err: unknown): Promise<never> => {
        if (err instanceof Problem && err.code === 'case_archived' && !(await visibleCaseTemplate(deps.db, caseKey, actor as Actor))) throw caseNotFound(caseKey);
        throw err;
      };
      if (wantsAsync(headers.prefer)) {
        const sent = await deps.cases.accept(caseKey, request).catch(archivedIsHidden);
        return {
          status: 202,
          headers: { 'Preference-Applied': 'respond-async', Location: `/v1/cases/${caseKey}` },
          body: { accepted: true, requestId: sent, caseKey },
        };
      }
      const result = await deps.cases.execute(caseKey, request).catch(archivedIsHidden);
      return { body: await resultFor(deps.db, actor as Actor, result) };
    },
  });
}

export function commandRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    commandRoute(deps, {
      path: '/v1/cases/:id/advance',
      operationId: 'advanceCase',
      summary: 'Move the case to another stage',
      description:
        'Forward, back or skip, as the template allows. Moving forward needs the exit criteria of the stage being left (409 transition_not_allowed lists what is missing); a move back or a skip needs a reason.',
      params: caseIdParams,
      body: advanceInput,
      problems: ['transition_not_allowed', 'unknown_stage', 'reason_required', 'already_in_stage'],
      toCommand: (_p, b) => ({ type: 'advance', to: b.to, ...(b.reason ? { reason: b.reason } : {}) }),
    }),
    commandRoute(deps, {
      method: 'patch',
      path: '/v1/cases/:id/fields',
      operationId: 'setFields',
      summary: 'Set field values',
      description: 'The body maps field keys to values, typed per the template; null clears a value. Each change records its old and new value.',
      params: caseIdParams,
      body: fieldValuesInput.meta({ id: 'FieldValues' }),
      problems: ['invalid_fields', 'no_change'],
      toCommand: (_p, values) => ({ type: 'setFields', values }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/comments',
      operationId: 'addComment',
      summary: 'Comment on the case',
      description: '`@user` mentions are recorded on the event.',
      params: caseIdParams,
      body: commentInput,
      toCommand: (_p, b) => ({ type: 'comment', text: b.text }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/decisions',
      operationId: 'recordDecision',
      summary: 'Record a decision with its justification',
      params: caseIdParams,
      body: decisionInput,
      toCommand: (_p, b) => ({ type: 'recordDecision', ...b }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/tasks',
      operationId: 'createTask',
      summary: 'Create a task',
      params: caseIdParams,
      body: createTaskInput,
      toCommand: (_p, b) => ({ type: 'createTask', ...b }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/tasks/:taskId/complete',
      operationId: 'completeTask',
      summary: 'Complete a task',
      description: 'The assignee may complete their own task whatever the stage permissions.',
      params: taskParams,
      body: completeTaskInput.optional().transform((b) => b ?? {}).meta({ example: { note: 'Laptop handed over' } }),
      problems: ['task_not_found', 'task_already_completed'],
      toCommand: (p, b) => ({ type: 'completeTask', taskId: p.taskId, ...(b.note ? { note: b.note } : {}) }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/tasks/:taskId/reassign',
      operationId: 'reassignTask',
      summary: 'Reassign a task',
      params: taskParams,
      body: reassignTaskInput,
      problems: ['task_not_found', 'no_change'],
      toCommand: (p, b) => ({ type: 'reassignTask', taskId: p.taskId, assignee: b.assignee }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/tasks/:taskId/reopen',
      operationId: 'reopenTask',
      summary: 'Reopen a completed task',
      params: taskParams,
      body: reopenTaskInput,
      problems: ['task_not_found', 'task_not_completed'],
      toCommand: (p, b) => ({ type: 'reopenTask', taskId: p.taskId, reason: b.reason }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/participants',
      operationId: 'addParticipant',
      summary: 'Add a participant',
      description: 'Internal participants are users (userId); external ones are people outside (email).',
      params: caseIdParams,
      body: participantInput,
      problems: ['participant_exists'],
      toCommand: (_p, participant) => ({ type: 'addParticipant', participant }),
    }),
    commandRoute(deps, {
      method: 'delete',
      path: '/v1/cases/:id/participants/:participantId',
      operationId: 'removeParticipant',
      summary: 'Remove a participant',
      params: participantParams,
      problems: ['participant_not_found'],
      toCommand: (p) => ({ type: 'removeParticipant', participantId: p.participantId }),
    }),
    commandRoute(deps, {
      method: 'put',
      path: '/v1/cases/:id/owner',
      operationId: 'assignOwner',
      summary: 'Assign the case owner',
      description: 'Hands the case to another owner (a user id); null leaves the case unowned.',
      params: caseIdParams,
      body: assignOwnerInput,
      problems: ['no_change'],
      toCommand: (_p, b) => ({ type: 'assignOwner', owner: b.owner }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/close',
      operationId: 'closeCase',
      summary: 'Close the case',
      description: 'From a terminal stage, or from any stage with a reason.',
      params: caseIdParams,
      body: closeInput.optional().transform((b) => b ?? {}).meta({ example: { reason: 'Onboarding complete' } }),
      problems: ['reason_required'],
      toCommand: (_p, b) => ({ type: 'close', ...(b.reason ? { reason: b.reason } : {}) }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/reopen',
      operationId: 'reopenCase',
      summary: 'Reopen a closed or cancelled case',
      params: caseIdParams,
      body: reasonInput,
      problems: ['case_open'],
      toCommand: (_p, b) => ({ type: 'reopen', reason: b.reason }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/cancel',
      operationId: 'cancelCase',
      summary: 'Cancel the case',
      params: caseIdParams,
      body: reasonInput,
      toCommand: (_p, b) => ({ type: 'cancel', reason: b.reason }),
    }),
    commandRoute(deps, {
      method: 'put',
      path: '/v1/cases/:id/sla/deadline',
      operationId: 'changeDeadline',
      summary: "Move the running stage's deadline",
      description:
        'Re-targets the SLA clock of the current stage: the running timer moves, missed-deadline and escalation levels count afresh from the new deadline. While the clock is paused, the new deadline sets the time left when it resumes.',
      params: caseIdParams,
      body: changeDeadlineInput,
      problems: ['no_clock', 'no_change'],
      toCommand: (_p, b) => ({ type: 'changeDeadline', deadlineAt: b.deadlineAt, reason: b.reason }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/sla/pause',
      operationId: 'pauseClock',
      summary: "Pause the running stage's SLA clock",
      description: 'E.g. "waiting on the client": the time until resume is not counted; goal, deadline and escalations move out by it.',
      params: caseIdParams,
      body: pauseClockInput,
      problems: ['no_clock', 'clock_paused'],
      toCommand: (_p, b) => ({ type: 'pauseClock', reason: b.reason }),
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/sla/resume',
      operationId: 'resumeClock',
      summary: "Resume the stage's paused SLA clock",
      params: caseIdParams,
      body: resumeClockInput,
      problems: ['no_clock', 'clock_not_paused'],
      toCommand: (_p, b) => ({ type: 'resumeClock', ...(b.reason ? { reason: b.reason } : {}) }),
    }),
  ];
}
