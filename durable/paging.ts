import { and, asc, gt, sql, type SQL } from "drizzle-orm";
import type { BaseSQLiteDatabase, SQLiteColumn, SQLiteTableWithColumns } from "drizzle-orm/sqlite-core";

type SyncDatabase = BaseSQLiteDatabase<"sync", any, any>;
// Any table with an integer `seq` column that orders its rows.
type SeqTable = SQLiteTableWithColumns<any> & { seq: SQLiteColumn };

/**
 * One page of rows read with `limit + 1` in `seq` order: the rows to answer
 * with, and the cursor of the next page (the last seq answered), or null when
 * the extra row was not there.
 *
 * @example
 * const { page, nextCursor } = seqPage(db.select().from(ledger).where(gt(ledger.seq, after)).limit(limit + 1).all(), limit);
 */
export function seqPage<T extends { seq: number }>(rows: T[], limit: number): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null };
}

/**
 * `values` in slices short enough to bind in one statement: Durable Object
 * SQLite allows at most 100 bound parameters, and a query may bind a few more
 * than the list.
 */
export function chunks<T>(values: readonly T[], size = 90): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < values.length; start += size) out.push(values.slice(start, start + size));
  return out;
}

/**
 * `values` as a subquery bound as one parameter, a JSON array that SQLite's
 * `json_each` splits: for `inArray` over a list of any length. Drizzle
 * builds a parameter object per element of a plain array (and `chunks()`
 * a statement per 90); in a batch of hundreds of rows that building is most
 * of what the batch allocates.
 *
 * @example
 * db.delete(pendingRows).where(inArray(pendingRows.row, jsonList(applied))).run();
 */
export function jsonList(values: readonly (string | number)[]): SQL {
  return sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

/**
 * One page of `table`'s rows after `after` in `seq` order, narrowed by
 * `filters` (undefined ones are left out).
 *
 * @example
 * pageBySeq(db, orders, [filter.status && eq(orders.status, filter.status)], after, 50)
 */
export function pageBySeq<TTable extends SeqTable>(
  db: SyncDatabase,
  table: TTable,
  filters: (SQL | undefined | "" | null)[],
  after: number,
  limit: number,
): { page: TTable["$inferSelect"][]; nextCursor: string | null } {
  type Row = TTable["$inferSelect"] & { seq: number };
  const conditions = filters.filter((filter): filter is SQL => Boolean(filter));
  const rows = db
    .select()
    .from(table)
    .where(and(gt(table.seq, after), ...conditions))
    .orderBy(asc(table.seq))
    .limit(limit + 1)
    .all() as Row[];
  return seqPage(rows, limit);
}
