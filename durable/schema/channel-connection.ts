import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { AmazonConnectionSettings, ConnectionLocations, ConnectionState, ShopifyConnectionSettings, WalmartConnectionSettings } from "../../shared/schemas/connections.ts";
import type { BucketState } from "../connectors/cost-bucket.ts";

/**
 * The connection itself (one row): its configuration, its credentials sealed
 * (durable/credentials.ts), how far it has read its channel's availability
 * change feed, and what it last heard of the remote's budget.
 */
export const connection = sqliteTable("connection", {
  id: integer("id").primaryKey(),
  type: text("type", { enum: ["shopify", "walmart", "amazon"] }).notNull(),
  channel: text("channel").notNull(),
  settings: text("settings", { mode: "json" }).$type<ShopifyConnectionSettings | WalmartConnectionSettings | AmazonConnectionSettings>().notNull(),
  sealedCredentials: text("sealed_credentials").notNull(),
  /** The credentials as GET shows them: each secret's last four characters. */
  maskedCredentials: text("masked_credentials", { mode: "json" }).$type<Record<string, string>>().notNull(),
  locations: text("locations", { mode: "json" }).$type<ConnectionLocations>().notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** The last sequence number of the channel's change feed read into remote_skus (the pool target's rows). */
  cursor: integer("cursor").notNull(),
  state: text("state").$type<ConnectionState>().notNull(),
  lastError: text("last_error"),
  lastErrorAt: integer("last_error_at"),
  /** Transient failures in a row: the backoff grows with them. */
  failures: integer("failures").notNull(),
  bucket: text("bucket", { mode: "json" }).$type<BucketState>(),
  /** What a set call last cost, as the remote counted it (requestedQueryCost). */
  writeCost: integer("write_cost"),
  /** Writes given a key so far: each new write's idempotency key includes its number. */
  batches: integer("batches").notNull(),
  /** When the remote's orders were last listed (epoch ms): the next listing asks for what changed since. */
  ordersCheckedAt: integer("orders_checked_at"),
  /** A remote with a rate per operation (Amazon): each operation's token bucket as last spent. */
  rateBuckets: text("rate_buckets", { mode: "json" }).$type<Record<string, BucketState>>(),
  /** Amazon: the next listing asks for orders updated at or after this (ISO 8601), the previous listing's `lastUpdatedBefore`. */
  ordersAfter: text("orders_after"),
  /** Amazon: a listing cut short between pages goes on from this page token (it expires after 24 hours). */
  ordersPageToken: text("orders_page_token"),
});

/** The pool target: the channel's availability. Any other target is a Shelfsync location id, which is never empty. */
export const poolTarget = "";

/**
 * One row per target and SKU: the availability Shelfsync wants on the
 * remote (the latest of the target's change feed: changes coalesce here) and
 * what the remote last confirmed. A target is the pool (`poolTarget`: the
 * channel's availability, to `locations.pool`) or a Shelfsync location (its
 * own available units, to its mapping in `locations.byLocation`). A row is
 * pending while the two differ. What belongs to the SKU itself (its remote
 * id, whether the remote lacks it) is the same on every target's row.
 */
export const remoteSkus = sqliteTable(
  "remote_skus",
  {
    target: text("target").notNull().default(""),
    sku: text("sku").notNull(),
    wanted: integer("wanted").notNull(),
    /** The change's sequence number in the target's own feed (the channel's, or the location's). */
    wantedSeq: integer("wanted_seq").notNull(),
    /** When Shelfsync's availability took the value now wanted (epoch ms): the start of its sync lag, and the push order across targets. */
    changedAt: integer("changed_at").notNull(),
    /** The remote's id for the SKU (Shopify: its inventory item); null until looked up. */
    remoteId: text("remote_id"),
    /** The remote has no item with this SKU: it waits in the exception queue instead of being retried. */
    unmapped: integer("unmapped", { mode: "boolean" }).notNull(),
    /** The value the remote last confirmed; null when unknown. */
    remote: integer("remote"),
    confirmedAt: integer("confirmed_at"),
    pending: integer("pending", { mode: "boolean" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.target, table.sku] }), index("remote_skus_pending").on(table.pending, table.changedAt), index("remote_skus_sku").on(table.sku)],
);

