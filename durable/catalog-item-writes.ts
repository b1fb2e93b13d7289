import { inArray, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { fail, type Result } from "../shared/errors.ts";
import { canonicalJson } from "../shared/ids.ts";
import type { PutCatalogItemRequest } from "../shared/schemas/catalog.ts";
import { jsonList } from "./paging.ts";
import type * as schema from "./schema/catalog-store.ts";
import { barcodes, items } from "./schema/catalog-store.ts";

export type ItemRow = typeof items.$inferSelect;

/**
 * One transaction's item writes, decided in memory in the order they come
 * and written at the end, a statement a table, each binding its rows as one
 * JSON parameter (Durable Object SQLite binds at most 100 parameters). The items the writes can
 * touch (`skus`) and the owners of the codes they can take (`codes`, and the
 * codes those items already have) are read up front; each
 * decision sees the ones before it, exactly as one statement a row would.
 * Invariant: `owners` holds, for every code read or written, the SKU whose
 * item lists it (null: none), so the barcodes table equals the items'
 * barcode lists once `flush` has run.
 */
export class ItemWrites {
  private readonly current = new Map<string, ItemRow | null>();
  private readonly owners = new Map<string, string | null>();
  private readonly changed = new Map<string, ItemRow>();

  constructor(
    private readonly db: DrizzleSqliteDODatabase<typeof schema>,
    skus: readonly string[],
    codes: readonly string[],
    /** The next feed sequence number. */
    private readonly nextSeq: () => number,
  ) {
    for (const sku of skus) this.current.set(sku, null);
    if (this.current.size > 0) for (const row of db.select().from(items).where(inArray(items.sku, jsonList([...this.current.keys()]))).all()) this.current.set(row.sku, row);
    for (const code of [...codes, ...[...this.current.values()].flatMap((row) => row?.barcodes ?? [])]) this.owners.set(code, null);
    if (this.owners.size > 0) for (const row of db.select().from(barcodes).where(inArray(barcodes.barcode, jsonList([...this.owners.keys()]))).all()) this.owners.set(row.barcode, row.sku);
  }

  /** The item as the writes so far left it (null: none). Only SKUs named up front. */
  item(sku: string): ItemRow | null {
    const row = this.current.get(sku);
    if (row === undefined) throw new Error(`catalog item ${sku} was not read for this batch`);
    return row;
  }

  /** Creates or replaces an item: a change takes the next feed position, the same content keeps its place. */
  upsert(sku: string, input: PutCatalogItemRequest, now: number): Result<{ item: ItemRow; changed: boolean }> {
    const taken = input.barcodes.flatMap((barcode) => {
      const owner = this.owners.get(barcode);
      if (owner === undefined) throw new Error(`barcode ${barcode} was not read for this batch`);
      return owner !== null && owner !== sku ? [{ barcode, sku: owner }] : [];
    });
    if (taken.length > 0) {
      const detail = taken.map((owner) => `${owner.barcode} belongs to ${owner.sku}`).join(", ");
      return fail("conflict", `A barcode belongs to one SKU at a time: ${detail}`, { barcodes: taken.map((owner) => owner.barcode) });
    }
    const current = this.item(sku);
    const values = { name: input.name, barcodes: input.barcodes, price: input.price, currency: input.currency };
    if (current && canonicalJson(values) === canonicalJson({ name: current.name, barcodes: current.barcodes, price: current.price, currency: current.currency })) {
      return { ok: true, item: current, changed: false };
    }
    const row = { sku, ...values, seq: this.nextSeq(), updatedAt: now };
    for (const barcode of current?.barcodes ?? []) this.owners.set(barcode, null);
    for (const barcode of input.barcodes) this.owners.set(barcode, sku);
    this.current.set(sku, row);
    this.changed.set(sku, row);
    return { ok: true, item: row, changed: true };
  }

  /** Writes each changed item's last state and its barcodes. Call once, inside the transaction that read them. */
  flush(): void {
    const rows = [...this.changed.values()];
    if (rows.length === 0) return;
    this.db.run(sql`
      INSERT INTO ${items} (sku, name, barcodes, price, currency, seq, updated_at)
      SELECT json_extract(value, '$.sku'), json_extract(value, '$.name'), json_extract(value, '$.barcodes'), json_extract(value, '$.price'),
             json_extract(value, '$.currency'), json_extract(value, '$.seq'), json_extract(value, '$.updatedAt')
        FROM json_each(${JSON.stringify(rows)}) WHERE true
      ON CONFLICT (sku) DO UPDATE SET name = excluded.name, barcodes = excluded.barcodes, price = excluded.price,
        currency = excluded.currency, seq = excluded.seq, updated_at = excluded.updated_at`);
    // Released codes go before taken ones: a code may move from one changed SKU to another.
    this.db.delete(barcodes).where(inArray(barcodes.sku, jsonList(rows.map((row) => row.sku)))).run();
    const owned = rows.flatMap((row) => row.barcodes.map((barcode) => [barcode, row.sku]));
    if (owned.length > 0) {
      this.db.run(sql`INSERT INTO ${barcodes} (barcode, sku) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${JSON.stringify(owned)})`);
    }
    this.changed.clear();
  }
}
