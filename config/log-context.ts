import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line written on behalf of one request carries (its request id), wherever it is
 * written: the API sets it for each HTTP request (api/correlation.ts), the worker for each activity
 * from its Temporal headers (worker/interceptors.ts). The service's loggers add it to each line
 * (config/logger.ts), and the API's Temporal client sends it on with each message.
 */
export interface LogContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn`, and everything it starts asynchronously, with `context` on its log lines. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the request (or activity) being served, if any. */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
