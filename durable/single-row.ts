import { eq } from "drizzle-orm";
import type { BaseSQLiteDatabase, SQLiteColumn, SQLiteTableWithColumns, SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";

type SyncDatabase = BaseSQLiteDatabase<"sync", any, any>;
// Any table whose one row has the primary key `id` = 1: an object's settings or counters.
type SingleRowTable = SQLiteTableWithColumns<any> & { id: SQLiteColumn };

/**
 * The one row of a table that holds a single row (`id` 1), such as an
 * object's settings: read it, or write it whole.
 *
 * @example
 * const settings = singleRow(db, schema.settings);
 * settings.put({ url, secret, updatedAt: now });
 * settings.get()?.url;
 */
export function singleRow<TTable extends SingleRowTable>(db: SyncDatabase, table: TTable) {
  type Row = TTable["$inferSelect"];
  type Values = Omit<TTable["$inferInsert"], "id">;
  return {
    get: (): Row | undefined => db.select().from(table).where(eq(table.id, 1)).get() as Row | undefined,
    put: (values: Values): void => {
      const row = { ...values, id: 1 } as TTable["$inferInsert"];
      db.insert(table).values(row).onConflictDoUpdate({ target: table.id, set: values as unknown as SQLiteUpdateSetSource<TTable> }).run();
    },
  };
}
