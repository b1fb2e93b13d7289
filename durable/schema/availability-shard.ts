import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Whether the shard holds every figure of its SKUs (the index has forwarded its whole feed once); until then reads go to the index. */
export const shardMeta = sqliteTable("shard_meta", {
  id: integer("id").primaryKey(),
  ready: integer("ready", { mode: "boolean" }).notNull(),
});

/**
 * What each channel may sell of the shard's SKUs, copied from the tenant's
 * AvailabilityIndex; `seq` is the index's change-feed number of the figure,
 * so an older copy (a forward sent again) never replaces a newer one.
 */
export const channelAvailability = sqliteTable(
  "channel_availability",
  {
    channel: text("channel").notNull(),
    sku: text("sku").notNull(),
    available: integer("available").notNull(),
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.sku] })],
);
