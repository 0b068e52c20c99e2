import { eq } from 'drizzle-orm';
import { apiTokens } from '../../db/schema';
import { createApiToken, forgetResolvedTokens, hashToken, listApiTokens, registerApiToken, resolveApiToken, revokeApiToken } from '../../db/tokens';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

const rowOf = async (id: string) => (await t.db.select().from(apiTokens).where(eq(apiTokens.id, id)))[0];

describe('API tokens', () => {
  it('stores only the SHA-256 of a token and resolves it to its actor', async () => {
    const { id, token } = await createApiToken(t.db, { actorId: 'u-1', actorName: 'Uma', roles: ['hr', 'admin'], description: 'laptop' });
    expect(id).toMatch(/^tok_[A-Za-z0-9_-]+$/);
    expect(token).toMatch(/^cot_[A-Za-z0-9_-]{43}$/);

    const row = await rowOf(id);
    expect(row?.tokenHash).toBe(hashToken(token));
    expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(token.slice(4));

    expect(await resolveApiToken(t.db, token)).toEqual({ id: 'u-1', name: 'Uma', roles: ['hr', 'admin'], kind: 'user' });
    expect(await resolveApiToken(t.db, `${token}x`)).toBeNull();
    expect(await resolveApiToken(t.db, '')).toBeNull();
  });

  it('records last use at most once a minute', async () => {
    const { id, token } = await createApiToken(t.db, { actorId: 'u-2', actorName: 'Uli', roles: [] });
    expect((await rowOf(id))?.lastUsedAt).toBeNull();
    await resolveApiToken(t.db, token);
    const first = (await rowOf(id))?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await resolveApiToken(t.db, token);
    expect((await rowOf(id))?.lastUsedAt).toEqual(first);

    await t.db.update(apiTokens).set({ lastUsedAt: new Date(Date.now() - 120_000) }).where(eq(apiTokens.id, id));
    forgetResolvedTokens(t.db);
    await resolveApiToken(t.db, token);
    expect((await rowOf(id))!.lastUsedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('serves a resolved token from memory until TOKEN_CACHE_MS has passed; revoking here forgets it at once', async () => {
    const { id, token } = await createApiToken(t.db, { actorId: 'u-6', actorName: 'Gus', roles: [] });
    expect(await resolveApiToken(t.db, token)).toMatchObject({ id: 'u-6' });
    // Revoked behind this process's back (another API process): still served from memory, for a while.
    await t.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id));
    expect(await resolveApiToken(t.db, token)).toMatchObject({ id: 'u-6' });
    forgetResolvedTokens(t.db);
    expect(await resolveApiToken(t.db, token)).toBeNull();
    const again = await createApiToken(t.db, { actorId: 'u-7', actorName: 'Hal', roles: [] });
    expect(await resolveApiToken(t.db, again.token)).toMatchObject({ id: 'u-7' });
    expect(await revokeApiToken(t.db, again.id)).toBe(true);
    expect(await resolveApiToken(t.db, again.token)).toBeNull();
  });

  it('rejects revoked and expired tokens', async () => {
    const revoked = await createApiToken(t.db, { actorId: 'u-3', actorName: 'Vic', roles: [] });
    expect(await revokeApiToken(t.db, revoked.id)).toBe(true);
    expect(await resolveApiToken(t.db, revoked.token)).toBeNull();
    const firstRevocation = (await rowOf(revoked.id))?.revokedAt;
    expect(await revokeApiToken(t.db, revoked.id)).toBe(true);
    expect((await rowOf(revoked.id))?.revokedAt).toEqual(firstRevocation);
    expect(await revokeApiToken(t.db, 'tok_unknown')).toBe(false);

    const expired = await createApiToken(t.db, { actorId: 'u-4', actorName: 'Eve', roles: [], expiresAt: new Date(Date.now() - 1000) });
    expect(await resolveApiToken(t.db, expired.token)).toBeNull();
    const future = await createApiToken(t.db, { actorId: 'u-5', actorName: 'Fay', roles: [], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await resolveApiToken(t.db, future.token)).toMatchObject({ id: 'u-5' });
  });

  it('registers a chosen token idempotently', async () => {
    const id = await registerApiToken(t.db, { token: 'dev-token', actorId: 'dev', actorName: 'Developer', roles: ['admin'] });
    expect(await registerApiToken(t.db, { token: 'dev-token', actorId: 'other', actorName: 'Other', roles: [] })).toBe(id);
    expect(await resolveApiToken(t.db, 'dev-token')).toEqual({ id: 'dev', name: 'Developer', roles: ['admin'], kind: 'user' });
  });

  it('lists tokens without secrets or hashes', async () => {
    const list = await listApiTokens(t.db);
    expect(list.length).toBeGreaterThanOrEqual(6);
    for (const item of list) {
      expect(Object.keys(item).sort()).toEqual(['actorId', 'actorName', 'createdAt', 'description', 'expiresAt', 'id', 'lastUsedAt', 'revokedAt', 'roles']);
    }
    expect(list.find((x) => x.actorId === 'u-1')).toMatchObject({ roles: ['hr', 'admin'], description: 'laptop', revokedAt: null, expiresAt: null });
    expect(list.find((x) => x.actorId === 'u-3')?.revokedAt).toEqual(expect.any(String));
  });
});
