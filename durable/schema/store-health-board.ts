import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Each store's latest report, and whether it is online (times in epoch ms, the edge's clock unless said). */
export const storeHealth = sqliteTable("store_health", {
  location: text("location").primaryKey(),
  status: text("status", { enum: ["online", "offline"] }).notNull(),
  lastReportAt: integer("last_report_at").notNull(),
  onlineSince: integer("online_since"),
  offlineSince: integer("offline_since"),
  agentVersion: text("agent_version").notNull(),
  backlog: integer("backlog").notNull(),
  /** The agent's clock. */
  oldestPendingAt: integer("oldest_pending_at"),
  lastPushAt: integer("last_push_at"),
  lastPullAt: integer("last_pull_at"),
  deadLetters: integer("dead_letters").notNull(),
});

/** A store's health over time: one sample per 5 minutes while it reports, one at each change of status. */
export const healthSamples = sqliteTable(
  "health_samples",
  {
    location: text("location").notNull(),
    at: integer("at").notNull(),
    status: text("status", { enum: ["online", "offline"] }).notNull(),
    backlog: integer("backlog").notNull(),
    oldestPendingAt: integer("oldest_pending_at"),
    deadLetters: integer("dead_letters").notNull(),
  },
  (table) => [primaryKey({ columns: [table.location, table.at] }), index("health_samples_at").on(table.at)],
);
