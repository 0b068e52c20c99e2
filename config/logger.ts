import pino, { type Logger } from 'pino';
import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import type { Config } from './env';

/** JSON logs in production; the level comes from LOG_LEVEL. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name = 'cases'): Logger {
  return pino({ name, level: config.LOG_LEVEL });
}

const temporalLevels: Record<Config['LOG_LEVEL'], LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/** The Temporal SDK's own logger (worker lifecycle, workflow `log`), at the same LOG_LEVEL. */
export function createTemporalLogger(config: Pick<Config, 'LOG_LEVEL'>): DefaultLogger {
  return new DefaultLogger(temporalLevels[config.LOG_LEVEL]);
}
