import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Calls a connection made that changed a remote, per UTC month (`YYYY-MM`),
 * for the partner's usage report: written in the transaction that records
 * the call, kept for good (one row a month).
 */
export const usageMonths = sqliteTable("usage_months", {
  month: text("month").primaryKey(),
  writes: integer("writes").notNull(),
});
