import { z } from 'zod';
import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import bytes from 'bytes';
import { CronExpressionParser } from 'cron-parser';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** A comma-separated list, trimmed, without empty items. */
const commaList = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((item) => item.trim()).filter(Boolean));

/** An http(s) URL (optional; empty counts as unset). */
const httpUrl = optionalString.pipe(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. https://cases.example.com' }).optional());

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const isHost = (v: string) => isIP(v) !== 0 || HOSTNAME.test(v);

/** `host:port` (an IPv6 host in brackets). */
const hostPort = optionalString.refine((v) => {
  if (v === undefined) return true;
  const m = /^(\[[0-9a-f:.]+\]|[^:\s]+):(\d{1,5})$/i.exec(v);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 65535 && (m[1]!.startsWith('[') ? isIP(m[1]!.slice(1, -1)) === 6 : isHost(m[1]!));
}, 'must be host:port, e.g. temporal.internal:7233');

/** A size such as `1mb`, `512kb` or a number of bytes (the notation of Express's body limit). */
const size = (dflt: string, max: number) =>
  z
    .string()
    .trim()
    .default(dflt)
    .refine((v) => {
      const n = bytes.parse(v);
      return typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= max;
    }, `must be a size like 1mb, 512kb or 1048576, at most ${bytes.format(max)}`);

const timeZone = z
  .string()
  .trim()
  .refine((v) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone, e.g. Europe/Berlin or UTC');

const cron = z
  .string()
  .trim()
  .refine((v) => {
    try {
      CronExpressionParser.parse(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be a cron expression, e.g. "0 8 * * mon-fri" (minute hour day-of-month month day-of-week) or @daily');

/** `Name <address>` or a bare address. */
const mailbox = z
  .string()
  .trim()
  .refine((v) => /^([^<>]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/.test(v), 'must be an address or "Name <address>"');

/** A file the process can read (a certificate, a key): checked at start, read when connecting. */
const readableFile = optionalString.refine((v) => {
  if (v === undefined) return true;
  try {
    fs.accessSync(v, fs.constants.R_OK);
    return fs.statSync(v).isFile();
  } catch {
    return false;
  }
}, 'must be the path of a readable file');

/** `true`/`false` (also 1/0, yes/no); empty counts as unset. */
const flag = optionalString.pipe(
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => ['true', '1', 'yes'].includes(v))
    .optional(),
);

/** A key that encrypts Temporal payloads: its id (stored with every payload it encrypted) and 32 bytes. */
export interface PayloadKey {
  id: string;
  key: Buffer;
}

const PAYLOAD_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * `<id>:<base64 of 32 bytes>`, comma-separated: every key payloads may have been encrypted with.
 * Generate one with `openssl rand -base64 32`. A list, so that keys can rotate: the new key joins,
 * PAYLOAD_KEY_ID switches to it, and the old one stays until no history needs it.
 */
const payloadKeys = commaList.transform((items, ctx): PayloadKey[] => {
  const keys: PayloadKey[] = [];
  for (const item of items) {
    const colon = item.indexOf(':');
    const id = colon < 0 ? '' : item.slice(0, colon);
    const material = colon < 0 ? '' : item.slice(colon + 1);
    // The id is safe to name in a message; the key material never is.
    const where = PAYLOAD_KEY_ID.test(id) ? `key "${id}"` : `item ${keys.length + 1}`;
    const key = Buffer.from(material, 'base64');
    if (!PAYLOAD_KEY_ID.test(id)) ctx.addIssue({ code: 'custom', message: `${where}: must be <id>:<base64 of 32 bytes>, the id 1-64 of A-Z a-z 0-9 . _ -` });
    else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(material) || key.length !== 32) ctx.addIssue({ code: 'custom', message: `${where}: the key must be 32 bytes in base64 (openssl rand -base64 32)` });
    else if (keys.some((k) => k.id === id)) ctx.addIssue({ code: 'custom', message: `${where}: the id is listed twice` });
    else keys.push({ id, key });
  }
  return keys;
});

/** An http(s) origin (scheme, host, port; no path), as browsers send in `Origin`. */
const origins = commaList.refine(
  (list) => list.every((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol) && new URL(v).origin === v.replace(/\/$/, '')),
  'must be origins, comma-separated, e.g. https://temporal-ui.example.com,http://localhost:8233',
);

/** JWS algorithms with a public key: the only ones a bearer JWT may be signed with. */
export const ASYMMETRIC_JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const DEVELOPMENT_WEBHOOK_SECRET = 'development-webhook-secret';

/**
 * The task queue the worker polls and the API starts cases on when TEMPORAL_TASK_QUEUE is unset.
 * It is a deployment setting, not part of the workflow's contract, so it is defined here: config/
 * sits below every other layer and imports none of them.
 */
export const DEFAULT_TASK_QUEUE = 'cases';

/** Where `npm run worker` (and the image) serves its health and metrics unless WORKER_PORT says otherwise. */
export const DEFAULT_WORKER_PORT = 3001;

/** Frames kept in stack traces taken in workflow code, unless WORKFLOW_STACK_FRAMES says otherwise. */
export const DEFAULT_WORKFLOW_STACK_FRAMES = 0;

/** Every environment variable the service reads; documented in README "Configuration". */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Where the API listens. Unset: `npm start` binds to 127.0.0.1 (it prints an admin token, so it
   * stays on this machine), `npm run api` to 0.0.0.0 (a container must be reachable).
   */
  HOST: optionalString.refine((v) => v === undefined || isHost(v), 'must be an IP address or a host name, e.g. 0.0.0.0 or 127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: httpUrl,
  /** A console prebuilt by `npm run build:console` (the image has one); unset: built in memory on first use. */
  CONSOLE_DIST: optionalString,
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/, message: 'must be a postgres:// URL, e.g. postgres://user:pass@db:5432/cases' }).optional()),
  DATA_DIR: z.string().default('.data'),
  /** A Temporal frontend (host:port). Unset: 127.0.0.1:7233, and `npm start` runs its own dev server. */
  TEMPORAL_ADDRESS: hostPort,
  TEMPORAL_NAMESPACE: z.string().trim().min(1).max(200).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).max(200).default(DEFAULT_TASK_QUEUE),
  TEMPORAL_CLI: optionalString,

  // Connecting to a secured cluster (Temporal Cloud, a self-hosted cluster with TLS).
  /** TLS to the Temporal frontend. Unset: on when a certificate, CA, server name or API key is configured. */
  TEMPORAL_TLS: flag,
  /** Client certificate and its private key (PEM files) for mTLS; they come together. */
  TEMPORAL_TLS_CERT: readableFile,
  TEMPORAL_TLS_KEY: readableFile,
  /** The CA that signed the server's certificate (PEM file). Unset: the system's trusted CAs. */
  TEMPORAL_TLS_CA: readableFile,
  /** The name the server's certificate must carry, when it differs from the host of TEMPORAL_ADDRESS. */
  TEMPORAL_TLS_SERVER_NAME: optionalString.refine((v) => v === undefined || isHost(v), 'must be a host name, e.g. temporal.internal'),
  /** A Temporal Cloud API key, sent as `Authorization: Bearer …` on every call. */
  TEMPORAL_API_KEY: optionalString,

  // Payload encryption (every workflow input, result, signal, update, query, memo and summary).
  /** Keys payloads may be encrypted with: `<id>:<base64 of 32 bytes>`, comma-separated. Required in production. */
  PAYLOAD_KEYS: payloadKeys,
  /** The id of the key that encrypts new payloads. Unset: the only key of PAYLOAD_KEYS. */
  PAYLOAD_KEY_ID: optionalString,
  /** Origins (the Temporal UI's) allowed to call the codec endpoints `/codec/encode` and `/codec/decode` from a browser. */
  CODEC_CORS_ORIGINS: origins,
  /** `npm start` only: the dev server's gRPC port when TEMPORAL_ADDRESS is not set. */
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  BODY_LIMIT: size('1mb', 100 * 1024 * 1024),
  /** How long a closed or cancelled case stays reopenable before its workflow completes. */
  CASE_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
  /**
   * How long a case waits for the API to write a command's events to the read model before it
   * writes them itself: the read-model lag of a command whose API process died between its answer
   * and its write. A write that fails is reported to the case at once instead. Set per case at its
   * start. Shorter costs a workflow task and an activity per case after each burst of commands.
   */
  PROJECTION_GRACE_MS: z.coerce.number().int().min(100).max(24 * 3600 * 1000).default(300_000),
  /**
   * How long a command's answer waits in the API for more answers of its case before they are
   * written to the read model as one statement: read-model lag traded for one write per busy case
   * per window instead of one per command (api/answer-batches.ts).
   */
  ANSWER_WRITE_WINDOW_MS: z.coerce.number().int().min(0).max(1_000).default(40),
  /**
   * How often, at most, a case upserts its search attributes (stage, status, owner, due date) while
   * they keep changing: the first change after a quiet spell is upserted at once, later ones once
   * this has passed. Each upsert is a visibility write that the case's next command waits behind.
   * Set per case at its start; 0 upserts every change at once.
   */
  SEARCH_ATTRIBUTES_EVERY_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),

  /** Resend API key; unset, e-mail goes to the `emails` table only (the development outbox, `GET /v1/outbox`). */
  RESEND_API_KEY: optionalString,
  /** Resend's API base URL (the SDK reads it too); tests point it at a local fake. */
  RESEND_BASE_URL: httpUrl,
  EMAIL_FROM: mailbox.default('Case Orchestrator <cases@example.com>'),
  /** Hosts automation webhooks may call, comma-separated (`*.example.com` matches subdomains); empty: none. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
    .refine(
      (hosts) => hosts.every((h) => /^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(h) || isHost(h.replace(/^\*\./, '').replace(/:\d{1,5}$/, ''))),
      'must be hosts, comma-separated: hooks.example.com, 127.0.0.1:8080, [::1] or *.example.com for subdomains',
    ),
  /** HMAC-SHA256 key signing webhook payloads (header `X-Case-Signature`). */
  WEBHOOK_SECRET: z.string().min(8).default(DEVELOPMENT_WEBHOOK_SECRET),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(10000),
  /** Cron expression of the daily owner digest (a Temporal Schedule created at worker start). */
  DIGEST_SCHEDULE: cron.default('0 8 * * *'),
  DIGEST_TIMEZONE: timeZone.default('UTC'),
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

  // Secrets and credentials.
  /** Default lifetime of a new API token (POST /v1/tokens, `npm run tokens`, the dev token) when none is given; 0: never expires. */
  API_TOKEN_TTL_DAYS: z.coerce.number().min(0).max(3650).default(90),
  /** Bearer token Prometheus sends to `/metrics` on the API port (admins' API tokens work too). */
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'use at least 16 characters').optional()),
  /** Serve `/metrics` on its own port (no token, same HOST) instead of the API port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),

  // Tracing: OpenTelemetry spans over OTLP/HTTP. Off (and costing nothing) unless the endpoint is set.
  /** The OTLP/HTTP collector's base URL (spans go to `<url>/v1/traces`), as the OpenTelemetry variable of that name. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl,
  /** `service.name` of the spans this process exports. */
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(200).default('case-orchestrator'),

  // Single sign-on: OIDC/JWT bearer tokens besides API tokens. Off unless OIDC_ISSUER is set.
  /** The identity provider's issuer URL, exactly as in its tokens' `iss`. */
  OIDC_ISSUER: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Accepted `aud` values, comma-separated (a token must name one of them). Required with OIDC_ISSUER. */
  OIDC_AUDIENCE: commaList,
  /** The issuer's JWKS. Unset: `jwks_uri` from `<issuer>/.well-known/openid-configuration`. */
  OIDC_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Signature algorithms accepted, comma-separated; asymmetric only (never `none` or HS*). */
  OIDC_ALGORITHMS: commaList
    .transform((list) => (list.length > 0 ? list : [...ASYMMETRIC_JWT_ALGORITHMS]))
    .pipe(z.array(z.enum(ASYMMETRIC_JWT_ALGORITHMS, { message: `must be asymmetric: ${ASYMMETRIC_JWT_ALGORITHMS.join(', ')}` }))),
  /** The console's client id at the identity provider (a public client, Authorization Code + PKCE); enables "Sign in with single sign-on". */
  OIDC_CONSOLE_CLIENT_ID: optionalString,
  OIDC_CONSOLE_SCOPES: z.string().trim().min(1).max(500).default('openid profile email'),
  /** Claims (a name, or a dotted path such as `realm_access.roles`) that give the actor's id, name, e-mail and roles. */
  OIDC_CLAIM_ID: z.string().trim().min(1).max(200).default('sub'),
  OIDC_CLAIM_NAME: z.string().trim().min(1).max(200).default('name'),
  OIDC_CLAIM_EMAIL: z.string().trim().min(1).max(200).default('email'),
  OIDC_CLAIM_ROLES: z.string().trim().min(1).max(200).default('roles'),
  /** Leeway for `exp` and `nbf` against clock skew between the identity provider and this API. */
  OIDC_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
  /** After fetching the JWKS, a token with an unknown `kid` refetches it at most this often (key rotation without flooding the provider). */
  OIDC_JWKS_COOLDOWN_S: z.coerce.number().int().min(0).max(3600).default(30),

  // Rate limits (per actor on /v1, per client address for failed authentication); 0 turns a limit off.
  /** Length of the fixed window every limit below counts in. */
  RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(3600).default(60),
  /** Requests per window and actor on /v1, except the budgets below; counted per API process. */
  RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(12_000),
  /** Case starts (`POST /v1/cases`) per window and actor. */
  RATE_LIMIT_STARTS: z.coerce.number().int().min(0).max(1_000_000).default(1_200),
  /** Document uploads and generations (`POST /v1/cases/:id/documents/:slot`, `…/generate-document`, portal uploads per link) per window. */
  RATE_LIMIT_UPLOADS: z.coerce.number().int().min(0).max(1_000_000).default(300),
  /** Template publishes (`POST /v1/templates`) per window and actor. */
  RATE_LIMIT_PUBLISHES: z.coerce.number().int().min(0).max(1_000_000).default(60),
  /** Failed authentications per window and client address; beyond it every credential from that address gets 429. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(30),
  /** Where the counts of starts, uploads, publishes and failed logins live: `postgres` (shared by every API replica) or `memory` (per process). */
  RATE_LIMIT_STORE: z.enum(['postgres', 'memory']).default('postgres'),

  // Worker memory.
  /** Case workflows kept in the worker's cache; others are evicted and replayed on their next task. Default: from the heap limit. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).optional(),
  /** Threads that run workflow code (the SDK's workflowThreadPoolSize). Default: 2, or 1 on a single core (worker/create-worker.ts). */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * Frames kept in stack traces taken in workflow code (workflows/sandbox-stack-frames.ts): 0, the
   * default, spares ~1 ms of worker CPU per command; 10 (V8's default) shows where a failing workflow
   * task failed and fills the Temporal UI's Stack Trace tab. Set when the workflows are bundled (at
   * the worker's start, or `npm run build:workflows` for a prebuilt bundle) and where the worker runs:
   * above 0 it installs the SDK's promise stack hook in its workflow threads (worker/workflow-threads.ts).
   */
  WORKFLOW_STACK_FRAMES: z.coerce.number().int().min(0).max(100).default(DEFAULT_WORKFLOW_STACK_FRAMES),

  // Worker operations.
  /**
   * Where the worker serves `/healthz`, `/readyz` and `/metrics` (its business metrics and the
   * Temporal SDK's), on HOST. Unset: 3001 under `npm run worker`, any free port under `npm start`.
   */
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * A workflow bundle prebuilt by `npm run build:workflows` (the image has one): the worker loads
   * it instead of bundling the workflow code at start. Unset: bundled at start (development).
   */
  WORKFLOW_BUNDLE: optionalString,
});