/** How far the connection has read each mapped location's stock feed into remote_skus. */
export const locationCursors = sqliteTable("location_cursors", {
  location: text("location").primaryKey(),
  cursor: integer("cursor").notNull(),
});

/** One quantity of a write: a SKU's value for one target. `target` absent (rows written before targets existed) is the pool. */
export interface InFlightQuantity {
  target?: string;
  sku: string;
  remoteId: string;
  quantity: number;
  changeFromQuantity: number | null;
  wantedSeq: number;
  changedAt: number;
}

/**
 * The remote write in flight, written before it is sent: after a crash or a
 * lost answer it is sent again exactly as it was, under the same key, so the
 * remote applies it once.
 */
export const inFlight = sqliteTable("in_flight", {
  key: text("key").primaryKey(),
  quantities: text("quantities", { mode: "json" }).$type<InFlightQuantity[]>().notNull(),
  createdAt: integer("created_at").notNull(),
  tries: integer("tries").notNull(),
  /** What the remote calls the write once it took it (Walmart: the bulk feed's id), to follow it up. */
  remoteRef: text("remote_ref"),
  /**
   * Amazon: the feed document made for this feed and not yet submitted, kept so
   * that a run cut short after createFeedDocument uploads to it again rather
   * than making another (its upload URL lasts 5 minutes).
   */
  feedDocument: text("feed_document", { mode: "json" }).$type<{ id: string; url: string; createdAt: number }>(),
});

/** What the connection did, for its status: kept an hour. */
export const activity = sqliteTable(
  "activity",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    kind: text("kind", { enum: ["write", "throttled", "cost", "feed", "read", "feed-document", "feed-poll", "feed-result", "order-search", "order-read", "ship-confirm"] }).notNull(),
    amount: integer("amount").notNull(),
  },
  (table) => [index("activity_kind_at").on(table.kind, table.at)],
);

/**
 * Sync lags (availability change → remote confirmed) counted per minute in
 * the buckets of shared/lag-histogram.ts: the status reads an hour of them
 * as a few dozen rows, however many SKUs were confirmed. Kept an hour.
 */
export const confirmLags = sqliteTable(
  "confirm_lags",
  {
    minute: integer("minute").notNull(),
    bucket: integer("bucket").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.minute, table.bucket] })],
);

/**
 * The remote's orders this connection recorded, with what was shipped of each
 * line (Walmart: its line number; Amazon: its order item id): shipments are
 * confirmed against them. Shopify's orders arrive by webhook and are not kept here.
 */
export const remoteOrders = sqliteTable("remote_orders", {
  externalId: text("external_id").primaryKey(),
  lines: text("lines", { mode: "json" }).$type<{ lineNumber: string; sku: string; qty: number; shipped: number }[]>().notNull(),
  recordedAt: integer("recorded_at").notNull(),
  /** Amazon: the marketplace the order was placed in, which its shipment confirmation names. */
  marketplaceId: text("marketplace_id"),
});

/** Fulfilments recorded in Shelfsync, to confirm to the remote once each (keyed by the order.fulfilled event). */
export const shipments = sqliteTable(
  "shipments",
  {
    eventId: text("event_id").primaryKey(),
    externalId: text("external_id").notNull(),
    lines: text("lines", { mode: "json" }).$type<{ sku: string; qty: number }[]>().notNull(),
    carrier: text("carrier"),
    tracking: text("tracking"),
    state: text("state", { enum: ["pending", "confirmed", "refused"] }).notNull(),
    reason: text("reason"),
    /** What the remote had left to ship of each SKU when the confirmation was last sent: a retry whose answer was lost is recognised against it. */
    attempt: text("attempt", { mode: "json" }).$type<Record<string, number>>(),
    createdAt: integer("created_at").notNull(),
    settledAt: integer("settled_at"),
    /** The fulfilment event's span in its order's trace, for the hop its confirmation or refusal records; null without a trace. */
    traceparent: text("traceparent"),
    /** Amazon: the package reference id, fixed before the first send so that a repeat names the same package. */
    packageRef: text("package_ref"),
    /** Amazon: when the confirmation was last sent without a known answer; a pending one sent before is read back first. */
    sentAt: integer("sent_at"),
  },
  (table) => [index("shipments_state").on(table.state, table.createdAt)],
);

export { usageMonths } from "./usage-months.ts";
