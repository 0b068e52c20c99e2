import { claimPrefix, nextCaseKey, PrefixTakenError } from '../../db/case-keys';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe('nextCaseKey', () => {
  it('hands out 50 distinct consecutive keys to 50 concurrent starts', async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, () => nextCaseKey(t.db, { prefix: 'ONB', templateKey: 'onboarding' })));
    expect(new Set(keys).size).toBe(50);
    const numbers = keys.map((k) => Number(k.replace(/^ONB-/, ''))).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await nextCaseKey(t.db, { prefix: 'ONB', templateKey: 'onboarding' })).toBe('ONB-51');
  });

  it('counts each prefix separately', async () => {
    expect(await nextCaseKey(t.db, { prefix: 'LOAN', templateKey: 'loan' })).toBe('LOAN-1');
    expect(await nextCaseKey(t.db, { prefix: 'LOAN', templateKey: 'loan' })).toBe('LOAN-2');
    expect(await nextCaseKey(t.db, { prefix: 'ONB', templateKey: 'onboarding' })).toBe('ONB-52');
  });

  it('refuses a prefix owned by another template key without spending a number', async () => {
    await expect(nextCaseKey(t.db, { prefix: 'ONB', templateKey: 'other' })).rejects.toBeInstanceOf(PrefixTakenError);
    expect(await nextCaseKey(t.db, { prefix: 'ONB', templateKey: 'onboarding' })).toBe('ONB-53');
  });

  it('starts at 1 for a claimed prefix', async () => {
    await claimPrefix(t.db, { prefix: 'NEW', templateKey: 'fresh' });
    await claimPrefix(t.db, { prefix: 'NEW', templateKey: 'fresh' });
    await expect(claimPrefix(t.db, { prefix: 'NEW', templateKey: 'stale' })).rejects.toBeInstanceOf(PrefixTakenError);
    expect(await nextCaseKey(t.db, { prefix: 'NEW', templateKey: 'fresh' })).toBe('NEW-1');
  });
});
