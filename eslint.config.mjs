// Lint: TypeScript rules everywhere, plus determinism guards for workflow and domain code.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * Imports point down the layers of the service (README "Layout"), from the ground floor up:
 * config/ and domain/; metrics/ (what the processes count); db/; documents/ (PDF rendering shared by activities and the API);
 * temporal/ (how processes connect to Temporal and encrypt payloads); workflows/ and activities/; startup/ (what every process opens and stops); worker/ and api/;
 * scripts/ and console/ on top. `importsOf(...)` matches a relative import of one of those
 * top-level folders, however many `../` it takes to reach it (a pattern, not a resolved path: a
 * folder that has a file of the same name, such as api/console.ts, cannot forbid that name).
 */
const importsOf = (...folders) => `^(?:\\.\\./)+(?:${folders.join('|')})(?:/|$)`;
const noUpwardImports = (files, folders, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: importsOf(...folders), message }] }] },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'db/migrations/**', 'coverage/**', 'test-output/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow and domain code must replay identically: no I/O, no Node built-ins, no clocks or randomness of their own.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not deterministic: keep I/O in activities/.' })),
            ...['pg', 'postgres', 'drizzle-orm', '@electric-sql/pglite', 'express', 'resend', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map(
              (name) => ({ name, message: 'I/O libraries belong in activities/, api/ or db/.' }),
            ),
          ],
          patterns: [
            { group: ['../db/*', '../api/*', '../worker/*', '../activities/*', '../documents/*', '../startup/*', '../temporal/*', '../metrics/*'], allowTypeImports: true, message: 'Workflow and domain code may only import types from I/O layers.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'No environment access in deterministic code.' }, { name: 'setTimeout', message: 'Use workflow sleep()/condition().' }, { name: 'setInterval', message: 'Use workflow sleep()/condition().' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Randomness breaks replay.' }],
    },
  },
  {
    // Every case workflow evaluates its own copy of the modules it imports: zod (~0.7 MB per case),
    // the schema modules built on it and luxon (~70 KB, loaded lazily by domain/durations.ts) stay
    // out of the workflow's imports. test/workflows/workflow-bundle.test.ts checks the bundle itself.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['domain/schemas/**', 'domain/template-validation.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'zod', allowTypeImports: true, message: 'zod costs ~0.7 MB in every case workflow: use domain/shapes.ts, or put the schema in domain/schemas/.' },
            { name: 'luxon', allowTypeImports: true, message: 'luxon is loaded lazily (domain/durations.ts) so cases without business calendars never pay for it.' },
          ],
          patterns: [
            { group: ['**/schemas/*', '**/template-validation'], allowTypeImports: true, message: 'zod schemas stay out of the case workflow: import types only.' },
          ],
        },
      ],
    },
  },
  // Each layer below names what sits above it (domain/ and workflows/ are guarded above, console/ below).
  noUpwardImports(['config/**/*.ts'], ['domain', 'db', 'documents', 'temporal', 'workflows', 'activities', 'startup', 'worker', 'api', 'scripts', 'console', 'metrics'], 'config/ is the ground floor: Node built-ins, libraries and other config/ files only.'),
  noUpwardImports(['metrics/**/*.ts'], ['db', 'documents', 'temporal', 'workflows', 'activities', 'startup', 'worker', 'api', 'scripts', 'console'], 'metrics/ defines what the processes count: it imports config/ and domain/ only, and is handed its data.'),
  noUpwardImports(['db/**/*.ts'], ['documents', 'temporal', 'workflows', 'activities', 'startup', 'worker', 'api', 'scripts', 'console', 'metrics'], 'db/ stores what the layers above hand it: it imports config/ and domain/ only.'),
  noUpwardImports(['documents/**/*.ts'], ['temporal', 'workflows', 'activities', 'startup', 'worker', 'api', 'scripts', 'console', 'metrics'], 'documents/ is shared by activities/ and api/: it may not depend on either.'),
  noUpwardImports(
    ['temporal/**/*.ts'],
    ['domain', 'db', 'documents', 'workflows', 'activities', 'startup', 'worker', 'api', 'scripts', 'console', 'metrics'],
    'temporal/ is how every process reaches Temporal (connection options, payload encryption): it builds on config/ only.',
  ),
  noUpwardImports(['activities/**/*.ts'], ['temporal', 'startup', 'worker', 'api', 'scripts', 'console'], 'Activities run in the worker: they may not reach the processes or the HTTP layer; share code through documents/, db/ or domain/.'),
  noUpwardImports(['startup/**/*.ts'], ['documents', 'workflows', 'activities', 'worker', 'api', 'scripts', 'console'], 'startup/ opens what every process needs (config, logger, database): the processes build on it, not the reverse.'),
  noUpwardImports(['worker/**/*.ts'], ['api', 'scripts', 'console'], 'The worker runs without the API: share code through a lower layer.'),
  noUpwardImports(['api/**/*.ts'], ['activities', 'worker', 'scripts'], 'The API reaches workflows through Temporal, never through activities/, worker/ or scripts/: share code through documents/, db/ or domain/.'),
  {
    // The console runs in the browser and talks to the server only over the public /v1 API: it may
    // take the API's shapes (types) from the server's schemas, nothing else.
    files: ['console/**/*.ts', 'console/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...nodeBuiltins.map((name) => ({ name, message: 'The console runs in the browser.' })), { name: 'zod', allowTypeImports: true, message: 'Types only: the console validates nothing the API does not.' }],
          patterns: [{ group: ['**/domain/**', '**/api/**', '**/db/**', '**/workflows/**', '**/activities/**', '**/worker/**', '**/config/**', '**/temporal/**', '**/scripts/**', '**/metrics/**'], allowTypeImports: true, message: 'The console reaches the server only through /v1: import types only.' }],
        },
      ],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Randomness breaks replay.' },
        { object: 'Date', property: 'now', message: 'Domain rules take time as an argument.' },
      ],
    },
  },
);
