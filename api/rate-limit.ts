import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit, type Options, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import { safeError } from '../config/logger';
import type { Database } from '../db/connection';
import { deleteStaleCounters, hitCounter, resetCounter, unhitCounter } from '../db/rate-limits';
import { hashToken } from '../db/tokens';
import type { Actor } from '../domain/actor';
import { Problem } from './errors';
import { renderMessagePage } from './portal/pages';

/**
 * Rate limits: every /v1 request counts against one budget of its actor (a token's or a JWT's
 * subject) — `api`, or a stricter one for what is expensive (starts, uploads, publishes) — in
 * fixed windows of RATE_LIMIT_WINDOW_S. Answers carry the IETF draft-8 `RateLimit` and
 * `RateLimit-Policy` headers (named after the budget); past the budget `429 too_many_requests`
 * with `Retry-After`. Failed authentication is limited per client address (AuthFailureLimit).
 * The budgets of expensive endpoints and of failed logins count in PostgreSQL
 * (`rate_limit_counters`), shared by every replica (one upsert, ~1.5 ms, on requests that cost far
 * more; a large budget is counted in leases of several hits, see `leaseSize`);
 * RATE_LIMIT_STORE=memory keeps them per process. The general `api` budget counts per process: it
 * guards each process against one runaway client, for which N replicas allowing N times the
 * budget is fine, and an upsert on every cheap read would double its cost.
 */

export type RateClass = 'api' | 'starts' | 'uploads' | 'publishes';

/** The expensive endpoints, by method and path as the routes declare them; everything else is `api`. */
const EXPENSIVE: ReadonlyArray<{ method: string; path: string; rateClass: RateClass }> = [
  { method: 'post', path: '/v1/cases', rateClass: 'starts' },
  { method: 'post', path: '/v1/cases/:id/documents/:slot', rateClass: 'uploads' },
  // Renders a PDF and stores it as a new version: as costly as an upload.
  { method: 'post', path: '/v1/cases/:id/generate-document', rateClass: 'uploads' },
  { method: 'post', path: '/v1/templates', rateClass: 'publishes' },
];

export function rateClassOf(method: string, path: string): RateClass {
  const lower = method.toLowerCase();
  return EXPENSIVE.find((e) => e.method === lower && e.path === path)?.rateClass ?? 'api';
}

/** How long a count may take before the request goes on uncounted (a database that hangs must not hang the API). */
const STORE_TIMEOUT_MS = 2_000;
/** After a failed count, requests go on uncounted this long without asking the database (no 2 s wait on each while it is down). */
const STORE_BACKOFF_MS = 5_000;
/** How often a store deletes the rows of clients whose windows are long over. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Hits a process takes from the shared count at once for a budget of `limit` per window: one in
 * fifty, at most 10 (1 for budgets under 100). The leased hits count as used for every replica, so
 * a client may be refused up to (lease − 1) × (replicas − 1) requests early, never let past its
 * budget; 1,200 starts a minute cost one upsert per 10 starts instead of one each.
 */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(10, Math.floor(limit / 50)));
}

/** Hits of the current window this process has counted in the database and not yet spent. */
interface Lease {
  /** The key's count in the database when the lease was taken (the lease included). */
  counted: number;
  unspent: number;
  resetAt: number;
}

function spend(lease: Lease): { totalHits: number; resetTime: Date } {
  lease.unspent--;
  return { totalHits: lease.counted - lease.unspent, resetTime: new Date(lease.resetAt) };
}

/**
 * An express-rate-limit store over `rate_limit_counters` (postgres.js or PGlite): one upsert per
 * hit, or per `leaseSize` hits, which this process then spends on its own until the window ends.
 */
