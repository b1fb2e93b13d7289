import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export { idempotencyKeys } from "./idempotency.ts";

/** Every tenant the platform created, for the operator's listing. */
export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});
