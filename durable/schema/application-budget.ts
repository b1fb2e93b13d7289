import { integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Each operation's shared bucket as last spent, so that a restart does not hand out a fresh burst. */
export const buckets = sqliteTable("buckets", {
  operation: text("operation").primaryKey(),
  available: real("available").notNull(),
  at: integer("at").notNull(),
});
