import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ctrlC, npmStart, npmStartEnv } from '../support/npm-start';
import { onboardingYaml } from '../support/templates';

// `npm start` as a newcomer runs it: embedded PGlite, the Temporal dev server with its SQLite
// file, worker and API in one process. Ctrl-C (SIGINT to the process group) stops it cleanly,
// and a restart finds every template and case, with running cases carrying on.
const root = path.resolve(__dirname, '../..');
let dataDir: string;
let env: NodeJS.ProcessEnv;
let temporalAddress: string;
let uiOrigin: string;

function expectCleanStop(log: string) {
  for (const part of ['API', 'worker', 'database (pglite)', 'Temporal dev server']) expect(log).toContain(`stopped ${part}`);
  expect(log).not.toContain('did not stop cleanly');
}

beforeAll(async () => {
  const started = await npmStartEnv('e2e');
  ({ env, dataDir, temporalAddress } = started);
  uiOrigin = `http://localhost:${started.uiPort}`;
}, 600_000);

/**
 * Payloads are encrypted with the key npm start made for its data folder, and the dev server's UI
 * decodes them through the API's codec link: the UI's settings name it, and it answers the UI's
 * origin with what the raw history hides.
 */
async function expectEncryptedAndDecodable(caseId: string, plaintext: string): Promise<void> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const history = await new Client({ connection }).workflow.getHandle(`case-${caseId}`).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input.data!).includes(Buffer.from(plaintext))).toBe(false);
    const settings = (await (await fetch(`${uiOrigin}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
    const endpoint = settings.Codec?.Endpoint ?? '';
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/codec\/link\/ccl_/);
    const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
    const res = await fetch(`${endpoint}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: uiOrigin, 'X-Namespace': 'default' },
      body: JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, b64(v)])), data: b64(input.data) }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    const [decoded] = ((await res.json()) as { payloads: Array<{ data: string }> }).payloads;
    expect(Buffer.from(decoded!.data, 'base64').toString()).toContain(plaintext);
  } finally {
    await connection.close();
  }
}

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('npm start serves the walkthrough, stops on Ctrl-C, and resumes after a restart', async () => {
  let running = await npmStart(env);
  const call = async (method: string, url: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${running.api}${url}`, {
      method,
      headers: { Authorization: `Bearer ${running.token}`, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  try {
    expect(running.output()).toMatch(/Temporal UI\s+http:\/\//);
    expect(running.output()).toContain('embedded PGlite');
    expect((await call('POST', '/v1/templates', onboardingYaml, 'application/yaml')).status).toBe(201);
    const created = await call('POST', '/v1/cases', { template: 'employee-onboarding', title: 'Onboard Jane', fields: { fullName: 'Jane Doe' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call('POST', `/v1/cases/${id}/advance`, { to: 'review' })).status).toBe(409);
    expect((await call('PATCH', `/v1/cases/${id}/fields`, { startDate: '2027-01-04', contractType: 'employee' })).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    // The worker's health and metrics, on the free port npm start printed.
    const workerUrl = /Worker\s+(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(running.output())?.[1];
    expect((await fetch(`${workerUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${workerUrl}/metrics`)).text()).toContain('temporal_worker_task_slots_available');
    expect(running.output()).toMatch(/Payloads\s+encrypted with key "dev" \(generated: /);
    await expectEncryptedAndDecodable(id, 'Jane Doe');
    // The console link signs the development admin in: the token is in the fragment, never sent.
    const consoleLink = /Console\s+(http:\/\/\S+)/.exec(running.output())?.[1];
    expect(consoleLink).toBe(`${running.api}/console/#token=${running.token}`);
    const page = await fetch(consoleLink!.split('#')[0]!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`${running.api}/console/assets/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect((await script.text()).length).toBeGreaterThan(10_000);

    expectCleanStop(await ctrlC(running));

    running = await npmStart(env);
    const view = await call('GET', `/v1/cases/${id}`);
    expect(view.status).toBe(200);
    expect(view.body.fields).toMatchObject({ startDate: '2027-01-04' });
    // the workflow carries on after the restart
    const advanced = await call('POST', `/v1/cases/${id}/advance`, { to: 'review' });
    expect(advanced.status).toBe(200);
    const timeline = await call('GET', `/v1/cases/${id}/timeline`);
    expect(timeline.body.items).toBeDefined();
    expect((await call('GET', '/v1/templates/employee-onboarding')).body.version).toBe(1);
    // The same key after the restart: the case's history still decrypts (it just ran on it).
    await expectEncryptedAndDecodable(id, 'Jane Doe');
  } finally {
    if (running.child.exitCode === null && running.child.signalCode === null) expectCleanStop(await ctrlC(running));
  }
}, 600_000);

test('Ctrl-C with an upload in flight: the API drains, then cuts it off, and npm start exits well within 30 s', async () => {
  const running = await npmStart(env);
  const headers = { Authorization: `Bearer ${running.token}`, 'Content-Type': 'application/json' };
  try {
    await fetch(`${running.api}/v1/templates`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/yaml' }, body: onboardingYaml });
    const created = await fetch(`${running.api}/v1/cases`, { method: 'POST', headers, body: JSON.stringify({ template: 'employee-onboarding', title: 'Upload at shutdown', fields: { fullName: 'Jo Doe' } }) });
    const id = ((await created.json()) as { id: string }).id;
    // An upload whose body never finishes: the request stays in flight until the API cuts it off.
    const boundary = 'x-boundary';
    const url = new URL(`${running.api}/v1/cases/${id}/documents/idCard`);
    const upload = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Authorization: `Bearer ${running.token}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(10 * 1024 * 1024) } });
    const outcome = new Promise<string>((resolve) => {
      upload.on('response', (res) => resolve(`answered ${res.statusCode}`));
      upload.on('error', (err) => resolve(`cut off (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    });
    upload.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 partial`);
    await new Promise((r) => setTimeout(r, 1000));

    const started = Date.now();
    const log = await ctrlC(running);
    const seconds = (Date.now() - started) / 1000;
    expectCleanStop(log);
    expect(await outcome).toMatch(/cut off|answered 503/);
    expect(seconds).toBeLessThan(30);
    fs.mkdirSync(path.join(root, 'test-output'), { recursive: true });
    fs.writeFileSync(path.join(root, 'test-output', 'shutdown-with-upload.txt'), `npm start stopped ${seconds.toFixed(1)} s after Ctrl-C with an upload in flight\n${log}\n`);
  } finally {
    if (running.child.exitCode === null && running.child.signalCode === null) await ctrlC(running);
  }
}, 300_000);
