import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export { eventOutbox } from "./event-outbox.ts";
export { idempotencyKeys } from "./idempotency.ts";

/** The object's tenant, fixed by its first write (alarms need it to reach SKU objects). */
export const meta = sqliteTable("meta", {
  id: integer("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
});

export const returns = sqliteTable(
  "returns",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    orderId: text("order_id").notNull(),
    /** A channel's own id for the return (e.g. `shopify-refund:<id>`): opening it again finds this one. */
    externalKey: text("external_key"),
    status: text("status", { enum: ["open", "partially_received", "received"] }).notNull(),
    currency: text("currency").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [uniqueIndex("returns_external_key").on(table.externalKey), index("returns_order").on(table.orderId)],
);

export const returnLines = sqliteTable(
  "return_lines",
  {
    returnId: text("return_id").notNull(),
    sku: text("sku").notNull(),
    qty: integer("qty").notNull(),
    reason: text("reason").notNull(),
    received: integer("received").notNull(),
  },
  (table) => [primaryKey({ columns: [table.returnId, table.sku] })],
);

/** Every unit received, one row per line of a receipt, with the refund it earned. */
export const receivedLines = sqliteTable(
  "received_lines",
  {
    returnId: text("return_id").notNull(),
    receipt: integer("receipt").notNull(),
    line: integer("line").notNull(),
    sku: text("sku").notNull(),
    qty: integer("qty").notNull(),
    location: text("location").notNull(),
    disposition: text("disposition", { enum: ["restock", "damaged", "vendor_return"] }).notNull(),
    refund: integer("refund").notNull(),
    at: integer("at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.returnId, table.receipt, table.line] })],
);

/**
 * Per order and SKU, across all of the order's returns: what was ordered
 * and its amount (copied from the order at the first return), units
 * already returned (opened) and received. Only this object writes it, one
 * request at a time: two returns can never both take the same units.
 */
export const orderTally = sqliteTable(
  "order_tally",
  {
    orderId: text("order_id").notNull(),
    sku: text("sku").notNull(),
    ordered: integer("ordered").notNull(),
    amount: integer("amount").notNull(),
    returned: integer("returned").notNull(),
    received: integer("received").notNull(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.sku] })],
);

/**
 * What a receipt must do to a SKU object, written in the receipt's
 * transaction and applied after it with a deterministic Idempotency-Key
 * (the row's id): a crash in between is finished by the alarm, and a
 * retry never moves stock twice.
 */
export const stockEffects = sqliteTable(
  "stock_effects",
  {
    id: text("id").primaryKey(),
    returnId: text("return_id").notNull(),
    kind: text("kind", { enum: ["restock", "write_off"] }).notNull(),
    sku: text("sku").notNull(),
    location: text("location").notNull(),
    qty: integer("qty").notNull(),
    reference: text("reference").notNull(),
    state: text("state", { enum: ["pending", "applied", "failed"] }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("stock_effects_state").on(table.state)],
);

export const returnEvents = sqliteTable(
  "return_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    returnId: text("return_id").notNull(),
    type: text("type").notNull(),
    detail: text("detail", { mode: "json" }).$type<Record<string, string | number | boolean | null | string[]>>(),
    at: integer("at").notNull(),
  },
  (table) => [index("return_events_return").on(table.returnId, table.seq)],
);
