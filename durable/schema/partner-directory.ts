import { blob, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export { idempotencyKeys } from "./idempotency.ts";

export const partner = sqliteTable("partner", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** The partner's keys, stored as SHA-256 digests only (the secret is shown once); the same lifecycle as tenant keys (decision 0017). */
export const partnerKeys = sqliteTable("partner_keys", {
  id: text("id").primaryKey(),
  keyHash: text("key_hash").notNull().unique(),
  name: text("name"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at"),
  revokedAt: integer("revoked_at"),
  lastUsedAt: integer("last_used_at"),
  replacedBy: text("replaced_by"),
  replaces: text("replaces"),
  lineage: text("lineage"),
});

/** The partner's logo (one row at most), as uploaded after its type was checked by its bytes. */
export const logo = sqliteTable("logo", {
  id: integer("id").primaryKey(),
  contentType: text("content_type").notNull(),
  bytes: blob("bytes", { mode: "buffer" }).$type<Uint8Array>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});
