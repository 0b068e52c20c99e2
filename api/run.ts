import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import { temporalConnectionOptions, type TemporalConnectionConfig } from '../temporal/connection-options';
import { startTracing } from '../startup/tracing';
import { createAppFromConfig, metricsApp } from './app';
import type { Lifecycle } from './deps';
import { listen } from './server';
import { temporalRetryInterceptor } from './temporal-retry';

/**
 * A Temporal client connection that fails fast: the SDK's default retries an unreachable server
 * ten times (17-37 s measured) before a request could answer; here a few quick attempts, and each
 * call carries its own deadline (api/case-client.ts), so a request answers 503 within seconds.
 */
export function connectTemporalClient(config: TemporalConnectionConfig, address: string): Promise<Connection> {
  return Connection.connect({ ...temporalConnectionOptions(config, address), interceptors: [temporalRetryInterceptor()] });
}

export interface RunningApi {
  url: string;
  /** Where `/metrics` is served when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Fails readiness, stops accepting, drains requests for up to `graceMs`, then closes the Temporal client. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The API service as every run mode starts it (`npm start`, `npm run api`). It listens on HOST,
 * else on `defaultHost` (0.0.0.0: a container must be reachable; `npm start` passes 127.0.0.1).
 * With METRICS_PORT, `/metrics` is served there (same host) and not on the API port.
 */
export async function runApi(opts: {
  config: Config;
  log: Logger;
  db: Database;
  temporalAddress: string;
  defaultHost?: string;
  /** `npm start` only: the secret of the Temporal UI's codec link (api/routes/codec.ts). */
  codecLink?: string;
}): Promise<RunningApi> {
  const { config, log, db } = opts;
  const host = config.HOST ?? opts.defaultHost ?? '0.0.0.0';
  const connection = await connectTemporalClient(config, opts.temporalAddress);
  const lifecycle: Lifecycle = { stopping: false };
  const tracing = startTracing(config);
  const app = createAppFromConfig({ connection, db, config, log, lifecycle, ...(opts.codecLink ? { codecLink: opts.codecLink } : {}), ...(tracing ? { tracing } : {}) });
  const server = await listen(app, config.PORT, host);
  const metrics = config.METRICS_PORT === undefined ? undefined : await listen(metricsApp(app.metrics), config.METRICS_PORT, host);
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    ...(metrics ? { metricsUrl: metrics.url } : {}),
    stop: (graceMs = config.SHUTDOWN_GRACE_MS) =>
      (stopped ??= (async () => {
        lifecycle.stopping = true;
        const inFlight = server.inFlight();
        if (inFlight > 0) log.info({ inFlight, graceMs }, 'draining requests in flight');
        await server.close(graceMs);
        if (server.inFlight() > 0) log.warn({ cutOff: server.inFlight() }, 'requests cut off at shutdown');
        // Answers held for the read model: written now, or left to their cases (which ask the Temporal client: before it closes).
        await app.flushAnswers();
        await metrics?.close(1_000);
        await connection.close();
        await tracing?.flush().catch(() => undefined);
      })()),
  };
}
