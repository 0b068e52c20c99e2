import type { CaseState, StageClock } from './case-state';
import { addDuration, addTime, DEFAULT_CALENDAR, parseDuration, timeUntil } from './durations';
import type { EventDraft } from './events';
import { findStage, type BusinessCalendar, type StageDefinition, type TemplateDefinition } from './template';

/**
 * Stage SLA clocks, task due dates and inactivity: pure functions of the state, the template
 * and "now". The workflow sleeps until `nextWakeAt` and then records what `dueTimerEvents` says.
 */

export const calendarOf = (template: TemplateDefinition): BusinessCalendar => template.calendar ?? DEFAULT_CALENDAR;

const isBusiness = (text: string | undefined, calendar: BusinessCalendar) => (text ? (parseDuration(text, calendar)?.business ?? false) : false);

/** The `sla.started` event for a stage entered at `at`, when the stage has a goal or deadline. */
export function clockStartDraft(template: TemplateDefinition, stage: StageDefinition, at: string): EventDraft[] {
  const sla = stage.sla;
  if (!sla || (!sla.goal && !sla.deadline)) return [];
  const calendar = calendarOf(template);
  return [
    {
      type: 'sla.started',
      data: {
        stage: stage.key,
        goalAt: sla.goal ? addDuration(at, sla.goal, calendar) : null,
        deadlineAt: sla.deadline ? addDuration(at, sla.deadline, calendar) : null,
      },
    },
  ];
}

/** The running clock of the case's current stage, if there is one. */
export function runningClock(state: CaseState): StageClock | undefined {
  return state.clock && state.clock.stage === state.stage ? state.clock : undefined;
}

/** When level `fired + 1` of escalation `index` is due, or undefined when it has no more levels. */
export function escalationDueAt(template: TemplateDefinition, stage: StageDefinition, clock: StageClock, index: number): string | undefined {
  const escalation = stage.sla?.escalations[index];
  if (!escalation || !clock.deadlineAt) return undefined;
  const fired = clock.escalated[index] ?? 0;
  const times = escalation.times ?? (escalation.every ? 100 : 1);
  if (fired >= times) return undefined;
  const calendar = calendarOf(template);
  let at = addDuration(clock.deadlineAt, escalation.after, calendar);
  for (let i = 0; i < fired; i++) at = addDuration(at, escalation.every!, calendar);
  return at;
}

function taskDueDrafts(state: CaseState, now: string): EventDraft[] {
  return Object.values(state.tasks)
    .filter((t) => t.status === 'open' && !t.overdue && t.dueAt && t.dueAt <= now)
    .map((t) => ({ type: 'task.overdue' as const, data: { taskId: t.taskId, dueAt: t.dueAt! } }));
}

function stalledAt(state: CaseState, template: TemplateDefinition): string | undefined {
  if (!template.inactivity || state.stalledAt || !state.lastActivityAt) return undefined;
  return addDuration(state.lastActivityAt, template.inactivity, calendarOf(template));
}

/**
 * What has come due by `now`: missed goal and deadline, the next level of each escalation,
 * overdue tasks, a stalled case. Only open cases keep time; a paused clock fires nothing.
 */
export function dueTimerEvents(state: CaseState, template: TemplateDefinition, now: string): EventDraft[] {
  if (state.status !== 'open') return [];
  const drafts: EventDraft[] = [];
  const clock = runningClock(state);
  const stage = findStage(template, state.stage);
  if (clock && stage && !clock.pausedAt) {
    if (clock.goalAt && !clock.goalMissed && clock.goalAt <= now) drafts.push({ type: 'sla.goal_missed', data: { stage: clock.stage, goalAt: clock.goalAt } });
    if (clock.deadlineAt && !clock.deadlineMissed && clock.deadlineAt <= now) {
      drafts.push({ type: 'sla.deadline_missed', data: { stage: clock.stage, deadlineAt: clock.deadlineAt } });
    }
    let level = clock.level;
    stage.sla?.escalations.forEach((_, index) => {
      const due = escalationDueAt(template, stage, clock, index);
      if (due && due <= now && clock.deadlineAt) {
        drafts.push({ type: 'sla.escalated', data: { stage: clock.stage, level: ++level, escalation: index, deadlineAt: clock.deadlineAt } });
      }
    });
  }
  drafts.push(...taskDueDrafts(state, now));
  const stalled = stalledAt(state, template);
  if (stalled && stalled <= now) {
    drafts.push({ type: 'case.stalled', data: { lastActivityAt: state.lastActivityAt, inactivity: template.inactivity! } });
  }
  return drafts;
}

/** The next instant something may come due, for the workflow's timer; undefined when nothing will. */
export function nextWakeAt(state: CaseState, template: TemplateDefinition): string | undefined {
  return nextWake(state, template)?.at;
}

/**
 * The next instant a case must wake at, and why — `SLA deadline: documentation`, `task T-3 due` —
 * so the timer is labelled in the Temporal UI.
 */