export class PostgresRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private lastSweep = Date.now();
  private failingUntil = 0;
  private readonly leases = new Map<string, Lease>();
  /** Leases being taken, so a burst on one key waits for one upsert instead of sending many. */
  private readonly taking = new Map<string, Promise<Lease>>();

  constructor(
    private readonly db: Database,
    readonly prefix: string,
    private readonly log?: Logger,
    private readonly lease = 1,
  ) {}

  init(options: Pick<Options, 'windowMs'>): void {
    this.windowMs = options.windowMs;
  }

  /** Throws when the database does not count in time: express-rate-limit then lets the request through (passOnStoreError). */
  async increment(key: string): Promise<{ totalHits: number; resetTime: Date }> {
    const held = this.leases.get(key);
    if (held && held.unspent > 0 && Date.now() < held.resetAt) return spend(held);
    for (;;) {
      // A lease just taken is spent even if its window ends within the millisecond; a burst that
      // shares one may drain it, and then takes the next.
      const lease = await (this.taking.get(key) ?? this.takeLease(key));
      if (lease.unspent > 0) return spend(lease);
    }
  }

  private takeLease(key: string): Promise<Lease> {
    const taking = this.count(key).finally(() => this.taking.delete(key));
    this.taking.set(key, taking);
    return taking;
  }

  private async count(key: string): Promise<Lease> {
    if (Date.now() < this.failingUntil) throw new Error('the rate-limit store failed moments ago; not counting for now');
    try {
      const hit = await withDeadline(hitCounter(this.db, this.prefix + key, this.windowMs, this.lease), STORE_TIMEOUT_MS);
      this.sweepSometimes();
      const lease = { counted: hit.hits, unspent: this.lease, resetAt: Date.now() + hit.resetInMs };
      // A lease of one is spent at once: nothing to keep (failed logins come from any number of addresses).
      if (this.lease > 1) this.leases.set(key, lease);
      return lease;
    } catch (err) {
      this.failingUntil = Date.now() + STORE_BACKOFF_MS;
      throw err;
    }
  }

  /** A hit taken back goes back to the lease it came from, if that is still this window's. */
  async decrement(key: string): Promise<void> {
    const lease = this.leases.get(key);
    if (lease && Date.now() < lease.resetAt && lease.unspent < this.lease) {
      lease.unspent++;
      return;
    }
    await unhitCounter(this.db, this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    this.leases.delete(key);
    await resetCounter(this.db, this.prefix + key);
  }

  /** Off the request's path: a failed sweep is retried at the next interval. */
  private sweepSometimes(): void {
    if (Date.now() - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = Date.now();
    for (const [key, lease] of this.leases) if (lease.resetAt <= this.lastSweep) this.leases.delete(key);
    deleteStaleCounters(this.db, this.prefix, this.windowMs).catch((err: unknown) => this.log?.warn({ err: safeError(err), prefix: this.prefix }, 'rate-limit sweep failed'));
  }
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the rate-limit store did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Settings = Pick<Config, 'RATE_LIMIT_WINDOW_S' | 'RATE_LIMIT' | 'RATE_LIMIT_STARTS' | 'RATE_LIMIT_UPLOADS' | 'RATE_LIMIT_PUBLISHES' | 'AUTH_FAILURE_LIMIT' | 'RATE_LIMIT_STORE'>;

const budgetOf = (config: Settings): Record<RateClass, number> => ({
  api: config.RATE_LIMIT,
  starts: config.RATE_LIMIT_STARTS,
  uploads: config.RATE_LIMIT_UPLOADS,
  publishes: config.RATE_LIMIT_PUBLISHES,
});

/** Seconds until `resetTime`, at least 1. */
const secondsUntil = (resetTime: Date | undefined, windowMs: number) => Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));

/** A store failure lets the request through uncounted (the limits protect the API; they must not take it down): logged at most every 10 s. */
function storeLogger(log: Logger): Options['logger'] {
  let last = 0;
  const report = (level: 'error' | 'warn') => (error: unknown, message?: string) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    log[level]({ err: safeError(error) }, message ?? 'rate limiter');
  };
  return { error: report('error'), warn: report('warn') };
}

/** A budget's store; `lease`: hits counted in the database at once (1: each, as failed logins are). */
function storeFor(deps: { db: Database; config: Settings; log: Logger }, prefix: string, lease = 1): Store {
  return deps.config.RATE_LIMIT_STORE === 'memory' ? new MemoryStore() : new PostgresRateLimitStore(deps.db, prefix, deps.log, lease);
}

/** The client address as a key: IPv6 addresses by their /56, as one host usually holds a whole prefix. */
export const clientAddress = (req: Request): string => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

/**
 * Failed authentication per client address: each failure is one hit on `auth-failure:<address>`
 * (shared); once an address is past AUTH_FAILURE_LIMIT in a window, this process answers its
 * credentials with 429 until the window ends, without looking them up — a flood of wrong tokens
 * costs one upsert per failure until the budget is spent, then nothing.
 */
