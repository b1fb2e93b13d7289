import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { OrderStatus, ShortagePolicy } from "../../shared/schemas/orders.ts";

export { idempotencyKeys } from "./idempotency.ts";

/**
 * One row per order of the tenant, as its order object last published it.
 * `seq` is the listing order (admission order) and the cursor.
 */
export const orders = sqliteTable(
  "orders",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    orderId: text("order_id").notNull().unique(),
    channel: text("channel").notNull(),
    externalId: text("external_id").notNull(),
    status: text("status").$type<OrderStatus>().notNull(),
    version: integer("version").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("orders_status").on(table.status, table.seq), index("orders_channel").on(table.channel, table.seq), index("orders_created").on(table.createdAt)],
);

/** The tenant's order settings (one row; defaults apply while there is none). */
export const orderSettings = sqliteTable("order_settings", {
  id: integer("id").primaryKey(),
  shortagePolicy: text("shortage_policy").$type<ShortagePolicy>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});
