/**
 * A stand-in for a case run of older code: it knows the `command` update and nothing newer (no
 * update per command type). The API must still reach it.
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { CommandResult } from '../../domain/case-view';
import type { CommandRequest } from '../../domain/commands';
import { commandUpdate } from '../../workflows/messages';

export async function caseWorkflow(): Promise<void> {
  let done = false;
  setHandler(commandUpdate, (request: CommandRequest): CommandResult => {
    done = true;
    return { case: { id: 'OLD-1', commandType: request.command.type } as never, events: [] };
  });
  await condition(() => done);
}
