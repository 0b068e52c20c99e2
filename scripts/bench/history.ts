/** What the Temporal server recorded: the runs of a workflow and figures read from their histories. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface Run {
  runId: string;
  startedAtMs: number;
  events: HistoryEvent[];
}

const eventMs = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/**
 * Every run of a workflow, oldest first, walked back from the latest through each run's
 * "continued from" link: exact at once, where listing runs through visibility lags behind.
 */
export async function runsOf(client: Client, workflowId: string): Promise<Run[]> {
  const runs: Run[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId && runs.length < 1000) {
    const events: HistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const started: HistoryEvent | undefined = events[0];
    runs.unshift({ runId, startedAtMs: started ? eventMs(started) : NaN, events });
    runId = started?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

/** Events of all runs recorded at or after `fromMs`, by type (server and harness share this machine's clock). */
export function eventsSince(runs: Run[], fromMs: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of runs.flatMap((run) => run.events)) {
    if (eventMs(e) < fromMs) continue;
    const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** The first workflow task of a run (the one a start's first query waits for): started → completed, ms. */
export function firstTaskRunMs(events: HistoryEvent[]): number | null {
  const at = (type: temporal.api.enums.v1.EventType) => events.find((e) => e.eventType === type);
  const started = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const completed = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  return started && completed ? eventMs(completed) - eventMs(started) : null;
}

export async function firstTaskRunMsOf(client: Client, workflowId: string): Promise<number | null> {
  return firstTaskRunMs((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []);
}

/** The first workflow task's wait in its task queue (scheduled → started, ms): the time no poller took it. */
export async function firstTaskWaitMsOf(client: Client, workflowId: string): Promise<number | null> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (type: temporal.api.enums.v1.EventType) => events.find((e) => e.eventType === type);
  const scheduled = at(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  const started = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  return scheduled && started ? eventMs(started) - eventMs(scheduled) : null;
}

/**
 * Every workflow task of all runs recorded at or after `fromMs`: scheduled → started (the server
 * and the task queue) and started → completed (the worker), ms.
 */
export function taskTimesSince(runs: Run[], fromMs: number): { scheduleToStart: number[]; startToComplete: number[] } {
  const out = { scheduleToStart: [] as number[], startToComplete: [] as number[] };
  for (const { events } of runs) {
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const e of events) {
      if (e.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED || eventMs(e) < fromMs) continue;
      const started = byId.get(Number(e.workflowTaskCompletedEventAttributes?.startedEventId));
      const scheduled = byId.get(Number(e.workflowTaskCompletedEventAttributes?.scheduledEventId));
      if (started) out.startToComplete.push(eventMs(e) - eventMs(started));
      if (started && scheduled) out.scheduleToStart.push(eventMs(started) - eventMs(scheduled));
    }
  }
  return out;
}
