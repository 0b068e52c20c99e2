/** One function says how every process connects to Temporal; what it derives from the settings. */
import fs from 'node:fs';
import { loadConfig } from '../../config/env';
import { temporalConnectionOptions } from '../../temporal/connection-options';

const file = __filename;
const options = (env: Record<string, string>) => temporalConnectionOptions(loadConfig(env), 'temporal.example.com:7233');

test('plain by default', () => {
  expect(options({})).toEqual({ address: 'temporal.example.com:7233' });
});

test('TLS with the system CAs, or a CA file and a server name', () => {
  expect(options({ TEMPORAL_TLS: 'true' })).toEqual({ address: 'temporal.example.com:7233', tls: {} });
  expect(options({ TEMPORAL_TLS_CA: file, TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' })).toEqual({
    address: 'temporal.example.com:7233',
    tls: { serverRootCACertificate: fs.readFileSync(file), serverNameOverride: 'frontend.internal' },
  });
});

test('mTLS: the client certificate and key are read from their files', () => {
  expect(options({ TEMPORAL_TLS_CERT: file, TEMPORAL_TLS_KEY: file }).tls).toEqual({ clientCertPair: { crt: fs.readFileSync(file), key: fs.readFileSync(file) } });
});

test('an API key implies TLS (Temporal Cloud), unless TLS is explicitly off', () => {
  expect(options({ TEMPORAL_API_KEY: 'secret-key' })).toEqual({ address: 'temporal.example.com:7233', tls: {}, apiKey: 'secret-key' });
  expect(options({ TEMPORAL_API_KEY: 'secret-key', TEMPORAL_TLS: 'false' })).toEqual({ address: 'temporal.example.com:7233', tls: false, apiKey: 'secret-key' });
});
