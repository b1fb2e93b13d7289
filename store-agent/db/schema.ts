import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The agent's one row of state: which store this data dir belongs to, the
 * last sequence number handed out, and how the link to the edge is doing.
 * `lastSequence` only moves in the transaction that inserts that row, so the
 * sequence has no gaps.
 */
export const agentState = sqliteTable("agent_state", {
  id: integer("id").primaryKey(),
  location: text("location").notNull(),
  lastSequence: integer("last_sequence").notNull(),
  feedCursor: text("feed_cursor"),
  lastPushOkAt: integer("last_push_ok_at"),
  lastPullOkAt: integer("last_pull_ok_at"),
  lastPushError: text("last_push_error", { mode: "json" }).$type<LinkError>(),
  lastPullError: text("last_pull_error", { mode: "json" }).$type<LinkError>(),
  /** Whether the last attempt to reach the edge (push or pull) got an answer from it. */
  edgeReachable: integer("edge_reachable", { mode: "boolean" }),
  edgeCheckedAt: integer("edge_checked_at"),
  edgeHighWaterMark: integer("edge_high_water_mark"),
  edgeGaps: text("edge_gaps", { mode: "json" }).$type<{ from: number; to: number }[]>(),
  /** Written every few seconds by a running agent; `status` from the CLI reads it to tell whether one runs. */
  heartbeatAt: integer("heartbeat_at"),
  createdAt: integer("created_at").notNull(),
});

export interface LinkError {
  at: number;
  message: string;
  status?: number;
  code?: string;
}

/**
 * Written as a literal, not a bound parameter, in the partial indexes and in
 * every query that should use them: SQLite only matches an identical term.
 */
export const pendingCondition = `"outbox"."status" = 'pending'`;
export const isPending = sql.raw(pendingCondition);
export const isSent = sql.raw(`"outbox"."status" = 'sent'`);

export const outboxStatuses = ["pending", "sent", "dead_letter"] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

/**
 * Every POS transaction the agent acknowledged, in store sequence order.
 * A row leaves `pending` only when the edge answered for it: `sent` when it
 * was accepted or already known, `dead_letter` when it was rejected for good.
 * `transactionId` is the terminal's id and the idempotency key, so it is unique.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    sequence: integer("sequence").primaryKey(),
    transactionId: text("transaction_id").notNull().unique(),
    terminalId: text("terminal_id").notNull(),
    type: text("type", { enum: ["sale", "return", "void"] }).notNull(),
    receiptNumber: text("receipt_number").notNull(),
    /** The validated PosTransaction, as JSON, exactly as it is sent to the edge. */
    body: text("body").notNull(),
    bodyHash: text("body_hash").notNull(),
    recordedAt: integer("recorded_at").notNull(),
    status: text("status", { enum: outboxStatuses }).notNull(),
    edgeStatus: text("edge_status", { enum: ["accepted", "duplicate", "rejected"] }),
    sentAt: integer("sent_at"),
    /** The transaction's W3C trace: a span of the terminal's trace, or the first of a new one (docs/decisions/0037-tracing.md). */
    traceparent: text("traceparent"),
  },
  (table) => [
    index("outbox_pending").on(table.sequence).where(isPending),
    index("outbox_sent_at").on(table.sentAt).where(isSent),
  ],
);

/** Transactions the edge rejected for good, with its reason: kept for a person to look at, never resent. */
export const deadLetter = sqliteTable("dead_letter", {
  sequence: integer("sequence").primaryKey(),
  transactionId: text("transaction_id").notNull(),
  code: text("code").notNull(),
  reason: text("reason"),
  body: text("body").notNull(),
  deadAt: integer("dead_at").notNull(),
});

