import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations from the schema, offline; the service applies
// them at start-up with the driver's migrator (db/connection.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  strict: true,
  verbose: true,
});