export class AuthFailureLimit {
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly store: Store,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    void store.init?.({ windowMs } as Options);
  }

  /** Seconds the address must wait, when this process knows it is over its budget. */
  retryAfter(address: string): number | undefined {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return undefined;
    if (until <= Date.now()) {
      this.blockedUntil.delete(address);
      return undefined;
    }
    return Math.max(1, Math.ceil((until - Date.now()) / 1000));
  }

  /** Counts a failure; the seconds to wait when the address is now over its budget. */
  async failed(address: string): Promise<number | undefined> {
    const { totalHits, resetTime } = await this.store.increment(address);
    if (totalHits <= this.limit) return undefined;
    const until = resetTime?.getTime() ?? Date.now() + this.windowMs;
    this.forgetExpired();
    this.blockedUntil.set(address, until);
    return Math.max(1, Math.ceil((until - Date.now()) / 1000));
  }

  private forgetExpired(): void {
    if (this.blockedUntil.size < 10_000) return;
    const now = Date.now();
    for (const [address, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(address);
  }
}

export interface RateLimits {
  /** The limiter for a route (by its declared method and path), or undefined when its budget is off. */
  forRoute(method: string, path: string): RequestHandler | undefined;
  /** Counts portal uploads per magic link (`uploads` budget); a no-op for every other portal request. */
  portalUploads: RequestHandler;
  /** Undefined when AUTH_FAILURE_LIMIT is 0. */
  authFailures: AuthFailureLimit | undefined;
}

/** Runs an Express middleware inside a handler: resolves when it calls next(), rejects with what it passes to next. */
export function runMiddleware(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const next: NextFunction = (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve());
    Promise.resolve(middleware(req, res, next)).catch(reject);
  });
}

const PORTAL_UPLOAD = /^\/([^/]+)\/documents\/[^/]+\/?$/;

/** The raw token segment of a portal upload (`POST /portal/<token>/documents/<slot>`, mounted at /portal). */
function portalUploadToken(req: Request): string | undefined {
  if (req.method !== 'POST') return undefined;
  return PORTAL_UPLOAD.exec(req.path)?.[1];
}

/** The rate limits of one app: one limiter (and store) per budget. */
export function createRateLimits(deps: { db: Database; config: Settings; log: Logger }): RateLimits {
  const { config, log } = deps;
  const windowMs = config.RATE_LIMIT_WINDOW_S * 1000;
  const budgets = budgetOf(config);
  const logger = storeLogger(log);
  const common = {
    windowMs,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    logger,
    // Keys are actors, not addresses; the app's `trust proxy` is the operator's choice (TRUST_PROXY).
    validate: { trustProxy: false },
  } as const;

  const limiters = new Map<RateClass, RequestHandler>();
  for (const rateClass of Object.keys(budgets) as RateClass[]) {
    const limit = budgets[rateClass];
    if (limit === 0) continue;
    limiters.set(
      rateClass,
      rateLimit({
        ...common,
        limit,
        identifier: rateClass,
        // The general budget per process (see above); the expensive ones shared.
        store: rateClass === 'api' ? new MemoryStore() : storeFor(deps, `${rateClass}:`, leaseSize(limit)),
        keyGenerator: (req, res) => {
          const actor = res.locals.actor as Actor | undefined;
          return actor ? `actor:${actor.id}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
        },
        handler: (req, _res, next) => {
          const wait = secondsUntil((req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime, windowMs);
          next(
            new Problem('too_many_requests', `You have used your ${limit} ${rateClass === 'api' ? 'requests' : rateClass} per ${config.RATE_LIMIT_WINDOW_S} s; retry in ${wait} s`, {
              budget: rateClass,
              retryAfter: wait,
            }),
          );
        },
      }),
    );
  }

  const uploads = budgets.uploads;
  const portalUploads: RequestHandler =
    uploads === 0
      ? (_req, _res, next) => next()
      : rateLimit({
          ...common,
          limit: uploads,
          identifier: 'uploads',
          store: storeFor(deps, 'uploads:', leaseSize(uploads)),
          skip: (req) => portalUploadToken(req) === undefined,
          // Per link (the portal's actor); the key holds a hash, never the token.
          keyGenerator: (req) => `link:${hashToken(portalUploadToken(req) ?? '').slice(0, 32)}`,
          handler: (req, res) => {
            req.resume();
            res
              .status(429)
              .set({
                'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
                'Referrer-Policy': 'no-referrer',
                'Cache-Control': 'no-store',
              })
              .type('html')
              .send(renderMessagePage('Too many uploads', 'Please wait a minute and try again.'));
          },
        });

  const authFailures = config.AUTH_FAILURE_LIMIT === 0 ? undefined : new AuthFailureLimit(storeFor(deps, 'auth-failure:'), config.AUTH_FAILURE_LIMIT, windowMs);
  return { forRoute: (method, path) => limiters.get(rateClassOf(method, path)), portalUploads, authFailures };
}
