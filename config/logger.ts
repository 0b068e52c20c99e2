import pino, { type DestinationStream, type Logger } from 'pino';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Config } from './env';
import { currentLogContext } from './log-context';

/**
 * Secrets never reach a log line. Structured redaction (request URLs, query strings, credential
 * headers: api/app.ts) removes what can only be recognised by where it is; this module removes
 * what can be recognised by its form, wherever it turns up — a message, an error, SQL parameters
 * a driver put into an error, a header nobody thought of: API tokens (`cot_…`), portal magic-link
 * tokens (`cpt_…`), the dev codec link (`ccl_…`), JWTs, `Bearer …` and credential-named URL parameters. Every line of the
 * service's loggers passes through `redactSecrets` before it is written.
 */

/** Query-string parameters that carry credentials by convention (OAuth, API keys, signed links). */
export const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set([
  'access_token',
  'id_token',
  'refresh_token',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'code',
  'auth',
  'authorization',
  'bearer',
  'jwt',
  'password',
  'secret',
  'client_secret',
  'session',
  'sessionid',
  'sig',
  'signature',
]);

export const isCredentialParam = (name: string): boolean => CREDENTIAL_PARAMS.has(name.toLowerCase());

/** Headers that are not credentials although their names look like one. */
const HARMLESS_HEADERS = new Set(['idempotency-key', 'sec-websocket-key', 'x-case-delivery', 'access-control-request-headers']);

