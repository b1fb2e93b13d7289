import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The tenant's Shopify connection: one row. The secret never leaves this object. */
export const settings = sqliteTable("settings", {
  id: integer("id").primaryKey(),
  webhookSecret: text("webhook_secret").notNull(),
  channel: text("channel").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * One row per X-Shopify-Webhook-Id delivered with a valid signature, kept
 * for `webhookRetentionMs` after it settled: a redelivery in that time has
 * no second effect. Older ones still meet the natural keys of what they did
 * (channel + Shopify order id, Shopify refund id).
 */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    topic: text("topic").notNull(),
    state: text("state", { enum: ["processing", "applied", "unmapped", "ignored"] }).notNull(),
    summary: text("summary", { mode: "json" }).$type<Record<string, string | number | null>>(),
    receivedAt: integer("received_at").notNull(),
    settledAt: integer("settled_at"),
  },
  (table) => [index("webhooks_received_at").on(table.receivedAt)],
);
