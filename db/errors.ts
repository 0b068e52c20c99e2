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
