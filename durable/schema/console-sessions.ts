import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The console sessions of one tenant's or partner's keys. Only digests are
 * kept: the session token's and the key's (SHA-256, like keys in their
 * registries), so a copy of this table signs nobody in.
 */
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    keyHash: text("key_hash").notNull(),
    keyId: text("key_id").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("console_sessions_expires_at").on(table.expiresAt), index("console_sessions_key_id").on(table.keyId)],
);
