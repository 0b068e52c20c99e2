import { z } from 'zod';
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** Every environment variable the service reads; documented in README "Configuration". */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: optionalString,
  DATABASE_URL: optionalString,
  DATA_DIR: z.string().default('.data'),
  /** A Temporal frontend (host:port). Unset: 127.0.0.1:7233, and `npm start` runs its own dev server. */
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  TEMPORAL_CLI: optionalString,
  /** `npm start` only: the dev server's gRPC port when TEMPORAL_ADDRESS is not set. */
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  BODY_LIMIT: z.string().default('1mb'),
  /** How long a closed or cancelled case stays reopenable before its workflow completes. */
  CASE_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
});

export type Config = z.infer<typeof envSchema> & { dataDir: string };

/** Parses the environment once, failing fast with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function caseRetentionMs(config: Pick<Config, 'CASE_RETENTION_DAYS'>): number {
  return Math.round(config.CASE_RETENTION_DAYS * 24 * 3600 * 1000);
}

export function temporalAddress(config: Pick<Config, 'TEMPORAL_ADDRESS'>): string {
  return config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
}
