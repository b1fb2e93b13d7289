import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The tenant's event webhook: one row. The secret never leaves this object; deliveries are signed here. */
export const settings = sqliteTable("settings", {
  id: integer("id").primaryKey(),
  url: text("url").notNull(),
  secret: text("secret").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * The latest failed attempt of each event the queue is still retrying, so
 * that an event that dies in the dead letter queue becomes an exception
 * that says why. Pruned after `failureRetentionMs` (durable/event-webhook.ts).
 */
export const deliveryFailures = sqliteTable(
  "delivery_failures",
  {
    eventId: text("event_id").primaryKey(),
    attempts: integer("attempts").notNull(),
    reason: text("reason").notNull(),
    at: integer("at").notNull(),
  },
  (table) => [index("delivery_failures_at").on(table.at)],
);
