import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
    type: text("type", { enum: ["reservations_short", "unknown_sku", "webhook_unmapped", "backorder"] }).notNull(),
    subject: text("subject").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    correlationId: text("correlation_id"),
    state: text("state", { enum: ["open", "resolved"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("exceptions_type").on(table.type, table.seq), index("exceptions_state").on(table.state, table.seq)],
);