/** The store's cached catalog, prices, promotions and stock, from the edge's feed. */
export const catalogItems = sqliteTable("catalog_items", {
  sku: text("sku").primaryKey(),
  name: text("name").notNull(),
  price: integer("price").notNull(),
  currency: text("currency").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const catalogBarcodes = sqliteTable(
  "catalog_barcodes",
  {
    barcode: text("barcode").primaryKey(),
    sku: text("sku").notNull(),
  },
  (table) => [index("catalog_barcodes_sku").on(table.sku)],
);

export const promotions = sqliteTable("promotions", {
  id: text("id").primaryKey(),
  name: text("name"),
  percentOff: integer("percent_off"),
  amountOff: integer("amount_off"),
  /** Milliseconds since the epoch, so "active now" is a plain comparison. */
  startsAt: integer("starts_at").notNull(),
  endsAt: integer("ends_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const promotionSkus = sqliteTable(
  "promotion_skus",
  {
    promotionId: text("promotion_id").notNull(),
    sku: text("sku").notNull(),
  },
  (table) => [primaryKey({ columns: [table.promotionId, table.sku] }), index("promotion_skus_sku").on(table.sku)],
);

export const stock = sqliteTable("stock", {
  sku: text("sku").primaryKey(),
  onHand: integer("on_hand").notNull(),
  available: integer("available").notNull(),
  /** Of the store's lease, what it may sell offline without uncovering a channel's reservation, as of `updatedAt` (docs/decisions/0033). */
  leased: integer("leased").notNull().default(0),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Terminals paired with this agent. Only the SHA-256 of a terminal's token is
 * kept; a token is 256 random bits, so a fast hash is enough. A revoked
 * terminal keeps its row (for the record) and is refused from its next request.
 */
export const terminals = sqliteTable("terminals", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  pairedAt: integer("paired_at").notNull(),
  revokedAt: integer("revoked_at"),
});

/**
 * One-time pairing codes from `shelfsync-agent terminals pair`, kept as their
 * SHA-256. A code is used (`usedAt`, `terminalId`) in the same write that
 * creates the terminal, so it pairs at most one.
 */
export const pairingCodes = sqliteTable("pairing_codes", {
  codeHash: text("code_hash").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
  terminalId: text("terminal_id"),
});

/** Managers who may approve blind returns and negative tenders; `pinHash` is scrypt (`scrypt$N$salt$hash`). */
export const managers = sqliteTable("managers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  pinHash: text("pin_hash").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * What the store knows of each customer it looked up, for the till to use
 * offline (docs/decisions/0038, "The store offline"): the balance the edge
 * last reported and the hold the agent placed at the edge for this store's
 * offline redemptions. A hold backs one redemption (the edge releases the
 * rest of it when a redemption spends it), so `redeemedBy` set means the
 * hold is used up here. `redeemedBy`/`redeemedPoints` change only in the
 * write that records that sale in the outbox.
 */
export const loyaltyAllowances = sqliteTable(
  "loyalty_allowances",
  {
    customerId: text("customer_id").primaryKey(),
    loyaltyId: text("loyalty_id"),
    name: text("name"),
    balance: integer("balance").notNull(),
    holdId: text("hold_id"),
    heldPoints: integer("held_points").notNull().default(0),
    /** By the agent's clock, counted from when it asked for the hold, so never later than the edge's expiry. */
    holdExpiresAt: integer("hold_expires_at"),
    redeemedPoints: integer("redeemed_points").notNull().default(0),
    redeemedBy: text("redeemed_by"),
    /** When the edge gave these figures (the agent's clock). */
    asOf: integer("as_of").notNull(),
  },
  (table) => [index("loyalty_allowances_loyalty_id").on(table.loyaltyId)],
);

/**
 * Which customer a till's email or phone found, for lookups by contact
 * while offline (docs/decisions/0038): the contact itself is not kept, only
 * a SHA-256 of it as the agent reads it (lower-cased email, E.164 phone)
 * with the store's location, so the file names no one by their contact.
 * Written by each online lookup by contact; removed when the edge no longer
 * finds it.
 */
export const customerContacts = sqliteTable(
  "customer_contacts",
  {
    digest: text("digest").primaryKey(),
    customerId: text("customer_id").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (table) => [index("customer_contacts_customer").on(table.customerId)],
);
