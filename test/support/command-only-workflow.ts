/**
 * A stand-in for a case run of older code: it knows the `command` update and signal and nothing
 * newer (no update per command type, no `commandAsync` update). The API must still reach it.
 */
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { CommandResult } from '../../domain/case-view';
import type { CommandRequest } from '../../domain/commands';
import { commandSignal, commandUpdate } from '../../workflows/messages';

/** The commands this run received as signals. */
export const signalledQuery = defineQuery<CommandRequest[]>('signalled');

export async function caseWorkflow(): Promise<void> {
  let done = false;
  const signalled: CommandRequest[] = [];
  setHandler(commandUpdate, (request: CommandRequest): CommandResult => {
    done = true;
    return { case: { id: 'OLD-1', commandType: request.command.type } as never, events: [] };
  });
  setHandler(commandSignal, (request: CommandRequest) => void signalled.push(request));
  setHandler(signalledQuery, () => signalled);
  await condition(() => done);
}