export function nextWake(state: CaseState, template: TemplateDefinition): { at: string; label: string } | undefined {
  if (state.status !== 'open') return undefined;
  const candidates: Array<{ at: string; label: string }> = [];
  const clock = runningClock(state);
  const stage = findStage(template, state.stage);
  if (clock && stage && !clock.pausedAt) {
    if (clock.goalAt && !clock.goalMissed) candidates.push({ at: clock.goalAt, label: `SLA goal: ${stage.key}` });
    if (clock.deadlineAt && !clock.deadlineMissed) candidates.push({ at: clock.deadlineAt, label: `SLA deadline: ${stage.key}` });
    stage.sla?.escalations.forEach((_, i) => {
      const due = escalationDueAt(template, stage, clock, i);
      if (due) candidates.push({ at: due, label: `SLA escalation ${i + 1}: ${stage.key}` });
    });
  }
  for (const t of Object.values(state.tasks)) if (t.status === 'open' && !t.overdue && t.dueAt) candidates.push({ at: t.dueAt, label: `task ${t.taskId} due` });
  const stalled = stalledAt(state, template);
  if (stalled) candidates.push({ at: stalled, label: 'inactivity: the case stalls' });
  // The first of the earliest, in a fixed order: the same label on every replay.
  return candidates.reduce<{ at: string; label: string } | undefined>((first, c) => (!first || c.at < first.at ? c : first), undefined);
}

/** The earliest running deadline (stage deadline or open task): the case is overdue once it passes. */
export function caseDueAt(state: CaseState): string | null {
  if (state.status !== 'open') return null;
  const candidates: string[] = [];
  const clock = runningClock(state);
  if (clock?.deadlineAt && !clock.pausedAt) candidates.push(clock.deadlineAt);
  for (const t of Object.values(state.tasks)) if (t.status === 'open' && t.dueAt) candidates.push(t.dueAt);
  return candidates.sort()[0] ?? null;
}

/** `sla.paused`: what is left to each target, counted as the target's duration counts. */
export function pauseDraft(template: TemplateDefinition, stage: StageDefinition, clock: StageClock, reason: string, now: string): EventDraft {
  const calendar = calendarOf(template);
  const left = (at: string | null, text: string | undefined) => (at ? timeUntil(now, at, isBusiness(text, calendar), calendar) : null);
  return {
    type: 'sla.paused',
    data: {
      stage: clock.stage,
      reason,
      goalRemainingMs: clock.goalMissed ? null : left(clock.goalAt, stage.sla?.goal),
      deadlineRemainingMs: clock.deadlineMissed ? null : left(clock.deadlineAt, stage.sla?.deadline),
    },
  };
}

/** `sla.resumed`: targets moved out by the time the clock stood still. */
export function resumeDraft(template: TemplateDefinition, stage: StageDefinition, clock: StageClock, reason: string | undefined, now: string): EventDraft {
  const calendar = calendarOf(template);
  const pausedMs = Math.max(0, Date.parse(now) - Date.parse(clock.pausedAt ?? now));
  // A target already missed moves out by the pause too: its escalations count from it.
  const target = (at: string | null, remaining: number | null, text: string | undefined) =>
    remaining !== null ? addTime(now, remaining, isBusiness(text, calendar), calendar) : at ? addTime(at, pausedMs, false) : null;
  return {
    type: 'sla.resumed',
    data: {
      stage: clock.stage,
      ...(reason ? { reason } : {}),
      goalAt: target(clock.goalAt, clock.goalRemainingMs, stage.sla?.goal),
      deadlineAt: target(clock.deadlineAt, clock.deadlineRemainingMs, stage.sla?.deadline),
      pausedMs,
    },
  };
}

/** `sla.deadline_changed`; while paused, the new deadline's remaining time is what resuming restores. */
export function deadlineChangeDraft(template: TemplateDefinition, stage: StageDefinition, clock: StageClock, to: string, reason: string, now: string): EventDraft {
  const calendar = calendarOf(template);
  return {
    type: 'sla.deadline_changed',
    data: {
      stage: clock.stage,
      from: clock.deadlineAt,
      to,
      reason,
      ...(clock.pausedAt ? { deadlineRemainingMs: timeUntil(now, to, isBusiness(stage.sla?.deadline, calendar), calendar) } : {}),
    },
  };
}

/** The clock as the case view shows it: targets, what is left or overdue, paused or not. */
export function clockView(state: CaseState, now: string) {
  const clock = runningClock(state);
  if (!clock) return null;
  const at = clock.pausedAt ?? now;
  const remaining = (target: string | null, pausedRemaining: number | null) =>
    clock.pausedAt ? pausedRemaining : target ? Date.parse(target) - Date.parse(at) : null;
  const deadlineRemainingMs = remaining(clock.deadlineAt, clock.deadlineRemainingMs);
  return {
    stage: clock.stage,
    startedAt: clock.startedAt,
    goalAt: clock.goalAt,
    deadlineAt: clock.deadlineAt,
    goalRemainingMs: remaining(clock.goalAt, clock.goalRemainingMs),
    deadlineRemainingMs,
    overdueMs: deadlineRemainingMs !== null && deadlineRemainingMs < 0 ? -deadlineRemainingMs : 0,
    goalMissed: clock.goalMissed,
    deadlineMissed: clock.deadlineMissed,
    escalationLevel: clock.level,
    paused: clock.pausedAt !== null,
    pausedAt: clock.pausedAt,
    pausedMs: clock.pausedMs,
  };
}
