import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { AgentDatabase } from "./db/client.ts";
import { catalogBarcodes, catalogItems, outbox, promotionSkus, promotions, stock } from "./db/schema.ts";
import type { PosItem } from "../shared/schemas/store-agent.ts";

/**
 * A unit price after a promotion, in minor units: percent off rounds the
 * discount half up to the nearest minor unit; never below zero.
 *
 * @example
 * discountedPrice(1999, { percentOff: 15, amountOff: null }) // 1699
 */
export function discountedPrice(price: number, promotion: { percentOff: number | null; amountOff: number | null }): number {
  const discount = promotion.percentOff !== null ? Math.round((price * promotion.percentOff) / 100) : (promotion.amountOff ?? 0);
  return Math.max(0, price - discount);
}

/** Looks an item up by SKU, then by barcode, in the local copy of the feed; null when it is not there. */
export async function lookUpItem(store: AgentDatabase, skuOrBarcode: string, now: number = Date.now()): Promise<PosItem | null> {
  const db = store.db;
  const item =
    (await db.select().from(catalogItems).where(eq(catalogItems.sku, skuOrBarcode)).get()) ??
    (await db
      .select({ sku: catalogItems.sku, name: catalogItems.name, price: catalogItems.price, currency: catalogItems.currency, updatedAt: catalogItems.updatedAt })
      .from(catalogBarcodes)
      .innerJoin(catalogItems, eq(catalogItems.sku, catalogBarcodes.sku))
      .where(eq(catalogBarcodes.barcode, skuOrBarcode))
      .get());
  if (!item) return null;

  const [barcodes, active, level] = await Promise.all([
    db.select({ barcode: catalogBarcodes.barcode }).from(catalogBarcodes).where(eq(catalogBarcodes.sku, item.sku)).orderBy(catalogBarcodes.barcode),
    db
      .select({ id: promotions.id, name: promotions.name, percentOff: promotions.percentOff, amountOff: promotions.amountOff, endsAt: promotions.endsAt })
      .from(promotionSkus)
      .innerJoin(promotions, eq(promotions.id, promotionSkus.promotionId))
      .where(and(eq(promotionSkus.sku, item.sku), lte(promotions.startsAt, now), gt(promotions.endsAt, now))),
    db.select({ onHand: stock.onHand, available: stock.available, leased: stock.leased, updatedAt: stock.updatedAt }).from(stock).where(eq(stock.sku, item.sku)).get(),
  ]);
  const codes = [item.sku, ...barcodes.map((b) => b.barcode)];
  const soldSince = level ? await unitsSoldSince(store, codes, Date.parse(level.updatedAt)) : 0;

  const best = active
    .map((p) => ({ ...p, endsAt: new Date(p.endsAt).toISOString(), discountedPrice: discountedPrice(item.price, p) }))
    .sort((a, b) => a.discountedPrice - b.discountedPrice || a.id.localeCompare(b.id))[0];
  return {
    sku: item.sku,
    name: item.name,
    barcodes: barcodes.map((b) => b.barcode),
    price: item.price,
    currency: item.currency,
    promotion: best ?? null,
    stock: level ? { ...level, maySellOffline: Math.max(0, level.leased - soldSince) } : null,
    updatedAt: item.updatedAt,
  };
}

/**
 * Units of the item (by SKU or any of its barcodes, as lines carry either)
 * the store sold that the edge's figure of `figureAt` cannot include yet:
 * sales still waiting to be sent, and sales sent after the figure. Rejected
 * (dead-lettered) sales never moved stock and do not count.
 */
async function unitsSoldSince(store: AgentDatabase, codes: string[], figureAt: number): Promise<number> {
  const line = sql.raw("line.value");
  const row = await store.db
    .select({ units: sql<number>`coalesce(sum(json_extract(${line}, '$.qty')), 0)` })
    .from(sql`${outbox}, json_each(${outbox.body}, '$.lines') as line`)
    .where(
      and(
        eq(outbox.type, "sale"),
        sql`(${outbox.status} = 'pending' or (${outbox.status} = 'sent' and ${outbox.sentAt} > ${figureAt}))`,
        sql`json_extract(${line}, '$.sku') in (${sql.join(codes.map((code) => sql`${code}`), sql`, `)})`,
      ),
    )
    .get();
  return Number(row?.units ?? 0);
}
