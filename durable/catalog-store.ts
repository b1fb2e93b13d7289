import { asc, count, eq, gt, inArray, max, min } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { canonicalJson } from "../shared/ids.ts";
import type { CatalogItem, Promotion, PutCatalogItemRequest, PutPromotionRequest } from "../shared/schemas/catalog.ts";
import { ItemWrites, type ItemRow } from "./catalog-item-writes.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/catalog-store/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import { chunks } from "./paging.ts";
import * as schema from "./schema/catalog-store.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { items, barcodes, promotions } = schema;

/** One change of the catalog feed: the latest state of an item or a promotion, at its feed position. */
export type CatalogChange = { seq: number; at: number } & ({ kind: "item"; item: CatalogItem } | { kind: "promotion"; promotion: Promotion });

/** What became of one imported row: applied (changed or the same already), or refused with the reason. */
export type ImportOutcome = { key: string; ok: true; changed: boolean } | { key: string; ok: false; reason: string };

/** What a POS line's code names: the SKU itself, or the SKU one of whose barcodes it is. */
export interface ResolvedCode {
  sku: string;
  known: boolean;
}

/**
 * One per tenant: catalog items (name, barcodes, price) and promotions. Every
 * change takes the next feed sequence number, so the stores' feed lists each
 * item and promotion once, with its latest state, in change order. A PUT that
 * changes nothing keeps its place.
 */
export class CatalogStore extends ShelfsyncObject<typeof schema, TenantIdentity> {
  /** The last feed sequence number given out. */
  private readonly meta = singleRow(this.db, schema.catalogMeta);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  async putItem(sku: string, input: PutCatalogItemRequest, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ item: CatalogItem; changed: boolean }>>> {
    return this.idempotentTransaction(idempotency, (now) =>
      this.writeItems([sku], input.barcodes, (writes) => {
        const result = writes.upsert(sku, input, now);
        return result.ok ? { ok: true, item: toItem(result.item), changed: result.changed } : result;
      }),
    );
  }

