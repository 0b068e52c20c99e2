import { z } from 'zod';
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../workflows/messages';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const DEVELOPMENT_WEBHOOK_SECRET = 'development-webhook-secret';

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

  /** Resend API key; unset, e-mail goes to the `emails` table only (the development outbox, `GET /v1/outbox`). */
  RESEND_API_KEY: optionalString,
  /** Resend's API base URL (the SDK reads it too); tests point it at a local fake. */
  RESEND_BASE_URL: optionalString,
  EMAIL_FROM: z.string().default('Case Orchestrator <cases@example.com>'),
  /** Hosts automation webhooks may call, comma-separated (`*.example.com` matches subdomains); empty: none. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
  /** HMAC-SHA256 key signing webhook payloads (header `X-Case-Signature`). */
  WEBHOOK_SECRET: z.string().min(8).default(DEVELOPMENT_WEBHOOK_SECRET),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(10000),
  /** Cron expression of the daily owner digest (a Temporal Schedule created at worker start). */
  DIGEST_SCHEDULE: z.string().default('0 8 * * *'),
  DIGEST_TIMEZONE: z.string().default('UTC'),
  /** A case whose deadline is this close counts as "due soon" in the digest. */
  DIGEST_DUE_SOON_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  /** Largest accepted document upload, in bytes. */
  DOCUMENT_MAX_BYTES: z.coerce.number().int().positive().default(25 * 1024 * 1024),
  /** How long a portal magic link stays valid. */
  PORTAL_LINK_TTL_DAYS: z.coerce.number().positive().max(365).default(14),
  /**
   * Express `trust proxy`: whose X-Forwarded-For names the client (rate limits, logs). `loopback`
   * trusts a proxy on the same host only, so a client cannot pick its own address.
   */
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** Portal requests allowed per client IP and minute. */
  PORTAL_RATE_LIMIT: z.coerce.number().int().positive().default(120),

  // Admission control and fast failure (API).
  /** How long a query, signal or start may wait for the Temporal server before the API answers 503. */
  TEMPORAL_CALL_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(4_000),
  /** How long a synchronous command waits for the case's verdict before the API answers 504. */
  COMMAND_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(15_000),
  /** How long a start waits for the new case's first view before the API answers 504 (with the case key). */
  START_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(15_000),
  /** Temporal calls in flight per API process; beyond it a request waits ADMISSION_WAIT_MS for a slot, then gets 503. */
  TEMPORAL_MAX_INFLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  ADMISSION_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(1_000),
  /** Requests in flight per actor (token) and API process; beyond it 429. */
  MAX_INFLIGHT_PER_ACTOR: z.coerce.number().int().min(1).max(10_000).default(32),
  /** Seconds to wait for a PostgreSQL connection before the API answers 503. */
  DATABASE_CONNECT_TIMEOUT_S: z.coerce.number().int().min(1).max(60).default(3),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** How long shutdown waits for requests in flight before cutting them off. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),

  // Worker memory.
  /** Case workflows kept in the worker's cache; others are evicted and replayed on their next task. Default: from the heap limit. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).optional(),
});

export type Config = z.infer<typeof envSchema> & { dataDir: string };

/** Parses the environment once, failing fast with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema
    .refine((c) => c.NODE_ENV !== 'production' || c.WEBHOOK_SECRET !== DEVELOPMENT_WEBHOOK_SECRET, {
      path: ['WEBHOOK_SECRET'],
      message: 'set your own secret in production (the default is public)',
    })
    .safeParse(env);
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
