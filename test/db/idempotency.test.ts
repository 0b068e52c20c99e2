import { claimIdempotencyKey, findIdempotencyKey } from '../../db/idempotency';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe('idempotency keys', () => {
  it('lets the first claim win and tells later ones its request hash and result', async () => {
    expect(await findIdempotencyKey(t.db, 'start-case:ada', 'k-1')).toBeNull();
    expect(await claimIdempotencyKey(t.db, { scope: 'start-case:ada', key: 'k-1', requestHash: 'h1', result: { caseKey: 'ONB-1' } })).toEqual({ claimed: true });
    expect(await claimIdempotencyKey(t.db, { scope: 'start-case:ada', key: 'k-1', requestHash: 'h2', result: { caseKey: 'ONB-2' } })).toEqual({
      claimed: false,
      requestHash: 'h1',
      result: { caseKey: 'ONB-1' },
    });
    expect(await findIdempotencyKey(t.db, 'start-case:ada', 'k-1')).toEqual({ requestHash: 'h1', result: { caseKey: 'ONB-1' } });
  });

  it('keeps scopes apart', async () => {
    expect(await claimIdempotencyKey(t.db, { scope: 'start-case:bob', key: 'k-1', requestHash: 'h', result: { caseKey: 'ONB-3' } })).toEqual({ claimed: true });
  });

  it('has exactly one winner among concurrent claims', async () => {
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => claimIdempotencyKey(t.db, { scope: 's', key: 'race', requestHash: `h${i}`, result: { caseKey: `X-${i}` } })),
    );
    const winners = claims.filter((c) => c.claimed);
    expect(winners).toHaveLength(1);
    const stored = await findIdempotencyKey(t.db, 's', 'race');
    for (const c of claims) if (!c.claimed) expect(c).toEqual({ claimed: false, ...stored });
  });
});
