import { nextCaseKey, prefixOwner } from '../../db/case-keys';
import { getTemplate, getTemplateSource, listTemplateVersions, listTemplates, PrefixTakenError, publishTemplate } from '../../db/templates';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { definition } from './fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe('publishTemplate', () => {
  it('creates version 1, then a new version only when the definition changes', async () => {
    const v1 = await publishTemplate(t.db, { definition: definition('hiring', { prefix: 'HIR' }), source: 'key: hiring\n', publishedBy: 'ada' });
    expect(v1).toMatchObject({ key: 'hiring', version: 1, prefix: 'HIR', name: 'Template hiring', publishedBy: 'ada', created: true });
    expect(new Date(v1.publishedAt).toISOString()).toBe(v1.publishedAt);

    const same = await publishTemplate(t.db, { definition: definition('hiring', { prefix: 'HIR' }), publishedBy: 'bob' });
    expect(same).toMatchObject({ version: 1, created: false, publishedBy: 'ada' });

    const changed = await publishTemplate(t.db, { definition: definition('hiring', { prefix: 'HIR', name: 'Hiring' }), publishedBy: 'bob' });
    expect(changed).toMatchObject({ version: 2, created: true, name: 'Hiring', publishedBy: 'bob' });

    expect(await getTemplate(t.db, 'hiring')).toMatchObject({ version: 2, definition: { name: 'Hiring' } });
    expect(await getTemplate(t.db, 'hiring', 1)).toMatchObject({ version: 1, definition: { name: 'Template hiring' } });
    expect(await getTemplate(t.db, 'hiring', 3)).toBeNull();
    expect(await getTemplate(t.db, 'nope')).toBeNull();
    expect(await getTemplateSource(t.db, 'hiring', 1)).toBe('key: hiring\n');
    expect(await getTemplateSource(t.db, 'hiring', 2)).toBeNull();
    expect((await listTemplateVersions(t.db, 'hiring')).map((v) => v.version)).toEqual([1, 2]);
    expect(await listTemplateVersions(t.db, 'nope')).toEqual([]);
  });

  it('treats a definition with keys in another order as the same', async () => {
    const def = definition('ordering', { prefix: 'ORD' });
    await publishTemplate(t.db, { definition: def, publishedBy: 'ada' });
    const reordered = Object.fromEntries(Object.entries(def).reverse()) as typeof def;
    reordered.stages = def.stages.map((s) => Object.fromEntries(Object.entries(s).reverse()) as (typeof def.stages)[number]);
    expect(await publishTemplate(t.db, { definition: reordered, publishedBy: 'ada' })).toMatchObject({ version: 1, created: false });
    // Order of the stages themselves is meaningful.
    const swapped = { ...def, stages: [def.stages[1]!, def.stages[0]!, def.stages[2]!] };
    expect(await publishTemplate(t.db, { definition: swapped, publishedBy: 'ada' })).toMatchObject({ version: 2, created: true });
  });

  it('gives concurrent publishes of different definitions distinct, consecutive versions', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => publishTemplate(t.db, { definition: definition('racing', { prefix: 'RAC', description: `variant ${i}` }), publishedBy: 'ada' })),
    );
    expect(results.every((r) => r.created)).toBe(true);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('creates exactly one version when the same definition is published concurrently', async () => {
    const def = definition('twins', { prefix: 'TWN' });
    const results = await Promise.all(Array.from({ length: 6 }, () => publishTemplate(t.db, { definition: def, publishedBy: 'ada' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.version))).toEqual(new Set([1]));
  });

  it('uses the default prefix and refuses a prefix owned by another template key', async () => {
    const own = await publishTemplate(t.db, { definition: definition('employee-onboarding'), publishedBy: 'ada' });
    expect(own.prefix).toBe('EMP');
    expect(await prefixOwner(t.db, 'EMP')).toBe('employee-onboarding');

    const clash = publishTemplate(t.db, { definition: definition('employee-offboarding'), publishedBy: 'ada' });
    await expect(clash).rejects.toBeInstanceOf(PrefixTakenError);
    await expect(clash).rejects.toMatchObject({ prefix: 'EMP', owner: 'employee-onboarding', templateKey: 'employee-offboarding' });
    expect(await getTemplate(t.db, 'employee-offboarding')).toBeNull();

    // With its own prefix it publishes; and the owner may publish new versions with its prefix.
    expect(await publishTemplate(t.db, { definition: definition('employee-offboarding', { prefix: 'OFF' }), publishedBy: 'ada' })).toMatchObject({ prefix: 'OFF', created: true });
    expect(await publishTemplate(t.db, { definition: definition('employee-onboarding', { name: 'Onboarding' }), publishedBy: 'ada' })).toMatchObject({ version: 2, prefix: 'EMP' });
    expect(await prefixOwner(t.db, 'NOPE')).toBeNull();
  });

  it('refuses concurrent claims of one prefix by different keys: exactly one wins', async () => {
    const attempts = await Promise.allSettled(
      ['alpha-one', 'alpha-two', 'alpha-three'].map((key) => publishTemplate(t.db, { definition: definition(key, { prefix: 'ALP' }), publishedBy: 'ada' })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(PrefixTakenError);
  });

  it('does not reset the case counter when a template is republished', async () => {
    await publishTemplate(t.db, { definition: definition('counter', { prefix: 'CNT' }), publishedBy: 'ada' });
    expect(await nextCaseKey(t.db, { prefix: 'CNT', templateKey: 'counter' })).toBe('CNT-1');
    await publishTemplate(t.db, { definition: definition('counter', { prefix: 'CNT', name: 'Counter 2' }), publishedBy: 'ada' });
    expect(await nextCaseKey(t.db, { prefix: 'CNT', templateKey: 'counter' })).toBe('CNT-2');
  });
});

describe('listTemplates', () => {
  it('lists the latest version of every key with its version count', async () => {
    const all = await listTemplates(t.db);
    const hiring = all.find((x) => x.key === 'hiring');
    expect(hiring).toEqual({ key: 'hiring', name: 'Hiring', prefix: 'HIR', latestVersion: 2, versions: 2, publishedAt: expect.any(String), publishedBy: 'bob' });
    expect(all.find((x) => x.key === 'racing')).toMatchObject({ latestVersion: 8, versions: 8 });
    expect(all.map((x) => x.key)).toEqual([...all.map((x) => x.key)].sort());
  });
});
