import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NativeConnection, Worker } from '@temporalio/worker';
import express from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../db/connection';
import { pingDatabase } from '../db/connection';
import type { CaseMetrics } from '../metrics/case-metrics';

/** How long a readiness check waits for Temporal or PostgreSQL. */
const CHECK_TIMEOUT_MS = 2_000;

export interface WorkerHealthDeps {
  worker: Pick<Worker, 'getState' | 'getStatus'>;
  connection: Pick<NativeConnection, 'healthService'>;
  db: Database;
  metrics: CaseMetrics;
  /** The Temporal SDK's own Prometheus exporter (core), served on loopback; its text is appended to /metrics. */
  sdkMetricsUrl?: string;
}

/**
 * The worker's HTTP face, for probes and Prometheus (no credentials: like METRICS_PORT, the port is
 * the protection — publish it to no one):
 * - `/healthz` (liveness): 200 while the worker runs; 503 once it has stopped or failed, so the
 *   orchestrator restarts the process.
 * - `/readyz` (readiness): 200 when the worker is running, both its pollers are polling, and the
 *   Temporal server and PostgreSQL answer; otherwise 503 with what is wrong.
 * - `/metrics`: the business metrics the activities count, Node's process metrics, and the SDK's
 *   (task latencies, slots, pollers, failures), as one Prometheus text.
 */
export function workerHealthApp(deps: WorkerHealthDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  const served = Registry.merge([processMetrics, deps.metrics.registry]);

  app.get('/healthz', (_req, res) => {
    const state = deps.worker.getState();
    const alive = state === 'INITIALIZED' || state === 'RUNNING' || state === 'STOPPING';
    res.status(alive ? 200 : 503).json({ status: alive ? 'ok' : 'down', worker: state });
  });

  app.get('/readyz', async (_req, res) => {
    const status = deps.worker.getStatus();
    const [temporal, database] = (
      await Promise.allSettled([within(deps.connection.healthService.check({}), 'temporal'), within(pingDatabase(deps.db), 'database')])
    ).map((r) => (r.status === 'fulfilled' ? 'ok' : `unavailable: ${(r.reason as Error).message}`));
    const checks = {
      worker: status.runState,
      workflowPoller: status.workflowPollerState,
      activityPoller: status.activityPollerState,
      temporal,
      database,
    };
    const ready = status.runState === 'RUNNING' && status.workflowPollerState === 'POLLING' && status.activityPollerState === 'POLLING' && temporal === 'ok' && database === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks, cachedWorkflows: status.numCachedWorkflows });
  });

  app.get('/metrics', async (_req, res) => {
    const [own, sdk] = await Promise.all([served.metrics(), deps.sdkMetricsUrl ? sdkMetrics(deps.sdkMetricsUrl) : '']);
    res.type(served.contentType).send(`${own}${own.endsWith('\n') ? '' : '\n'}${sdk}`);
  });
  return app;
}

/** The SDK exporter's text; empty when it does not answer (the business metrics are served regardless). */
async function sdkMetrics(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    return response.ok ? await response.text() : '';
  } catch {
    return '';
  }
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RunningHealthServer {
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0: any free port). */
export function listenHealth(app: express.Express, port: number, host: string): Promise<RunningHealthServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        url: `http://${shown}:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** A free TCP port on loopback, for the SDK's exporter (it cannot report a port it picked itself). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
