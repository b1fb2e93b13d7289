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
