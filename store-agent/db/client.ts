import { createClient, type Client, type InArgs, type InStatement, type ResultSet } from "@libsql/client";
import { isSQLWrapper, type SQLWrapper } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as schema from "./schema.ts";

export const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/** A statement for {@link AgentDatabase.write}: SQL text with arguments, or a drizzle query. */
export type WriteStatement = InStatement | SQLWrapper;

export interface AgentDatabase {
  /** Typed reads (and simple single writes) through drizzle. */
  readonly db: LibSQLDatabase<typeof schema>;
  readonly client: Client;
  readonly file: string;
  /**
   * Runs the statements in one write transaction (BEGIN IMMEDIATE) and
   * resolves once it is committed, which with synchronous=FULL means on disk.
   */
  write(statements: WriteStatement[]): Promise<ResultSet[]>;
  close(): void;
}

const dialect = new SQLiteAsyncDialect();

/** A drizzle query as SQL text and arguments, for a batch; SQL text passes as it is. */
export function toStatement(statement: WriteStatement): InStatement {
  if (!isSQLWrapper(statement)) return statement;
  const query = dialect.sqlToQuery(statement.getSQL());
  return { sql: query.sql, args: query.params as InArgs };
}

/**
 * Opens (creating if needed) the agent's libSQL file with WAL and
 * synchronous=FULL, and applies the migrations.
 *
 * One connection (`concurrency: 1`): statements queue on it, so the pragmas
 * below hold for every statement, and a write never competes with another
 * write of this process. Writes never use an interactive transaction, which
 * would hold that one connection across awaits; each is a single batch.
 * `timeout` is SQLite's busy timeout, for when the CLI (another process)
 * writes to the same file.
 *
 * @example
 * const store = await openAgentDatabase("/var/lib/shelfsync-agent/agent.db");
 */
export async function openAgentDatabase(file: string): Promise<AgentDatabase> {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const client = createClient({ url: `file:${path}`, concurrency: 1, timeout: 10_000 });
  try {
    await client.execute("PRAGMA journal_mode=WAL");
    await client.execute("PRAGMA synchronous=FULL");
    const journal = (await client.execute("PRAGMA journal_mode")).rows[0]?.[0];
    const synchronous = (await client.execute("PRAGMA synchronous")).rows[0]?.[0];
    if (journal !== "wal" || Number(synchronous) !== 2) {
      throw new Error(`${path}: expected journal_mode=wal and synchronous=FULL(2), got ${String(journal)} and ${String(synchronous)}`);
    }
    const db = drizzle({ client, schema });
    await migrate(db, { migrationsFolder });
    return {
      db,
      client,
      file: path,
      write: (statements) => client.batch(statements.map(toStatement), "write"),
      close: () => client.close(),
    };
  } catch (error) {
    client.close();
    throw error;
  }
}