/** `authorization`, `cookie` and any header whose name says it carries a key, token, secret, session or signature. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  if (HARMLESS_HEADERS.has(lower)) return false;
  if (['authorization', 'proxy-authorization', 'cookie', 'set-cookie'].includes(lower)) return true;
  return /(^|[-_])(api-?key|key|token|auth|secret|session|password|passwd|credentials?|signature|jwt|bearer|csrf|xsrf)($|[-_])/.test(lower);
}

const API_TOKEN = /\bcot_[A-Za-z0-9_-]+/g;
const PORTAL_TOKEN = /\bcpt_[A-Za-z0-9_-]+/g;
/** The secret of `npm start`'s Temporal UI codec link (`/codec/link/ccl_…/decode`). */
const CODEC_LINK = /\bccl_[A-Za-z0-9_-]+/g;
/** A JWS in compact form: the protected header is a JSON object, so its base64url starts `ey` (`{"`, `{ `) or `ew` (`{\n`). */
const JWT = /\be[wy][A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer)\s+[^\s"',;]+/gi;
const URL_PARAM = /([?&;])([A-Za-z_-]+)=([^&#\s"'<>]*)/g;

/** The forms without the global flag: `test` then keeps no state between calls (and none is compiled per call). */
const CREDENTIAL_FORMS = [API_TOKEN, PORTAL_TOKEN, CODEC_LINK, JWT].map((form) => new RegExp(form.source));

/** Whether a value looks like one of our credentials or a JWT (wherever it was sent). */
export function looksLikeCredential(value: string): boolean {
  return CREDENTIAL_FORMS.some((form) => form.test(value));
}

/** `text` with every credential recognisable by its form replaced by a marker. */
export function redactSecrets(text: string): string {
  return text
    .replace(API_TOKEN, 'cot_[redacted]')
    .replace(PORTAL_TOKEN, 'cpt_[redacted]')
    .replace(CODEC_LINK, 'ccl_[redacted]')
    .replace(JWT, '[redacted JWT]')
    .replace(BEARER, '$1 [redacted]')
    .replace(URL_PARAM, (all, sep: string, name: string) => (isCredentialParam(name) ? `${sep}${name}=[redacted]` : all));
}

/** Portal magic-link tokens only: what e-mails keep of a link once it was sent. */
export function redactPortalTokens(text: string): string {
  return text.replace(PORTAL_TOKEN, 'cpt_[redacted]');
}

/**
 * An error safe to log, throw on or store: drizzle's `DrizzleQueryError` carries the query's
 * parameters in its message (an e-mail row's HTML with a magic link, a token hash), and the
 * driver's error in its `cause` carries values in `detail` ("Failing row contains (…)"). Kept:
 * the name, a message without values, the SQLSTATE or system `code` (so db/errors.ts still
 * classifies it), the constraint/table/column names and the stack frames.
 */
export class SanitizedError extends Error {
  override readonly name: string;
  readonly code?: string;
  readonly constraint?: string;

  constructor(original: unknown) {
    const { name, message, code, constraint, frames } = describe(original);
    super(message);
    this.name = name;
    if (code !== undefined) this.code = code;
    if (constraint !== undefined) this.constraint = constraint;
    this.stack = [`${name}: ${message}`, ...frames].join('\n');
  }
}

/** `err` as a `SanitizedError` (errors already sanitized are returned as they are). */
export function safeError(err: unknown): SanitizedError {
  return err instanceof SanitizedError ? err : new SanitizedError(err);
}

interface Described {
  name: string;
  message: string;
  code?: string;
  constraint?: string;
  frames: string[];
}

const clipText = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function describe(original: unknown): Described {
  if (!(original instanceof Error)) return { name: 'Error', message: clipText(redactSecrets(String(original)), 500), frames: [] };
  const frames = (original.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const { query } = original as Error & { query?: unknown };
  const isQueryError = typeof query === 'string';
  // The driver's error (a postgres.js PostgresError, a PGlite DatabaseError, a system error) is the
  // query error's cause; its message names what failed, not the values (those are in `detail`, dropped).
  const driver = (isQueryError ? (original.cause instanceof Error ? original.cause : undefined) : original) as
    | (Error & { code?: unknown; constraint_name?: unknown; constraint?: unknown; table_name?: unknown; table?: unknown })
    | undefined;
  const code = typeof driver?.code === 'string' ? driver.code : undefined;
  const constraint = [driver?.constraint_name, driver?.constraint].find((c): c is string => typeof c === 'string');
  const table = [driver?.table_name, driver?.table].find((t): t is string => typeof t === 'string');
  const what = driver?.message ?? 'database query failed';
  const statement = isQueryError ? ` (${clipText(query.replace(/\s+/g, ' '), 120)})` : '';
  return {
    name: isQueryError ? 'DatabaseQueryError' : original.name,
    message: clipText(redactSecrets(`${what}${table ? ` [table ${table}]` : ''}${statement}`), 500),
    ...(code !== undefined ? { code } : {}),
    ...(constraint !== undefined ? { constraint } : {}),
    frames,
  };
}

/** A destination that writes every line with its secrets redacted. */
export function redactingStream(destination: DestinationStream): DestinationStream {
  const target = destination as DestinationStream & { flushSync?: () => void };
  const stream: DestinationStream & { flushSync?: () => void } = { write: (line: string) => target.write(redactSecrets(line)) };
  if (typeof target.flushSync === 'function') stream.flushSync = () => target.flushSync?.();
  return stream;
}

/**
 * Adds the request id of the request (or activity) being served to a line that does not carry one
 * already: a line of pino-http's request logger has it among its bindings, one logged with it has
 * it in its object.
 */
function requestIdMixin(object: object, _level: number, logger: Logger): object {
  const context = currentLogContext();
  if (!context || 'requestId' in object) return {};
  const bindings = (logger as unknown as Record<symbol, string | undefined>)[pino.symbols.chindingsSym];
  return bindings?.includes('"requestId":') ? {} : { requestId: context.requestId };
}

/** JSON logs; the level comes from LOG_LEVEL; secrets redacted from every line; the request id on every line written for a request. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name = 'cases', destination: DestinationStream = pino.destination(1)): Logger {
  return pino({ name, level: config.LOG_LEVEL, mixin: requestIdMixin }, redactingStream(destination));
}

const pinoLevels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's metadata as a pino object: its errors under `err`, so pino serializes them (message, stack). */
function temporalMeta(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'error' && value instanceof Error && meta.err === undefined) out.err = value;
    else out[key] = value;
  }
  return out;
}

/**
 * The Temporal SDK's own logger (worker lifecycle, workflow `log` calls, the core's forwarded
 * lines) writing through `log`: the same JSON lines as the API's, at the same LOG_LEVEL, secrets
 * redacted. A workflow's lines carry its ids (`workflowId`, `runId`, `workflowType`) and the
 * request id of the message being handled (workflows/interceptors.ts).
 */
export function createTemporalLogger(log: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    log[pinoLevels[level] ?? 'info'](temporalMeta(meta), message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