  /**
   * ERP item rows, in order, through the same upsert as `putItem`, all in one
   * transaction. A row is refused (and changes nothing) when its barcodes
   * belong to another SKU, or its currency is not the item's, or, for a new
   * item, not the one currency the catalog had before the batch.
   */
  async importItems(rows: ({ key: string; sku: string } & PutCatalogItemRequest)[]): Promise<ImportOutcome[]> {
    const now = this.now();
    return this.transaction(() => {
      const catalogCurrency = this.catalogCurrency();
      const skus = rows.map((row) => row.sku);
      return this.writeItems(skus, rows.flatMap((row) => row.barcodes), (writes) =>
        rows.map(({ key, sku, ...input }): ImportOutcome => {
          const current = writes.item(sku);
          const expected = current?.currency ?? catalogCurrency;
          if (expected !== null && input.currency !== expected) return { key, ok: false, reason: `currency ${input.currency} does not match ${current ? `the item's` : "the catalog's"} ${expected}` };
          const result = writes.upsert(sku, input, now);
          return result.ok ? { key, ok: true, changed: result.changed } : { key, ok: false, reason: result.detail };
        }),
      );
    });
  }

  /** ERP price rows, in order: only items the catalog has, in their own currency; the rest of the item stays as it is. */
  async importPrices(rows: { key: string; sku: string; price: number; currency: string }[]): Promise<ImportOutcome[]> {
    const now = this.now();
    return this.transaction(() =>
      this.writeItems(rows.map((row) => row.sku), [], (writes) =>
        rows.map(({ key, sku, price, currency }): ImportOutcome => {
          const current = writes.item(sku);
          if (!current) return { key, ok: false, reason: `unknown SKU ${sku}: the catalog has no such item` };
          if (current.currency !== currency) return { key, ok: false, reason: `currency ${currency} does not match the item's ${current.currency}` };
          const result = writes.upsert(sku, { name: current.name, barcodes: current.barcodes, price, currency }, now);
          return result.ok ? { key, ok: true, changed: result.changed } : { key, ok: false, reason: result.detail };
        }),
      ),
    );
  }

  /** The one currency of the catalog's items, or null when it has none (or several): two lookups in the currency index. */
  private catalogCurrency(): string | null {
    const lowest = this.db.select({ currency: min(items.currency) }).from(items).get()?.currency ?? null;
    const highest = this.db.select({ currency: max(items.currency) }).from(items).get()?.currency ?? null;
    return lowest !== null && lowest === highest ? lowest : null;
  }

  /**
   * Item writes in one transaction (call inside it): `decide` upserts through
   * `ItemWrites`, which reads `skus` and the owners of `codes` first and writes
   * every change at the end; the feed sequence is read and stored once.
   */
  private writeItems<T>(skus: readonly string[], codes: readonly string[], decide: (writes: ItemWrites) => T): T {
    const first = this.meta.get()?.lastSeq ?? 0;
    let last = first;
    const writes = new ItemWrites(this.db, skus, codes, () => ++last);
    const result = decide(writes);
    writes.flush();
    if (last !== first) this.meta.put({ lastSeq: last });
    return result;
  }

  async getItem(sku: string): Promise<Result<{ item: CatalogItem }>> {
    const row = this.db.select().from(items).where(eq(items.sku, sku)).get();
    return row ? { ok: true, item: toItem(row) } : fail("not_found", `No catalog item ${sku}`);
  }

  async putPromotion(id: string, input: PutPromotionRequest, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ promotion: Promotion; changed: boolean }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      const current = this.db.select().from(promotions).where(eq(promotions.id, id)).get();
      const values = {
        name: input.name ?? null,
        skus: input.skus,
        percentOff: input.percentOff ?? null,
        amountOff: input.amountOff ?? null,
        startsAt: Date.parse(input.startsAt),
        endsAt: Date.parse(input.endsAt),
      };
      if (current && canonicalJson(values) === canonicalJson(promotionContent(current))) {
        return { ok: true, promotion: toPromotion(current), changed: false };
      }
      const row = { id, ...values, seq: this.nextSeq(), updatedAt: now };
      this.db.insert(promotions).values(row).onConflictDoUpdate({ target: promotions.id, set: row }).run();
      return { ok: true, promotion: toPromotion(row), changed: true };
    });
  }

  async getPromotion(id: string): Promise<Result<{ promotion: Promotion }>> {
    const row = this.db.select().from(promotions).where(eq(promotions.id, id)).get();
    return row ? { ok: true, promotion: toPromotion(row) } : fail("not_found", `No promotion ${id}`);
  }

  /** For each code a POS line carried: the SKU it names, and whether the catalog knows it. */
  async resolveCodes(codes: string[]): Promise<Record<string, ResolvedCode>> {
    const unique = [...new Set(codes)];
    const resolved: Record<string, ResolvedCode> = Object.fromEntries(unique.map((code) => [code, { sku: code, known: false }]));
    for (const chunk of chunks(unique)) {
      for (const row of this.db.select({ sku: items.sku }).from(items).where(inArray(items.sku, chunk)).all()) resolved[row.sku] = { sku: row.sku, known: true };
    }
    const rest = unique.filter((code) => !resolved[code]!.known);
    for (const owner of this.barcodeOwners(rest)) resolved[owner.barcode] = { sku: owner.sku, known: true };
    return resolved;
  }

  /** Items and promotions changed after feed position `after`, in change order. */
  async changes(after: number, limit: number): Promise<{ changes: CatalogChange[]; hasMore: boolean }> {
    const itemRows = this.db.select().from(items).where(gt(items.seq, after)).orderBy(asc(items.seq)).limit(limit + 1).all();
    const promotionRows = this.db.select().from(promotions).where(gt(promotions.seq, after)).orderBy(asc(promotions.seq)).limit(limit + 1).all();
    const merged: CatalogChange[] = [
      ...itemRows.map((row): CatalogChange => ({ kind: "item", seq: row.seq, at: row.updatedAt, item: toItem(row) })),
      ...promotionRows.map((row): CatalogChange => ({ kind: "promotion", seq: row.seq, at: row.updatedAt, promotion: toPromotion(row) })),
    ].sort((a, b) => a.seq - b.seq);
    return { changes: merged.slice(0, limit), hasMore: merged.length > limit };
  }

  /** For the partner's usage report: how many items the catalog holds now. */
  async itemCount(): Promise<number> {
    return this.db.select({ n: count() }).from(items).get()!.n;
  }

  private barcodeOwners(codes: readonly string[]): { barcode: string; sku: string }[] {
    const owners: { barcode: string; sku: string }[] = [];
    for (const chunk of chunks(codes)) owners.push(...this.db.select().from(barcodes).where(inArray(barcodes.barcode, chunk)).all());
    return owners;
  }

  private nextSeq(): number {
    const seq = (this.meta.get()?.lastSeq ?? 0) + 1;
    this.meta.put({ lastSeq: seq });
    return seq;
  }
}

function toItem(row: ItemRow): CatalogItem {
  return { sku: row.sku, name: row.name, barcodes: row.barcodes, price: row.price, currency: row.currency, updatedAt: new Date(row.updatedAt).toISOString() };
}

function promotionContent({ name, skus, percentOff, amountOff, startsAt, endsAt }: typeof promotions.$inferSelect) {
  return { name, skus, percentOff, amountOff, startsAt, endsAt };
}

function toPromotion(row: typeof promotions.$inferSelect): Promotion {
  return {
    id: row.id,
    name: row.name,
    skus: row.skus,
    percentOff: row.percentOff,
    amountOff: row.amountOff,
    startsAt: new Date(row.startsAt).toISOString(),
    endsAt: new Date(row.endsAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
