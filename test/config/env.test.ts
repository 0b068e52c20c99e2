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
