import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../db/connection';
import { PostgresDocumentStore } from '../../db/document-store';
import { createPortalLink, listPortalLinks, resolvePortalLink, revokePortalLink } from '../../db/portal-links';
import { createTestDatabase, type TestDatabase } from '../support/database';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The same checks on PostgreSQL (postgres.js) and on the embedded PGlite `npm start` uses. */
describe.each(['postgres', 'pglite'] as const)('document store and portal links on %s', (driver) => {
  let pg: TestDatabase | undefined;
  let lite: DatabaseHandle | undefined;
  let dataDir: string | undefined;
  let db: DatabaseHandle['db'];

  beforeAll(async () => {
    if (driver === 'postgres') {
      pg = await createTestDatabase();
      db = pg.db;
    } else {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cases-docs-pglite-'));
      lite = await openDatabase({ dataDir });
      await lite.migrate();
      db = lite.db;
    }
  });
  afterAll(async () => {
    await pg?.close();
    await lite?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('bytes round-trip exactly; put is idempotent by id; stat and delete', async () => {
    const store = new PostgresDocumentStore(db);
    const bytes = Buffer.concat([Buffer.from([0, 1, 2, 255, 0x5c, 0x78]), randomBytes(300_000)]);
    const doc = { id: 'doc_a', caseKey: 'C-1', slot: 'idCard', contentType: 'application/pdf', size: bytes.length, sha256: sha(bytes), bytes };
    const first = await store.put(doc);
    expect(first).toEqual({ created: true, info: { id: 'doc_a', caseKey: 'C-1', slot: 'idCard', contentType: 'application/pdf', size: bytes.length, sha256: sha(bytes) } });
    const other = Buffer.from('different');
    const again = await store.put({ ...doc, bytes: other, size: other.length, sha256: sha(other) });
    expect(again).toEqual({ created: false, info: first.info });
    const got = await store.get('doc_a');
    expect(Buffer.isBuffer(got?.bytes)).toBe(true);
    expect(Buffer.compare(got!.bytes, bytes)).toBe(0);
    expect(await store.stat('doc_a')).toEqual(first.info);
    expect(await store.get('nope')).toBeNull();
    expect(await store.delete('doc_a')).toBe(true);
    expect(await store.delete('doc_a')).toBe(false);
    expect(await store.stat('doc_a')).toBeNull();
    await expect(store.put({ ...doc, id: 'doc_b', size: 1 })).rejects.toThrow(/does not match/);
  });

  test('portal links: resolve, expire, revoke, list', async () => {
    const link = await createPortalLink(db, { caseKey: 'C-1', participantId: 'P-1', createdBy: 'hana', ttlMs: 60_000 });
    const resolved = await resolvePortalLink(db, link.token);
    expect(resolved).toMatchObject({ ok: true, link: { id: link.id, caseKey: 'C-1', participantId: 'P-1', revokedAt: null } });
    if (resolved.ok) expect(resolved.link.lastUsedAt).toBeNull();
    const relisted = await listPortalLinks(db, 'C-1');
    expect(relisted.map((l) => l.id)).toEqual([link.id]);
    expect(relisted[0]?.lastUsedAt).not.toBeNull();
    expect(await resolvePortalLink(db, link.token, new Date(Date.now() + 61_000))).toMatchObject({ ok: false, reason: 'expired' });
    expect(await resolvePortalLink(db, `${link.token}x`)).toEqual({ ok: false, reason: 'not_found' });
    expect(await resolvePortalLink(db, 'cot_not-a-portal-token')).toEqual({ ok: false, reason: 'not_found' });
    expect(await revokePortalLink(db, 'C-2', link.id)).toBeNull();
    const revoked = await revokePortalLink(db, 'C-1', link.id);
    expect(revoked?.revokedAt).not.toBeNull();
    expect((await revokePortalLink(db, 'C-1', link.id))?.revokedAt).toBe(revoked?.revokedAt);
    // revoked wins over expired: the holder learns nothing
    expect(await resolvePortalLink(db, link.token, new Date(Date.now() + 61_000))).toEqual({ ok: false, reason: 'not_found' });
  });
});
