import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** When the store was last heard from (a POS batch or a feed pull), as far as its leases go. */
export const storeContact = sqliteTable("store_contact", {
  id: integer("id").primaryKey(),
  lastContactAt: integer("last_contact_at").notNull(),
});

/**
 * The SKUs the store holds a lease of, and whether the lease is suspended
 * because the store fell silent. `pending`: the SKU object has not yet been
 * told of the latest suspend or resume (the alarm tells it again).
 */
export const storeLeases = sqliteTable("store_leases", {
  sku: text("sku").primaryKey(),
  lapseAfterMs: integer("lapse_after_ms").notNull(),
  suspended: integer("suspended", { mode: "boolean" }).notNull(),
  pending: integer("pending", { mode: "boolean" }).notNull(),
});
