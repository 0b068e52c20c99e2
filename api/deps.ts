import type { Tracer } from '@opentelemetry/api';
import type { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { Database } from '../db/connection';
import type { CaseMetrics } from '../metrics/case-metrics';
import type { CaseClient } from './case-client';

/** Set while the process shuts down: readiness fails and new requests are turned away. */
export interface Lifecycle {
  stopping: boolean;
}

/** What the HTTP app needs from the outside world; tests hand in real ones on test servers. */
export interface ApiDeps {
  db: Database;
  cases: CaseClient;
  temporal: Connection;
  config: Config & { archiveAfterMs?: number };
  log: Logger;
  lifecycle?: Lifecycle;
  /** Business metrics, served at /metrics with the HTTP ones; the app makes its own when absent. Hand the same to the CaseClient and answerProjection. */
  metrics?: CaseMetrics;
  /**
   * `npm start` only: the secret of the codec link the dev server's Temporal UI calls
   * (`/codec/link/<secret>/decode`), since that UI has no sign-in to pass a token from.
   */
  codecLink?: string;
  /** With tracing on (startup/tracing.ts): a span per HTTP request. */
  tracer?: Tracer;
}
