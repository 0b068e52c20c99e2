/** Configuration is checked strictly at start-up, and one message names every bad variable. */
import { loadConfig } from '../../config/env';

const failure = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
};

test('the defaults are a valid configuration', () => {
  expect(loadConfig({})).toMatchObject({ BODY_LIMIT: '1mb', DIGEST_SCHEDULE: '0 8 * * *', DIGEST_TIMEZONE: 'UTC', PORT: 3000 });
});

test('every bad variable is named in one message', () => {
  const message = failure({ PUBLIC_URL: 'not a url', DIGEST_TIMEZONE: 'Mars/Olympus', DIGEST_SCHEDULE: 'every tuesday', BODY_LIMIT: 'lots' });
  expect(message).toContain('Invalid configuration (4 variable(s))');
  for (const name of ['PUBLIC_URL', 'DIGEST_TIMEZONE', 'DIGEST_SCHEDULE', 'BODY_LIMIT']) expect(message).toMatch(new RegExp(`^  ${name}: `, 'm'));
});

test.each([
  ['PUBLIC_URL', 'ftp://cases.example.com'],
  ['RESEND_BASE_URL', 'localhost:9999'],
  ['DATABASE_URL', 'mysql://db/cases'],
  ['TEMPORAL_ADDRESS', 'temporal.internal'],
  ['TEMPORAL_ADDRESS', 'temporal.internal:99999'],
  ['HOST', 'not a host'],
  ['BODY_LIMIT', '2gb'],
  ['BODY_LIMIT', '0'],
  ['DIGEST_SCHEDULE', '61 * * * *'],
  ['DIGEST_TIMEZONE', 'Europe/Atlantis'],
  ['EMAIL_FROM', 'cases at example.com'],
  ['WEBHOOK_ALLOWED_HOSTS', 'hooks.example.com, not a host'],
  ['PORT', '70000'],
  ['TEMPORAL_NAMESPACE', ''],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ['OTEL_SERVICE_NAME', ' '],
])('%s=%s is refused', (name, value) => {
  expect(failure({ [name]: value })).toMatch(new RegExp(`^  ${name}: `, 'm'));
});

test.each([
  ['PUBLIC_URL', 'https://cases.example.com'],
  ['DATABASE_URL', 'postgresql://user:secret@db:5432/cases'],
  ['TEMPORAL_ADDRESS', 'acme.a1b2c.tmprl.cloud:7233'],
  ['TEMPORAL_ADDRESS', '[::1]:7233'],
  ['HOST', '0.0.0.0'],
  ['HOST', '::'],
  ['BODY_LIMIT', '512kb'],
  ['DIGEST_SCHEDULE', '30 7 * * mon-fri'],
  ['DIGEST_SCHEDULE', '@daily'],
  ['DIGEST_TIMEZONE', 'America/Argentina/Buenos_Aires'],
  ['EMAIL_FROM', 'cases@example.com'],
  ['WEBHOOK_ALLOWED_HOSTS', 'hooks.example.com,*.partner.example,127.0.0.1,127.0.0.1:8080,[::1]'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel-collector:4318'],
])('%s=%s is accepted', (name, value) => {
  expect(() => loadConfig({ [name]: value })).not.toThrow();
});

describe('payload keys', () => {
  const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

  test('parsed into ids and 32-byte keys; the only key encrypts when PAYLOAD_KEY_ID is unset', () => {
    const config = loadConfig({ PAYLOAD_KEYS: `2026-01:${key(1)}` });
    expect(config.PAYLOAD_KEYS).toEqual([{ id: '2026-01', key: Buffer.alloc(32, 1) }]);
    expect(config.PAYLOAD_KEY_ID).toBe('2026-01');
  });

  test.each([
    [`k1:${Buffer.alloc(16).toString('base64')}`, 'the key must be 32 bytes'],
    ['k1:not base64!', 'the key must be 32 bytes'],
    [key(1), 'must be <id>:<base64 of 32 bytes>'],
    [`k1:${key(1)},k1:${key(2)}`, 'the id is listed twice'],
  ])('PAYLOAD_KEYS=%s is refused (%s), without echoing key material', (value, message) => {
    const refused = failure({ PAYLOAD_KEYS: value });
    expect(refused).toMatch(new RegExp(`^  PAYLOAD_KEYS: .*${message.replace(/[()<>]/g, '.')}`, 'm'));
    expect(refused).not.toContain(key(1));
  });

  test('with several keys, PAYLOAD_KEY_ID is required and must name one of them', () => {
    expect(failure({ PAYLOAD_KEYS: `a:${key(1)},b:${key(2)}` })).toMatch(/^ {2}PAYLOAD_KEY_ID: required when PAYLOAD_KEYS lists more than one key/m);
    expect(failure({ PAYLOAD_KEYS: `a:${key(1)},b:${key(2)}`, PAYLOAD_KEY_ID: 'c' })).toMatch(/^ {2}PAYLOAD_KEY_ID: must be the id of one of PAYLOAD_KEYS/m);
    expect(loadConfig({ PAYLOAD_KEYS: `a:${key(1)},b:${key(2)}`, PAYLOAD_KEY_ID: 'b' }).PAYLOAD_KEY_ID).toBe('b');
  });

  test('production refuses to start without keys; development and tests run without (the processes warn)', () => {
    expect(failure({ NODE_ENV: 'production', WEBHOOK_SECRET: 'a production secret' })).toMatch(/^ {2}PAYLOAD_KEYS: required in production/m);
    expect(() => loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: 'a production secret', PAYLOAD_KEYS: `k:${key(1)}` })).not.toThrow();
    expect(loadConfig({}).PAYLOAD_KEYS).toEqual([]);
  });

  test("the codec endpoints' CORS origins: the dev UI outside production, only what is configured in production", () => {
    expect(loadConfig({ TEMPORAL_UI_PORT: '8299' }).CODEC_CORS_ORIGINS).toEqual(['http://localhost:8299', 'http://127.0.0.1:8299']);
    expect(loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: 'a production secret', PAYLOAD_KEYS: `k:${key(1)}` }).CODEC_CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CODEC_CORS_ORIGINS: 'https://temporal.example.com' }).CODEC_CORS_ORIGINS).toEqual(['https://temporal.example.com']);
    expect(failure({ CODEC_CORS_ORIGINS: 'https://temporal.example.com/ui' })).toMatch(/^ {2}CODEC_CORS_ORIGINS: must be origins/m);
  });
});

