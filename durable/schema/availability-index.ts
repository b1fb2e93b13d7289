import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export { eventOutbox } from "./event-outbox.ts";

export const indexMeta = sqliteTable("index_meta", {
  id: integer("id").primaryKey(),
  lastSeq: integer("last_seq").notNull(),
  /** The change-feed number up to which every figure was copied to the read shards. */
  forwardedSeq: integer("forwarded_seq").notNull().default(0),
  /** Whether the shards were told they hold every figure (after the first complete forward); they answer reads from then on. */
  shardsReady: integer("shards_ready", { mode: "boolean" }).notNull().default(false),
});

/** The latest per-location figures each SKU object published, newest version wins. */
export const skuFigures = sqliteTable("sku_figures", {
  sku: text("sku").primaryKey(),
  version: integer("version").notNull(),
  locations: text("locations", { mode: "json" })
    .$type<{ location: string; onHand: number; safetyStock: number; reserved: number; leased?: number }[]>()
    .notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const channelRules = sqliteTable("channel_rules", {
  channel: text("channel").primaryKey(),
  locations: text("locations", { mode: "json" }).$type<string[]>().notNull(),
  bufferUnits: integer("buffer_units").notNull(),
  maxUnits: integer("max_units"),
  maxPercent: integer("max_percent"),
});

/** What each channel may sell of each SKU; `seq` orders the change feed. */
export const channelAvailability = sqliteTable(
  "channel_availability",
  {
    channel: text("channel").notNull(),
    sku: text("sku").notNull(),
    available: integer("available").notNull(),
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.sku] }), index("channel_availability_feed").on(table.channel, table.seq)],
);

/** Each location's figures of each SKU, for the stores' feeds; `seq`, counted per location, orders its changes. */
export const locationStock = sqliteTable(
  "location_stock",
  {
    location: text("location").notNull(),
    sku: text("sku").notNull(),
    onHand: integer("on_hand").notNull(),
    available: integer("available").notNull(),
    /** Of the store's lease, the units it may sell offline without uncovering a reservation (leaseCovered). */
    leased: integer("leased").notNull().default(0),
    seq: integer("seq").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.location, table.sku] }), index("location_stock_feed").on(table.location, table.seq)],
);

/** The connections that publish a channel's availability elsewhere: told (nudged) when its figures change. */
export const channelWatchers = sqliteTable(
  "channel_watchers",
  {
    channel: text("channel").notNull(),
    connectionId: text("connection_id").notNull(),
  },
  (table) => [primaryKey({ columns: [table.channel, table.connectionId] })],
);

/** The connections that publish a location's own stock elsewhere (`locations.byLocation`): told (nudged) when its figures change. */
export const locationWatchers = sqliteTable(
  "location_watchers",
  {
    location: text("location").notNull(),
    connectionId: text("connection_id").notNull(),
  },
  (table) => [primaryKey({ columns: [table.location, table.connectionId] }), index("location_watchers_connection").on(table.connectionId)],
);
