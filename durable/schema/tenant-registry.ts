import type { AutoHot } from "../../shared/schemas/tenancy.ts";
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { RateLimits } from "../../shared/schemas/limits.ts";

export { idempotencyKeys } from "./idempotency.ts";

export const tenant = sqliteTable("tenant", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  /** The tenant admin's own rate limits (PUT /v1/limits); null: the defaults. */
  rateLimits: text("rate_limits", { mode: "json" }).$type<RateLimits>(),
});

/** Keys are stored as SHA-256 digests only; the secret is shown once, at creation. */
export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  keyHash: text("key_hash").notNull().unique(),
  role: text("role", { enum: ["admin", "channel", "store", "erp", "readonly"] }).notNull(),
  name: text("name"),
  channel: text("channel"),
  location: text("location"),
  createdAt: integer("created_at").notNull(),
  /** After this instant (ms) the key is refused as key_expired; a rotation sets it to the end of the overlap. */
  expiresAt: integer("expires_at"),
  /** Set once by DELETE /v1/keys/{id}; from then on the key is refused as key_revoked. */
  revokedAt: integer("revoked_at"),
  /** Written at most once a minute per key, by the registry's key check. */
  lastUsedAt: integer("last_used_at"),
  /** The key a rotation issued in this one's place, and the key this one replaced. */
  replacedBy: text("replaced_by"),
  replaces: text("replaces"),
  /** The first key of a rotation chain (null: this key's own id): its idempotency records belong to the whole chain. */
  lineage: text("lineage"),
});

export const locations = sqliteTable("locations", {
  id: text("id").primaryKey(),
  type: text("type", { enum: ["store", "warehouse", "3pl"] }).notNull(),
  name: text("name"),
  updatedAt: integer("updated_at").notNull(),
});

export const channels = sqliteTable("channels", {
  id: text("id").primaryKey(),
  locations: text("locations", { mode: "json" }).$type<string[]>().notNull(),
  bufferUnits: integer("buffer_units").notNull(),
  maxUnits: integer("max_units"),
  maxPercent: integer("max_percent"),
  /** Flash sales that start by themselves (null: off). */
  autoHot: text("auto_hot", { mode: "json" }).$type<AutoHot>(),
  version: integer("version").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The tenant's connections to channel remotes, for listing them; each one's configuration lives in its own object. */
export const connections = sqliteTable("connections", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  channel: text("channel").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The tenant's ERP connections, for listing them and for the ledger to nudge the enabled ones; each one's configuration lives in its own object. */
export const erpConnections = sqliteTable("erp_connections", {
  id: text("id").primaryKey(),
  type: text("type", { enum: ["netsuite", "business-central", "file"] }).notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** API calls of the tenant per UTC month (`YYYY-MM`), added in batches by the edge isolates that admitted them (docs/decisions/0034-partners.md). */
export const apiUsage = sqliteTable("api_usage", {
  month: text("month").primaryKey(),
  calls: integer("calls").notNull(),
});

/**
 * The tenant's throughput per UTC hour (`hour`: its first millisecond) and
 * metric (POS transactions accepted, reservations taken), added in batches
 * by the edge isolates that answered them, for the console's charts when no
 * Analytics Engine can be read (docs/decisions/0041-throughput-metrics.md).
 * Kept 8 days.
 */
export const throughputHours = sqliteTable(
  "throughput_hours",
  {
    hour: integer("hour").notNull(),
    metric: text("metric").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.hour, table.metric] })],
);
