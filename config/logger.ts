import pino, { type Logger } from 'pino';
import type { Config } from './env';

/** JSON logs in production; the level comes from LOG_LEVEL. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name = 'cases'): Logger {
  return pino({ name, level: config.LOG_LEVEL });
}
