/**
 * Sending one kind of command from one place on the case page: an Idempotency-Key per action
 * (kept when the same action is retried after a lost answer, new for anything else), the pending
 * state to disable the button, the problem to show next to the form, and a reload of the case
 * after success (its `allowed` says what may be done next).
 */
import { useRef, useState } from 'preact/hooks';
import { api, idempotencyKey, type ApiProblem } from '../../lib/api';
import { useCase } from './context';
import { asProblem, isRetryable } from './problems';

export interface Command {
  /**
   * Runs `send` with the Idempotency-Key header; `action` identifies what is being done (path and
   * body) so a retry of the same action reuses its key. Resolves to whether it succeeded.
   */
  run: (action: string, send: (headers: Record<string, string>) => Promise<unknown>) => Promise<boolean>;
  pending: boolean;
  error: ApiProblem | undefined;
  clear: () => void;
}

export function useCommand(): Command {
  const { reload } = useCase();
  const attempt = useRef<{ action: string; key: string } | undefined>(undefined);
  const busy = useRef(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiProblem>();

  const run: Command['run'] = async (action, send) => {
    if (busy.current) return false;
    if (attempt.current?.action !== action) attempt.current = { action, key: idempotencyKey() };
    busy.current = true;
    setPending(true);
    setError(undefined);
    try {
      await send({ 'Idempotency-Key': attempt.current.key });
      attempt.current = undefined;
    } catch (err) {
      const problem = asProblem(err);
      if (!isRetryable(problem)) attempt.current = undefined;
      setError(problem);
      return false;
    } finally {
      busy.current = false;
      setPending(false);
    }
    await reload();
    return true;
  };
  return { run, pending, error, clear: () => setError(undefined) };
}

/** A JSON command: `send(cmd, 'post', '/v1/cases/ONB-1/advance', {to: 'review'})`. */
export function send(cmd: Command, method: 'post' | 'put' | 'patch' | 'delete', url: string, body?: unknown): Promise<boolean> {
  return cmd.run(`${method} ${url} ${JSON.stringify(body ?? null)}`, (headers) =>
    method === 'delete' ? api.delete(url, { headers }) : api[method](url, body ?? {}, { headers }),
  );
}
