/**
 * The minimal raw-SDK "entity" workflow the benchmarks compare the case workflow with: state is an
 * array of events; an Update (with a validator) appends one and returns the state; a Signal
 * appends one; a Query returns the state; it continues as new when the server suggests it.
 */
import { allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';

interface EntityEvent {
  seq: number;
  at: string;
  type: string;
  data: unknown;
}
interface Command {
  type: string;
  data?: unknown;
}

export const appendUpdate = defineUpdate<EntityEvent[], [Command]>('append');
export const appendSignal = defineSignal<[Command]>('append');
export const stateQuery = defineQuery<EntityEvent[]>('state');

export async function entityWorkflow(input: { events?: EntityEvent[] } = {}): Promise<void> {
  const events = Array.isArray(input.events) ? input.events : [];
  const append = (cmd: Command) => events.push({ seq: events.length + 1, at: new Date().toISOString(), type: cmd.type, data: cmd.data ?? null });
  setHandler(
    appendUpdate,
    (cmd) => {
      append(cmd);
      return events;
    },
    {
      validator: (cmd) => {
        if (!cmd || typeof cmd.type !== 'string' || cmd.type.length === 0) throw new Error('a command needs a type');
      },
    },
  );
  setHandler(appendSignal, (cmd) => {
    if (cmd && typeof cmd.type === 'string') append(cmd);
  });
  setHandler(stateQuery, () => events);
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof entityWorkflow>({ events });
}
