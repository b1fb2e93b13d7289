import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { CreateOrderRequest, OrderStatus, ShortagePolicy, Shortage } from "../../shared/schemas/orders.ts";
import type { ChannelRules } from "../../shared/schemas/tenancy.ts";

export { eventOutbox } from "./event-outbox.ts";
export { idempotencyKeys } from "./idempotency.ts";

const orderStatuses = ["received", "reserved", "partially_fulfilled", "fulfilled", "cancelled", "backordered", "in_exception"] as const satisfies readonly OrderStatus[];

/** Plain values only, as in the shared `Details`. */
export type EventDetail = Record<string, string | number | boolean | null | string[]>;

/** A refused step: the other object's failure code and its details (e.g. `available`). */
export type StepFailure = EventDetail;

/**
 * The order itself (one row). `attempt` counts reservation attempts (1 at
 * admission, +1 per retry of a backorder); `version` counts events and tells
 * the tenant's order index whether it has the latest status.
 */
export const orderState = sqliteTable("order_state", {
  id: integer("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  orderId: text("order_id").notNull(),
  channel: text("channel").notNull(),
  externalId: text("external_id").notNull(),
  status: text("status", { enum: orderStatuses }).notNull(),
  request: text("request", { mode: "json" }).$type<CreateOrderRequest>().notNull(),
  /** The channel's rules as they were when the current attempt was routed. */
  rules: text("rules", { mode: "json" }).$type<ChannelRules>().notNull(),
  shortagePolicy: text("shortage_policy", { enum: ["backorder", "exception"] }).$type<ShortagePolicy>().notNull(),
  shortages: text("shortages", { mode: "json" }).$type<Shortage[]>().notNull(),
  attempt: integer("attempt").notNull(),
  /** Numbers fulfilments and cancellations, so each one's SKU keys are its own. */
  operations: integer("operations").notNull(),
  version: integer("version").notNull(),
  indexedVersion: integer("indexed_version").notNull(),
  /** The tenant's customer the order's contact was linked to (decision 0038), set once by the first loyalty effect; null until then or without a contact. */
  customerId: text("customer_id"),
  /** The order's W3C trace: the channel's traceparent continued, or one the edge started; its events carry it. Null for orders older than tracing. */
  traceparent: text("traceparent"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Units per SKU of the order (lines of one SKU summed): ordered, fulfilled, cancelled. */
export const skuUnits = sqliteTable("sku_units", {
  sku: text("sku").primaryKey(),
  ordered: integer("ordered").notNull(),
  fulfilled: integer("fulfilled").notNull(),
  cancelled: integer("cancelled").notNull(),
});

/**
 * One allocation of one attempt: `qty` units of a SKU at a location, held by
 * one reservation in the SKU's object. Units still held = qty - committed -
 * released. `compensated`: given back because the attempt failed.
 */
export const holdings = sqliteTable(
  "holdings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    attempt: integer("attempt").notNull(),
    sku: text("sku").notNull(),
    location: text("location").notNull(),
    qty: integer("qty").notNull(),
    reservationId: text("reservation_id"),
    state: text("state", { enum: ["reserving", "held", "refused", "compensated"] }).notNull(),
    committed: integer("committed").notNull(),
    released: integer("released").notNull(),
  },
  (table) => [index("holdings_sku_location").on(table.sku, table.location)],
);

/**
 * The saga log: every call to another object, written before it is made.
 * A step stays `pending` until that object's answer is recorded; the alarm
 * runs pending steps again under the same key, which the other object
 * answers from its idempotency record instead of acting twice.
 */
export const sagaSteps = sqliteTable(
  "saga_steps",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["reserve", "commit", "release", "record_exception"] }).notNull(),
    holdingId: integer("holding_id"),
    qty: integer("qty").notNull(),
    /** The Idempotency-Key sent to the SKU object, or the exception's natural key. */
    key: text("key").notNull().unique(),
    state: text("state", { enum: ["pending", "done", "failed"] }).notNull(),
    failure: text("failure", { mode: "json" }).$type<StepFailure>(),
    tries: integer("tries").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("saga_steps_state").on(table.state, table.seq)],
);

export const orderEvents = sqliteTable("order_events", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  at: integer("at").notNull(),
  type: text("type").notNull(),
  from: text("from_status", { enum: orderStatuses }),
  to: text("to_status", { enum: orderStatuses }).notNull(),
  cause: text("cause").notNull(),
  detail: text("detail", { mode: "json" }).$type<EventDetail>(),
});