export type Config = z.infer<typeof envSchema> & { dataDir: string };

/** The Temporal UI of `npm start`'s dev server, under either name a person may type. */
const devUiOrigins = (uiPort: number) => [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];

/** Parses the environment once, failing fast with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema
    .refine((c) => c.NODE_ENV !== 'production' || c.WEBHOOK_SECRET !== DEVELOPMENT_WEBHOOK_SECRET, {
      path: ['WEBHOOK_SECRET'],
      message: 'set your own secret in production (the default is public)',
    })
    .refine((c) => c.NODE_ENV !== 'production' || [c.OIDC_ISSUER, c.OIDC_JWKS_URL].every((url) => !url || url.startsWith('https://')), {
      path: ['OIDC_ISSUER'],
      message: 'use https in production: keys fetched over http could be replaced on the way',
    })
    .refine((c) => !c.OIDC_ISSUER || c.OIDC_AUDIENCE.length > 0, {
      path: ['OIDC_AUDIENCE'],
      message: 'required with OIDC_ISSUER: the audience tokens must be issued for (this API)',
    })
    .refine((c) => c.METRICS_PORT === undefined || c.METRICS_PORT === 0 || c.METRICS_PORT !== c.PORT, {
      path: ['METRICS_PORT'],
      message: 'must differ from PORT',
    })
    .refine((c) => !c.WORKER_PORT || (c.WORKER_PORT !== c.PORT && c.WORKER_PORT !== c.METRICS_PORT), {
      path: ['WORKER_PORT'],
      message: 'must differ from PORT and METRICS_PORT (npm start runs the API and the worker in one process)',
    })
    // Cases hold salaries, names and e-mails: production never writes them to Temporal in clear.
    .refine((c) => c.NODE_ENV !== 'production' || c.PAYLOAD_KEYS.length > 0, {
      path: ['PAYLOAD_KEYS'],
      message: 'required in production: <id>:<base64 of 32 bytes> (generate one with `openssl rand -base64 32`); payloads would otherwise reach Temporal unencrypted',
    })
    .refine((c) => c.PAYLOAD_KEY_ID === undefined || c.PAYLOAD_KEYS.some((k) => k.id === c.PAYLOAD_KEY_ID), {
      path: ['PAYLOAD_KEY_ID'],
      message: 'must be the id of one of PAYLOAD_KEYS',
    })
    .refine((c) => c.PAYLOAD_KEY_ID !== undefined || c.PAYLOAD_KEYS.length <= 1, {
      path: ['PAYLOAD_KEY_ID'],
      message: 'required when PAYLOAD_KEYS lists more than one key: the id of the key that encrypts new payloads',
    })
    .refine((c) => (c.TEMPORAL_TLS_CERT === undefined) === (c.TEMPORAL_TLS_KEY === undefined), {
      path: ['TEMPORAL_TLS_KEY'],
      message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY come together (the client certificate and its private key)',
    })
    .refine((c) => c.TEMPORAL_TLS !== false || [c.TEMPORAL_TLS_CERT, c.TEMPORAL_TLS_CA, c.TEMPORAL_TLS_SERVER_NAME].every((v) => v === undefined), {
      path: ['TEMPORAL_TLS'],
      message: 'is false, but TEMPORAL_TLS_CERT, TEMPORAL_TLS_CA or TEMPORAL_TLS_SERVER_NAME is set: they need TLS',
    })
    .safeParse(env);
  if (!parsed.success) {
    // One message naming every bad variable and what was wrong, so one fix round is enough.
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration (${new Set(parsed.error.issues.map((i) => i.path[0])).size} variable(s)):\n${problems}`);
  }
  const c = parsed.data;
  // Outside production the dev server's UI may decode payloads (`npm start` wires it to /codec).
  const codecOrigins = c.CODEC_CORS_ORIGINS.length > 0 || c.NODE_ENV === 'production' ? c.CODEC_CORS_ORIGINS : devUiOrigins(c.TEMPORAL_UI_PORT);
  return { ...c, CODEC_CORS_ORIGINS: codecOrigins, PAYLOAD_KEY_ID: c.PAYLOAD_KEY_ID ?? c.PAYLOAD_KEYS[0]?.id, dataDir: path.resolve(c.DATA_DIR) };
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export function caseRetentionMs(config: Pick<Config, 'CASE_RETENTION_DAYS'>): number {
  return Math.round(config.CASE_RETENTION_DAYS * 24 * 3600 * 1000);
}

export function temporalAddress(config: Pick<Config, 'TEMPORAL_ADDRESS'>): string {
  return config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
}
