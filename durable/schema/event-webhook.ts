import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The tenant's event webhook: one row. The secret is sealed at rest and never leaves this object; deliveries are signed here. */
export const settings = sqliteTable("settings", {
  id: integer("id").primaryKey(),
  url: text("url").notNull(),
  /** Sealed (./sealed-secret.ts); rows from before sealing hold it in clear until their next delivery. */
  secret: text("secret").notNull(),
  /** The secret as reads show it: its last four characters. */
  maskedSecret: text("masked_secret"),
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
