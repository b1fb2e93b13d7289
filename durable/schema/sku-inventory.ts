import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export { idempotencyKeys } from "./idempotency.ts";

/**
 * The object's identity and how far it has published. The SKU's version is
 * the sequence number of its latest ledger entry.
 */
export const skuMeta = sqliteTable("sku_meta", {
  id: integer("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  sku: text("sku").notNull(),
  publishedVersion: integer("published_version").notNull(),
});

export const locationStock = sqliteTable("location_stock", {
  location: text("location").primaryKey(),
  onHand: integer("on_hand").notNull(),
  safetyStock: integer("safety_stock").notNull(),
  reserved: integer("reserved").notNull(),
});

export const reservations = sqliteTable(
  "reservations",
  {
    id: text("id").primaryKey(),
    channel: text("channel").notNull(),
    qty: integer("qty").notNull(),
    status: text("status", { enum: ["active", "committed", "released", "expired"] }).notNull(),
    reference: text("reference").notNull(),
    /** Where the units are held, in routing priority order. */
    allocations: text("allocations", { mode: "json" }).$type<{ location: string; qty: number }[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    closedAt: integer("closed_at"),
  },
  (table) => [index("reservations_active_expiry").on(table.status, table.expiresAt)],
);

export const posLedgerTypes = ["pos_sale", "pos_return", "pos_void"] as const;

/** A POS line's entry, in the exact form of the `ledger_pos_key` index's condition so that SQLite uses it. */
export const isPosEntry = sql.raw(`"type" in (${posLedgerTypes.map((type) => `'${type}'`).join(", ")})`);

export const ledger = sqliteTable(
  "ledger",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    type: text("type", { enum: ["snapshot", "adjustment", "reservation", "commit", "release", "expiry", "write_off", ...posLedgerTypes] }).notNull(),
    location: text("location").notNull(),
    onHandDelta: integer("on_hand_delta").notNull(),
    reservedDelta: integer("reserved_delta").notNull(),
    safetyStockDelta: integer("safety_stock_delta").notNull(),
    reason: text("reason"),
    reference: text("reference"),
    reservationId: text("reservation_id"),
    idempotencyKey: text("idempotency_key"),
    at: integer("at").notNull(),
    /** When the movement happened, if not when it was recorded (`at`): a POS sale replayed late by an offline store. */
    occurredAt: integer("occurred_at"),
  },
  // A POS line moves stock once for good: its key is unique among POS entries, and
  // the ledger is never pruned (unlike the 24-hour idempotency records).
  (table) => [uniqueIndex("ledger_pos_key").on(table.idempotencyKey).where(isPosEntry)],
);

/**
 * Per location, the latest stock count applied (an ERP snapshot with its
 * as-of time): a count older than it is ignored, and a POS movement that
 * occurred before it is already in it (docs/decisions/0023-stock-counts-as-of.md).
 */
export const locationCounts = sqliteTable("location_counts", {
  location: text("location").primaryKey(),
  asOf: integer("as_of").notNull(),
  /** The key of the import row that set it: applying that row again changes nothing. */
  key: text("key").notNull(),
});
