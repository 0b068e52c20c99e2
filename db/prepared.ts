import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Database } from './connection';

/**
 * The statements on every start, every command answer and every counted request, as prepared
 * statements. Drizzle sends an ordinary query as an unnamed statement, which PostgreSQL parses and
 * plans on every call, and builds its SQL text anew each time; together that was most of the
 * database work of a start. A prepared one is built once per process and parsed once per
 * connection. Only fixed-shape statements belong here (every value a placeholder): each distinct
 * text stays prepared on every connection for the connection's lifetime.
 */
const preparedOf = new WeakMap<Database, Map<string, unknown>>();

/** The statement `name` of this database, prepared on first use (`prepare` returns a builder's `.prepare(name)`). */
export function prepared<P>(db: Database, name: string, prepare: (db: Database) => P): P {
  let statements = preparedOf.get(db);
  if (!statements) preparedOf.set(db, (statements = new Map()));
  let statement = statements.get(name) as P | undefined;
  if (!statement) statements.set(name, (statement = prepare(db)));
  return statement;
}

// Stateless apart from casing, which the project's drizzle instances leave at the default.
const dialect = new PgDialect();

/** A raw statement, prepared like a builder's `.prepare(name)`; it answers what `db.execute` would. */
export function preparedSql(db: Database, name: string, statement: () => SQL): { execute(values: Record<string, unknown>): Promise<unknown> } {
  return prepared(db, name, (d) => d._.session.prepareQuery(dialect.sqlToQuery(statement()), undefined, name, false));
}

/** A placeholder for the value `name` given at execution. */
export const value = (name: string) => sql.placeholder(name);
