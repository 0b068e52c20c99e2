/**
 * A stand-in for a case run of older code: it knows the `command` update and signal and nothing
 * newer (no update per command type, no `commandAsync` update). The API must still reach it.
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { CommandResult } from '../../domain/case-view';
import type { CommandRequest } from '../../domain/commands';
import { commandAsyncUpdate, commandSignal, commandUpdate } from '../../workflows/messages';

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

/** Lets the held `commandAsync` updates of `busyCaseWorkflow` finish. */
export const releaseSignal = defineSignal('release');

/**
 * A stand-in for a case that takes `commandAsync` updates but holds them (as a case busy with a
 * burst would): once the server's limit of updates in flight is reached, the API must send the
 * next command as a signal.
 */
export async function busyCaseWorkflow(): Promise<void> {
  let released = false;
  const signalled: CommandRequest[] = [];
  setHandler(commandAsyncUpdate, async () => {
    await condition(() => released);
  });
  setHandler(commandSignal, (request: CommandRequest) => void signalled.push(request));
  setHandler(signalledQuery, () => signalled);
  setHandler(releaseSignal, () => void (released = true));
  await condition(() => released && signalled.length > 0);
}
