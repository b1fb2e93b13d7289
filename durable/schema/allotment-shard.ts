import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export { idempotencyKeys } from "./idempotency.ts";

/**
 * Which flash sale the shard serves (`generation`: when the SKU object marked
 * the channel hot) and whether it has cooled: then units that come free here
 * go back to the SKU object.
 */
export const shardState = sqliteTable("shard_state", {
  id: integer("id").primaryKey(),
  generation: integer("generation").notNull(),
  cooled: integer("cooled", { mode: "boolean" }).notNull(),
});

/** Units the SKU object handed to this shard that no reservation holds, per location. */
export const freeUnits = sqliteTable("free_units", {
  location: text("location").primaryKey(),
  qty: integer("qty").notNull(),
});

export const shardReservations = sqliteTable(
  "reservations",
  {
    id: text("id").primaryKey(),
    qty: integer("qty").notNull(),
    status: text("status", { enum: ["active", "committed", "released", "expired"] }).notNull(),
    reference: text("reference").notNull(),
    allocations: text("allocations", { mode: "json" }).$type<{ location: string; qty: number }[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    closedAt: integer("closed_at"),
    /** For a committed reservation: whether the SKU object has applied the commit (it is sent until it has). */
    reported: integer("reported", { mode: "boolean" }).notNull(),
  },
  (table) => [index("shard_reservations_active_expiry").on(table.status, table.expiresAt), index("shard_reservations_unreported").on(table.reported)],
);

/** Transfers from the SKU object credited here, by id: a resent transfer changes nothing. */
export const transfersIn = sqliteTable("transfers_in", {
  id: text("id").primaryKey(),
  at: integer("at").notNull(),
});

/** Units given back to the SKU object: debited here first, pending until the SKU object has applied them. */
export const transfersOut = sqliteTable("transfers_out", {
  id: text("id").primaryKey(),
  allocations: text("allocations", { mode: "json" }).$type<{ location: string; qty: number }[]>().notNull(),
  status: text("status", { enum: ["pending", "done"] }).notNull(),
  at: integer("at").notNull(),
});

/**
 * Units the shard owes the SKU object at a location: a snapshot or a store
 * sale took units there that the shard's reservations held. Units that come
 * free there go back until the debt is paid, rather than being sold again.
 */
export const debts = sqliteTable("debts", {
  location: text("location").primaryKey(),
  qty: integer("qty").notNull(),
});
