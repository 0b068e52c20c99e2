/**
 * `npm run api` as a supervisor runs it (the worker process starts and stops through the same
 * startup/service.ts; `npm start` is test/e2e/npm-start.test.ts): SIGTERM stops it with exit 0 and
 * a log that says so, a second signal during the drain exits at once with 130, and without
 * DATABASE_URL it refuses to start with 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { freePort } from '../../scripts/temporal-dev-server';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testNamespace, testTemporalAddress } from '../support/temporal';

const root = path.resolve(__dirname, '../..');
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

interface ApiProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnApi(env: NodeJS.ProcessEnv): ApiProcess {
  // NODE_OPTIONS: jest's --experimental-vm-modules is not for the process under test.
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startApi(env: NodeJS.ProcessEnv = {}): Promise<ApiProcess & { url: string }> {
  const api = spawnApi({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_NAMESPACE: testNamespace(),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    ...env,
  });
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!(url = /"url":"(http:[^"]+)".*"msg":"API listening"/.exec(api.output())?.[1])) {
    if (api.child.exitCode !== null || Date.now() > deadline) {
      api.child.kill('SIGKILL');
      throw new Error(`the API did not start:\n${api.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...api, url };
}

const logged = (output: string, msg: string) => output.split('\n').some((line) => line.includes(`"msg":"${msg}"`));

test('SIGTERM stops the API, then the database, and exits 0', async () => {
  const api = await startApi();
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  api.child.kill('SIGTERM');
  expect(await api.exited).toBe(0);
  expect(api.output()).toMatch(/"signal":"SIGTERM".*"msg":"stopping"/);
  expect(logged(api.output(), 'API stopped')).toBe(true);
  expect(logged(api.output(), 'shutdown failed')).toBe(false);
}, 90_000);

test('a second signal while requests drain exits at once with 130', async () => {
  const api = await startApi({ SHUTDOWN_GRACE_MS: '20000' });
  const url = new URL(api.url);
  // A body that never finishes keeps the drain waiting for the whole grace period.
  const stalled = http.request({ host: url.hostname, port: url.port, path: '/v1/templates', method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': '100000' } });
  stalled.on('error', () => undefined);
  stalled.write('{"key": "never-fin');
  await new Promise((r) => setTimeout(r, 300));
  api.child.kill('SIGTERM');
  const deadline = Date.now() + 10_000;
  while (!logged(api.output(), 'draining requests in flight') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  api.child.kill('SIGINT');
  expect(await api.exited).toBe(130);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(logged(api.output(), 'second signal: exiting now')).toBe(true);
  expect(logged(api.output(), 'API stopped')).toBe(false);
  stalled.destroy();
}, 90_000);

test('without DATABASE_URL the API refuses to start and exits 1', async () => {
  const api = spawnApi({ DATABASE_URL: '', TEMPORAL_ADDRESS: testTemporalAddress(), PORT: '0' });
  expect(await api.exited).toBe(1);
  expect(api.output()).toContain('DATABASE_URL is required for a separate API process');
}, 60_000);
