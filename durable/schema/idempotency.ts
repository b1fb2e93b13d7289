import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Every object that takes writes keeps its own idempotency records, written in
 * the same transaction as the effect they describe.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    result: text("result").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("idempotency_keys_created_at").on(table.createdAt)],
);
