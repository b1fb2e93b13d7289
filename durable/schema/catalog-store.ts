import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export { idempotencyKeys } from "./idempotency.ts";

/** The last feed sequence number handed out. */
export const catalogMeta = sqliteTable("catalog_meta", {
  id: integer("id").primaryKey(),
  lastSeq: integer("last_seq").notNull(),
});

/** One row per SKU, its latest state; `seq` is its place in the feed and moves on every change. */
export const items = sqliteTable(
  "items",
  {
    sku: text("sku").primaryKey(),
    name: text("name").notNull(),
    barcodes: text("barcodes", { mode: "json" }).$type<string[]>().notNull(),
    price: integer("price").notNull(),
    currency: text("currency").notNull(),
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // items_currency: the catalog's one currency is two lookups (min, max), not a scan of every item.
  (table) => [index("items_feed").on(table.seq), index("items_currency").on(table.currency)],
);

/** Which SKU a barcode belongs to: at most one per tenant. */
export const barcodes = sqliteTable(
  "barcodes",
  {
    barcode: text("barcode").primaryKey(),
    sku: text("sku").notNull(),
  },
  (table) => [index("barcodes_sku").on(table.sku)],
);

export const promotions = sqliteTable(
  "promotions",
  {
    id: text("id").primaryKey(),
    name: text("name"),
    skus: text("skus", { mode: "json" }).$type<string[]>().notNull(),
    percentOff: integer("percent_off"),
    amountOff: integer("amount_off"),
    startsAt: integer("starts_at").notNull(),
    endsAt: integer("ends_at").notNull(),
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("promotions_feed").on(table.seq)],
);
