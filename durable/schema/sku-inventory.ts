import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  /** Bumped when a flash sale's shard reports a change: the read model then needs the shards' figures again. */
  shardMoves: integer("shard_moves").notNull().default(0),
});

export const locationStock = sqliteTable("location_stock", {
  location: text("location").primaryKey(),
  onHand: integer("on_hand").notNull(),
  safetyStock: integer("safety_stock").notNull(),
  reserved: integer("reserved").notNull(),
  /** The store's lease in force here (0: none, or suspended): units no channel may reserve (docs/decisions/0033). */
  leased: integer("leased").notNull().default(0),
});

/**
 * A store's lease of this SKU at its location, as the tenant set it: a fixed
 * number of units, or sized from the store's POS sales (units an hour over
 * the trailing week × `coverHours`, at most `maxUnits`). The units in force
 * are `location_stock.leased`; a suspended lease (the store silent too long)
 * holds none until the store is heard from again.
 */
export const locationLeases = sqliteTable("location_leases", {
  location: text("location").primaryKey(),
  units: integer("units"),
  coverHours: real("cover_hours"),
  maxUnits: integer("max_units"),
  suspended: integer("suspended", { mode: "boolean" }).notNull().default(false),
  /** When a sized lease was last sized (re-sized at most hourly, as the store's sales arrive). */
  sizedAt: integer("sized_at").notNull(),
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
    type: text("type", { enum: ["snapshot", "adjustment", "reservation", "commit", "release", "expiry", "write_off", "allotment", "allotment_return", "lease", ...posLedgerTypes] }).notNull(),
    location: text("location").notNull(),
    onHandDelta: integer("on_hand_delta").notNull(),
    reservedDelta: integer("reserved_delta").notNull(),
    safetyStockDelta: integer("safety_stock_delta").notNull(),
    leasedDelta: integer("leased_delta").notNull().default(0),
    reason: text("reason"),
    reference: text("reference"),
    reservationId: text("reservation_id"),
    idempotencyKey: text("idempotency_key"),
    at: integer("at").notNull(),
    /** When the movement happened, if not when it was recorded (`at`): a POS sale replayed late by an offline store. */
    occurredAt: integer("occurred_at"),
    /** The trace (W3C trace id) of the change that wrote it: a POS sale's, an order's or a reservation request's. */
    traceId: text("trace_id"),
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

/** Channels this SKU is hot for (a flash sale): their pool reservations are served by `shards` allotment shards. */
export const hotChannels = sqliteTable("hot_channels", {
  channel: text("channel").primaryKey(),
  shards: integer("shards").notNull(),
  since: integer("since").notNull(),
  /** For a sale that started by itself: the channel's autoHot rate that started it (it cools below a quarter of it); null when the tenant marked it. */
  autoRate: integer("auto_rate"),
});

/**
 * Units handed to one shard of a hot channel and not back yet: free there,
 * reserved there, or on their way. They count in the location's `reserved`
 * (nothing else may sell them) until they come back or are committed.
 */
export const allotments = sqliteTable(
  "allotments",
  {
    channel: text("channel").notNull(),
    shard: integer("shard").notNull(),
    location: text("location").notNull(),
    qty: integer("qty").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.shard, table.location] })],
);

/**
 * Units moved between this object and a shard, by id. `out`: debited here,
 * pending until the shard has credited them (the alarm sends them again);
 * `in`: a shard's give-back, applied once however often it is sent.
 */
export const allotmentTransfers = sqliteTable("allotment_transfers", {
  id: text("id").primaryKey(),
  channel: text("channel").notNull(),
  shard: integer("shard").notNull(),
  direction: text("direction", { enum: ["out", "in"] }).notNull(),
  allocations: text("allocations", { mode: "json" }).$type<{ location: string; qty: number }[]>().notNull(),
  status: text("status", { enum: ["pending", "done"] }).notNull(),
  at: integer("at").notNull(),
});

/** Shard reservations whose commit was applied here (onHand down, allotment down), by reservation id. */
export const shardCommits = sqliteTable("shard_commits", {
  reservationId: text("reservation_id").primaryKey(),
  at: integer("at").notNull(),
});
