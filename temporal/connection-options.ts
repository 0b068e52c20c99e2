import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config/env';

/** What `Connection.connect` (client) and `NativeConnection.connect` (worker) both take. */
export interface TemporalConnectionOptions {
  address: string;
  /** false: plain text even with an API key (the SDK would otherwise turn TLS on for it). */
  tls?: TLSConfig | false;
  apiKey?: string;
}

export type TemporalConnectionConfig = Pick<Config, 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'>;

/**
 * How every process reaches the Temporal frontend at `address`: plain, TLS (the system's CAs or
 * TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME), mTLS (TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY) and/or an
 * API key. TLS is on when asked for, or implied by any of those settings (an API key travels only
 * over TLS, as the SDK does it). Certificate files are read here, at connect time, so a rotated
 * certificate is picked up by the next process start.
 */
export function temporalConnectionOptions(config: TemporalConnectionConfig, address: string): TemporalConnectionOptions {
  const implied = [config.TEMPORAL_TLS_CERT, config.TEMPORAL_TLS_CA, config.TEMPORAL_TLS_SERVER_NAME, config.TEMPORAL_API_KEY].some((v) => v !== undefined);
  const useTls = config.TEMPORAL_TLS ?? implied;
  const tls: TLSConfig | undefined = useTls
    ? {
        ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
        ...(config.TEMPORAL_TLS_CA ? { serverRootCACertificate: fs.readFileSync(config.TEMPORAL_TLS_CA) } : {}),
        ...(config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY
          ? { clientCertPair: { crt: fs.readFileSync(config.TEMPORAL_TLS_CERT), key: fs.readFileSync(config.TEMPORAL_TLS_KEY) } }
          : {}),
      }
    : undefined;
  return {
    address,
    ...(tls ? { tls } : config.TEMPORAL_API_KEY ? { tls: false as const } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
