import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { LoyaltyEntryType, LoyaltySourceKind } from "../../shared/schemas/loyalty.ts";

export { idempotencyKeys } from "./idempotency.ts";

/** Points taken from lots, in the order they were taken: a hold's or a redemption's. */
export type LotTake = { lot: string; points: number }[];

/**
 * Points earned together, with one expiry. `remaining` = points neither
 * spent, reversed nor expired (held ones included); `held` ≤ `remaining`.
 * An expired lot keeps only its held points, until their hold closes.
 */
export const lots = sqliteTable(
  "lots",
  {
    id: text("id").primaryKey(),
    earned: integer("earned").notNull(),
    remaining: integer("remaining").notNull(),
    held: integer("held").notNull(),
    /** Points of this lot that lapsed. */
    expiredPoints: integer("expired_points").notNull(),
    /** Points of its earning undone by reversals (taken from this lot, other lots, or owed). */
    reversed: integer("reversed").notNull(),
    earnedAt: integer("earned_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    expired: integer("expired", { mode: "boolean" }).notNull(),
    reference: text("reference").notNull(),
    /** The source key of the earning that made it (null for an adjustment). */
    sourceKey: text("source_key"),
  },
  (table) => [index("lots_source_key").on(table.sourceKey), index("lots_expires_at").on(table.expiresAt)],
);

export const holds = sqliteTable("holds", {
  id: text("id").primaryKey(),
  points: integer("points").notNull(),
  status: text("status").$type<"active" | "redeemed" | "released" | "expired">().notNull(),
  reference: text("reference").notNull(),
  takes: text("takes", { mode: "json" }).$type<LotTake>().notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  closedAt: integer("closed_at"),
});

export const redemptions = sqliteTable("redemptions", {
  id: text("id").primaryKey(),
  points: integer("points").notNull(),
  reference: text("reference").notNull(),
  holdId: text("hold_id"),
  takes: text("takes", { mode: "json" }).$type<LotTake>().notNull(),
  /** Points given back by reversals so far. */
  reversed: integer("reversed").notNull(),
  at: integer("at").notNull(),
});

/** The ledger: every change of the balance or of the points held, in order. */
export const entries = sqliteTable("entries", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  type: text("type").$type<LoyaltyEntryType>().notNull(),
  balanceDelta: integer("balance_delta").notNull(),
  heldDelta: integer("held_delta").notNull(),
  source: text("source").$type<LoyaltySourceKind>().notNull(),
  reference: text("reference").notNull(),
  holdId: text("hold_id"),
  at: integer("at").notNull(),
});

/**
 * Each source applied once, for ever (idempotency records are pruned after
 * a while; a store may replay a sale weeks later): the key derived from the
 * source, and the answer it got.
 */
export const sources = sqliteTable("sources", {
  key: text("key").primaryKey(),
  outcome: text("outcome", { mode: "json" }).notNull(),
  at: integer("at").notNull(),
});

/** Points a reversal took beyond what the customer had, when the programme lets the balance go below zero. */
export const account = sqliteTable("account", {
  id: integer("id").primaryKey(),
  debt: integer("debt").notNull(),
});
