import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ensureTemporalCli } from '../scripts/temporal-cli';
import { startTemporalDevServer, type TemporalDevServer } from '../scripts/temporal-dev-server';
import { registerSearchAttributes } from '../worker/search-attributes';
import { caseSearchAttributes } from '../workflows/search-attributes';

// A second server next to the suite's shared one: this test needs a persistent file and restarts.
jest.setTimeout(300_000);

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const indexed = temporal.api.enums.v1.IndexedValueType;
/** The indexed type each case search attribute must be registered with. */
const expectedType = (type: string) => indexed[`INDEXED_VALUE_TYPE_${type}` as keyof typeof indexed];

describe('Temporal dev server with a persistent SQLite file', () => {
  let dir: string;
  let cliPath: string;
  let server: TemporalDevServer | undefined;
  let connection: Connection | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-dev-server-test-'));
    cliPath = await ensureTemporalCli({ log: () => undefined });
  });

  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    await server?.stop();
    server = undefined;
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<{ server: TemporalDevServer; ms: number }> => {
    const t0 = Date.now();
    server = await startTemporalDevServer({
      cliPath,
      dbFile: path.join(dir, 'nested', 'temporal.sqlite'),
      headless: true,
      logFile: path.join(dir, 'server.log'),
    });
    return { server, ms: Date.now() - t0 };
  };

  const customAttributes = async (c: Connection): Promise<Record<string, number>> =>
    (await c.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes ?? {};

  it('registers the case search attributes and keeps state across a restart', async () => {
    const first = await start();
    connection = await Connection.connect({ address: first.server.address });
    const attrs = await customAttributes(connection);
    for (const key of caseSearchAttributes) expect(attrs[key.name]).toBe(expectedType(key.type));

    // Things only the file can carry over: startTemporalDevServer does not recreate them.
    await connection.workflowService.registerNamespace({
      namespace: 'persist-probe',
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { PersistProbe: KEYWORD },
    });
    await connection.close();
    connection = undefined;
    await first.server.stop();
    server = undefined;

    const second = await start();
    connection = await Connection.connect({ address: second.server.address });
    const after = await customAttributes(connection);
    expect(after.PersistProbe).toBe(KEYWORD);
    for (const key of caseSearchAttributes) expect(after[key.name]).toBe(expectedType(key.type));
    const described = await connection.workflowService.describeNamespace({ namespace: 'persist-probe' });
    expect(described.namespaceInfo?.name).toBe('persist-probe');

    process.stderr.write(
      `[temporal-dev-server.test] start→ready: first ${first.ms} ms (new file), second ${second.ms} ms (existing file)\n`,
    );
  });

  it('is idempotent: registering the search attributes again on a live server is harmless', async () => {
    const { server: s } = await start();
    connection = await Connection.connect({ address: s.address });
    await registerSearchAttributes(connection, 'default');
    await registerSearchAttributes(connection, 'default');
    const attrs = await customAttributes(connection);
    expect(caseSearchAttributes.every((k) => attrs[k.name] === expectedType(k.type))).toBe(true);
  });

  it('fails with the server output when the server cannot start', async () => {
    // Holds the port; it never speaks gRPC, so drop whatever connects (the readiness probe).
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startTemporalDevServer({ cliPath, headless: true, port })).rejects.toThrow(
        /exited before it was ready[\s\S]*address already in use/,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
