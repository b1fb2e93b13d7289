import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ExceptionState, ExceptionType } from "../../shared/schemas/exceptions.ts";

export { idempotencyKeys } from "./idempotency.ts";

const types = ["reservations_short", "unknown_sku", "tender_short", "webhook_unmapped", "backorder", "event_delivery_failed", "channel_sku_unmapped", "channel_order_unmapped", "channel_shipment_refused", "erp_journal_refused", "erp_sales_document_refused", "settlement_line_unmatched", "payout_unbalanced", "loyalty_short"] as const satisfies readonly ExceptionType[];
const states = ["open", "retrying", "resolved", "ignored"] as const satisfies readonly ExceptionState[];

/**
 * One row per exception. `naturalKey` (type, location, transaction, line or
 * SKU) makes recording idempotent: a replayed transaction finds its exception
 * already there.
 */
export const exceptions = sqliteTable(
  "exceptions",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    naturalKey: text("natural_key").notNull().unique(),
    type: text("type", { enum: types }).notNull(),
    subject: text("subject").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    correlationId: text("correlation_id"),
    state: text("state", { enum: states }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Replays started; a replay's number tells its outcome from a later one's. */
    replays: integer("replays").notNull().default(0),
    lastFailure: text("last_failure", { mode: "json" }).$type<{ at: number; reason: string }>(),
    /** While `retrying`: until when the replay that set it owns it; a later replay may take over after. */
    leaseUntil: integer("lease_until"),
  },
  (table) => [index("exceptions_type").on(table.type, table.seq), index("exceptions_state").on(table.state, table.seq)],
);

/** Every change of an exception's state, with who made it and why. Append-only. */
export const exceptionTransitions = sqliteTable(
  "exception_transitions",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    exceptionId: text("exception_id").notNull(),
    from: text("from_state", { enum: states }),
    to: text("to_state", { enum: states }).notNull(),
    by: text("by").notNull(),
    note: text("note"),
    at: integer("at").notNull(),
  },
  (table) => [index("exception_transitions_exception").on(table.exceptionId, table.seq)],
);
