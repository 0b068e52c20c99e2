import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, pingDatabase } from '../../db/connection';
import { nextCaseKey } from '../../db/case-keys';
import { getTimeline, listCases, projectCase } from '../../db/read-model';
import { getTemplate, publishTemplate } from '../../db/templates';
import { createApiToken, resolveApiToken } from '../../db/tokens';
import { admin, definition, minute, SimCase } from './fixtures';

// The embedded database `npm start` uses without DATABASE_URL: same schema, same queries.
describe('PGlite (embedded) database', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cases-pglite-'));
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, stores a template and a case, and reads them back after reopening', async () => {
    const first = await openDatabase({ dataDir });
    expect(first.driver).toBe('pglite');
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);
    let token: string;
    try {
      await first.migrate();
      await pingDatabase(first.db);
      const template = await publishTemplate(first.db, { definition: definition('embedded', { prefix: 'EMB' }), publishedBy: 'ada' });
      expect(template).toMatchObject({ version: 1, created: true });
      const key = await nextCaseKey(first.db, { prefix: template.prefix, templateKey: template.key });
      expect(key).toBe('EMB-1');
      const c = new SimCase(key, template, { title: 'Embedded case', fields: { fullName: 'Pat' }, owner: 'pat' }, minute(0));
      c.run({ type: 'comment', text: 'hello' }, minute(1));
      await projectCase(first.db, c.batch(), template.definition);
      await projectCase(first.db, c.batch(), template.definition);
      // A command's answer as the API writes it (one statement: jsonb_to_recordset, data-modifying CTEs).
      const answer = c.run({ type: 'comment', text: 'answered' }, minute(2));
      expect(await projectCase(first.db, c.batch(answer), template.definition, { contiguous: true })).toEqual({ projectedThrough: answer.at(-1)!.seq, inserted: answer });
      expect((await getTimeline(first.db, key, {})).items.at(-1)).toMatchObject({ seq: c.state.lastSeq, data: { text: 'answered' } });
      expect((await listCases(first.db, { q: 'pat' }, admin)).items.map((i) => i.id)).toEqual(['EMB-1']);
      // Visibility is an array overlap on cases.access: PGlite answers it like PostgreSQL.
      const reader = (id: string) => ({ id, name: id, roles: ['hr'], kind: 'user' as const });
      expect((await listCases(first.db, {}, reader('pat'))).items.map((i) => i.id)).toEqual(['EMB-1']);
      expect((await listCases(first.db, {}, reader('someone-else'))).items).toEqual([]);
      ({ token } = await createApiToken(first.db, { actorId: 'u', actorName: 'U', roles: ['hr', 'admin'] }));

      // API and worker share this one embedded database in one process: concurrent calls must
      // still get distinct versions and keys.
      const versions = await Promise.all(
        [1, 2, 3, 4].map((i) => publishTemplate(first.db, { definition: definition('embedded', { prefix: 'EMB', description: `v${i}` }), publishedBy: 'ada' })),
      );
      expect(versions.map((v) => v.version).sort()).toEqual([2, 3, 4, 5]);
      const keys = await Promise.all(Array.from({ length: 10 }, () => nextCaseKey(first.db, { prefix: 'EMB', templateKey: 'embedded' })));
      expect(new Set(keys).size).toBe(10);
    } finally {
      await first.close();
    }

    const second = await openDatabase({ dataDir });
    try {
      await second.migrate(); // already applied: a no-op
      expect(await getTemplate(second.db, 'embedded')).toMatchObject({ version: 5, prefix: 'EMB' });
      expect(await getTemplate(second.db, 'embedded', 1)).toMatchObject({ version: 1, definition: { name: 'Template embedded' } });
      const list = await listCases(second.db, { template: 'embedded' }, admin);
      expect(list.items).toEqual([expect.objectContaining({ id: 'EMB-1', title: 'Embedded case', stage: 'intake', createdAt: minute(0), updatedAt: minute(2) })]);
      expect((await getTimeline(second.db, 'EMB-1', { types: ['comment.added'] })).items).toEqual([
        expect.objectContaining({ type: 'comment.added', at: minute(1), data: expect.objectContaining({ text: 'hello' }) }),
        expect.objectContaining({ type: 'comment.added', at: minute(2), data: expect.objectContaining({ text: 'answered' }) }),
      ]);
      expect(await resolveApiToken(second.db, token)).toEqual({ id: 'u', name: 'U', roles: ['hr', 'admin'], kind: 'user' });
      expect(await nextCaseKey(second.db, { prefix: 'EMB', templateKey: 'embedded' })).toBe('EMB-12');
    } finally {
      await second.close();
    }
  }, 120_000);
});
