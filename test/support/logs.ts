import type pino from 'pino';
import type { Logger } from 'pino';
import { createLogger } from '../../config/logger';

export interface CapturedLogs {
  /** A logger like the service's (secrets redacted from every line, request ids added) that keeps its lines in memory. */
  log: Logger;
  /** Every line written so far (JSON). */
  lines: string[];
  /** Lines whose text contains `needle`. */
  containing(needle: string): string[];
}

/** Captures a service logger's output in memory, at `level` (default: everything). */
export function captureLogs(level: pino.LevelWithSilent = 'trace'): CapturedLogs {
  const lines: string[] = [];
  const log = createLogger({ LOG_LEVEL: level }, 'test', { write: (line: string) => void lines.push(line) });
  return { log, lines, containing: (needle) => lines.filter((l) => l.includes(needle)) };
}