describe('Temporal TLS settings', () => {
  const file = __filename; // any readable file stands for a PEM here: the contents are checked at connect time

  test('certificate files must exist and be readable, and the client certificate comes with its key', () => {
    const message = failure({ TEMPORAL_TLS_CERT: '/nonexistent/client.pem', TEMPORAL_TLS_KEY: file, TEMPORAL_TLS_CA: '/nonexistent/ca.pem' });
    expect(message).toMatch(/^ {2}TEMPORAL_TLS_CERT: must be the path of a readable file/m);
    expect(message).toMatch(/^ {2}TEMPORAL_TLS_CA: must be the path of a readable file/m);
    expect(failure({ TEMPORAL_TLS_CERT: file })).toMatch(/^ {2}TEMPORAL_TLS_KEY: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY come together/m);
    expect(failure({ TEMPORAL_TLS: 'maybe' })).toMatch(/^ {2}TEMPORAL_TLS: must be true or false/m);
    expect(failure({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: file })).toMatch(/^ {2}TEMPORAL_TLS: is false, but/m);
    expect(failure({ TEMPORAL_TLS_SERVER_NAME: 'not a host' })).toMatch(/^ {2}TEMPORAL_TLS_SERVER_NAME: /m);
  });

  test('accepted together', () => {
    const config = loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CERT: file, TEMPORAL_TLS_KEY: file, TEMPORAL_TLS_CA: file, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal', TEMPORAL_API_KEY: 'key' });
    expect(config).toMatchObject({ TEMPORAL_TLS: true, TEMPORAL_TLS_CERT: file, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
  });
});

test('the worker port must not collide with the API ports (npm start runs both in one process)', () => {
  expect(failure({ PORT: '3000', WORKER_PORT: '3000' })).toMatch(/^ {2}WORKER_PORT: must differ from PORT/m);
  expect(failure({ METRICS_PORT: '9100', WORKER_PORT: '9100' })).toMatch(/^ {2}WORKER_PORT: /m);
  expect(failure({ WORKER_PORT: 'three' })).toMatch(/^ {2}WORKER_PORT: /m);
  expect(loadConfig({ WORKER_PORT: '3001', WORKFLOW_BUNDLE: 'dist/workflow-bundle.js' })).toMatchObject({ WORKER_PORT: 3001, WORKFLOW_BUNDLE: 'dist/workflow-bundle.js' });
  expect(loadConfig({ WORKER_PORT: '0', PORT: '0' }).WORKER_PORT).toBe(0);
});
