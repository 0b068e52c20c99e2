/**
 * Connecting to a secured cluster. The dev server speaks plain gRPC only, so a TLS terminator that
 * requires client certificates (mTLS) stands in front of it here, with a throwaway CA, server and
 * client certificates made by `openssl`. The service, configured only through its TEMPORAL_TLS_*
 * variables, runs its worker (NativeConnection) and its client (Connection) through it and starts
 * and queries a case; a client without a certificate, or trusting another CA, is turned away.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../config/env';
import { temporalConnectionOptions } from '../../temporal/connection-options';
import { startTestStack, type TestStack } from '../support/stack';
import { testNamespace, testTemporalAddress } from '../support/temporal';
import { onboardingTemplate } from '../support/templates';

const SERVER_NAME = 'temporal.test';
let dir: string;
let proxy: tls.Server;
let proxyAddress: string;
/** Connections whose client certificate the terminator verified. */
let authorizedConnections = 0;
/** Why the terminator refused handshakes (OpenSSL's reason codes). */
const refusals: string[] = [];
let stack: TestStack | undefined;

const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA, and a certificate of `name` signed by it for `usage` (serverAuth with the server's names, or clientAuth). */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '1', '-subj', `/CN=${name}`);
}
function makeCert(name: string, ca: string, usage: 'serverAuth' | 'clientAuth'): void {
  const ext = usage === 'serverAuth' ? `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth\n` : 'extendedKeyUsage=clientAuth\n';
  fs.writeFileSync(file(`${name}.ext`), ext);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
  makeCa('ca');
  makeCa('other-ca');
  makeCert('server', 'ca', 'serverAuth');
  makeCert('client', 'ca', 'clientAuth');

  // TLS in front, the dev server's plain gRPC behind: gRPC is bytes over TCP, HTTP/2 by ALPN.
  const [host, port] = testTemporalAddress().split(':') as [string, string];
  proxy = tls.createServer(
    { key: fs.readFileSync(file('server.key')), cert: fs.readFileSync(file('server.pem')), ca: fs.readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (secure) => {
      if (secure.authorized) authorizedConnections++;
      const plain = net.connect(Number(port), host);
      secure.pipe(plain).pipe(secure);
      secure.on('error', () => plain.destroy());
      plain.on('error', () => secure.destroy());
    },
  );
  proxy.on('tlsClientError', (err: Error & { code?: string }) => refusals.push(`${err.code ?? ''} ${err.message}`));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyAddress = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The service's own settings for this cluster; `overrides` take some away. */
const mtlsEnv = (overrides: Record<string, string> = {}) => ({
  TEMPORAL_TLS: 'true',
  TEMPORAL_TLS_CA: file('ca.pem'),
  TEMPORAL_TLS_CERT: file('client.pem'),
  TEMPORAL_TLS_KEY: file('client.key'),
  TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
  ...overrides,
});

test('with the client certificate, the worker and the API run through mTLS: a case starts and answers its query', async () => {
  stack = await startTestStack({ address: proxyAddress, env: mtlsEnv() });
  const before = authorizedConnections;
  const auth = { Authorization: `Bearer ${stack.tokens.admin}` };
  expect((await stack.http().post('/v1/templates').set(auth).send(onboardingTemplate({ key: 'tls-onboarding', prefix: 'TLS' }))).status).toBe(201);
  const started = await stack.http().post('/v1/cases').set(auth).send({ template: 'tls-onboarding', title: 'Over mTLS', fields: { fullName: 'Ada Lovelace' } });
  expect(started.status).toBe(201);
  // The one-case view is a workflow query: answered by the worker, through the terminator.
  const view = await stack.http().get(`/v1/cases/${started.body.id}`).set(auth);
  expect([view.status, view.body.title, view.body.stage.key]).toEqual([200, 'Over mTLS', 'documentation']);
  // Both connections of the stack (the worker's and the client's) went through the terminator, verified.
  expect(before).toBeGreaterThanOrEqual(2);
});

/** Connects as the service would with `env` and makes one call; no retries, so a refusal is seen at once. */
async function callWith(env: Record<string, string>): Promise<void> {
  const options = temporalConnectionOptions(loadConfig({ NODE_ENV: 'test', ...env }), proxyAddress);
  const connection = await Connection.connect({ ...options, interceptors: [], connectTimeout: 5_000 });
  try {
    await connection.withDeadline(Date.now() + 5_000, () => connection.workflowService.describeNamespace({ namespace: testNamespace() }));
  } finally {
    await connection.close();
  }
}

/**
 * Calls with `env`, expecting the call to fail with no handshake completed, and the terminator to
 * have refused it for `reason` when the refusal is the server's (a client that distrusts the
 * server just hangs up).
 */
async function refused(env: Record<string, string>, reason?: RegExp): Promise<void> {
  refusals.length = 0;
  const verified = authorizedConnections;
  await expect(callWith(env)).rejects.toThrow();
  expect(authorizedConnections).toBe(verified);
  if (reason) expect(refusals.join('\n')).toMatch(reason);
}

test('the client with the right certificate can call; without a client certificate, or trusting another CA, it is refused', async () => {
  await expect(callWith(mtlsEnv())).resolves.toBeUndefined();
  await refused(mtlsEnv({ TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' }), /PEER_DID_NOT_RETURN_A_CERTIFICATE/);
  // The client refuses the server: its certificate is not signed by the CA the client trusts.
  await refused(mtlsEnv({ TEMPORAL_TLS_CA: file('other-ca.pem') }));
  // Plain text to a TLS port does not get through either.
  await refused({}, /WRONG_VERSION_NUMBER/);
});

test("the worker's native connection is refused without a client certificate", async () => {
  const options = temporalConnectionOptions(loadConfig({ NODE_ENV: 'test', ...mtlsEnv({ TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' }) }), proxyAddress);
  await expect(NativeConnection.connect(options)).rejects.toThrow();
  const withCert = await NativeConnection.connect(temporalConnectionOptions(loadConfig({ NODE_ENV: 'test', ...mtlsEnv() }), proxyAddress));
  await withCert.close();
});
