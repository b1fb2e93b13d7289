import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The tenant's Shopify connection: one row. The secret is sealed at rest and never leaves this object. */
export const settings = sqliteTable("settings", {
  id: integer("id").primaryKey(),
  /** Sealed (AES-256-GCM, durable/credentials.ts) since it was first sealed; older rows hold it in clear until their next delivery. */
  webhookSecret: text("webhook_secret").notNull(),
  /** The secret as GET shows it: its last four characters. */
  maskedSecret: text("masked_secret"),
  channel: text("channel").notNull(),
  /** Deliveries whose event is older than this are refused (null: the default, 48 hours). */
  maxDeliveryAgeSeconds: integer("max_delivery_age_seconds"),
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
