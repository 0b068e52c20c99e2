/**
 * SQLSTATE of a database error, whichever driver raised it. drizzle wraps driver errors in
 * `DrizzleQueryError` (the driver's error is its `cause`), so walk the cause chain.
 */
export function pgErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    // Five characters, but not a Node.js system error such as EPIPE.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^E[A-Z]{4}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * True for errors a retry cannot fix: the data itself is rejected (class 22, data exception;
 * class 23, integrity violation). Connection, lock and server errors stay retryable.
 */
export function isPermanentDataError(err: unknown): boolean {
  const code = pgErrorCode(err);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/** Node.js socket errors and postgres.js's own codes for a connection that failed or broke. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * True when the database could not be reached or dropped the connection — as opposed to refusing
 * the query: a socket error, a postgres.js connection error, or SQLSTATE class 08 (connection
 * exception), 57P01-57P03 (the server shutting down or starting up) or 53300 (too many connections).
 * The API answers these with 503 and Retry-After.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  const sqlState = pgErrorCode(err);
  return sqlState !== undefined && (sqlState.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(sqlState));
}
