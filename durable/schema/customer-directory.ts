import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { CustomerSettings } from "../../shared/schemas/customers.ts";
import type { LoyaltySettings } from "../../shared/schemas/loyalty.ts";

export { idempotencyKeys } from "./idempotency.ts";

/**
 * The tenant's customers. email and phone are stored normalised
 * (shared/customer-contact.ts), so the indexes below are the lookups; an
 * erasure sets every personal field to null, which also takes the customer
 * out of those indexes, and keeps the row (its id is the pseudonym).
 */
export const customers = sqliteTable(
  "customers",
  {
    id: text("id").primaryKey(),
    email: text("email"),
    phone: text("phone"),
    name: text("name"),
    loyaltyId: text("loyalty_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    mergedInto: text("merged_into"),
    erasedAt: integer("erased_at"),
  },
  (table) => [
    index("customers_email").on(table.email),
    index("customers_phone").on(table.phone),
    index("customers_loyalty_id").on(table.loyaltyId),
    index("customers_merged_into").on(table.mergedInto),
  ],
);

/** Every merge of a duplicate into an older customer, and its reversal; never deleted. */
export const merges = sqliteTable(
  "merges",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    customerId: text("customer_id").notNull(),
    survivorId: text("survivor_id").notNull(),
    field: text("field", { enum: ["email", "phone"] }).notNull(),
    mergedAt: integer("merged_at").notNull(),
    unmergedAt: integer("unmerged_at"),
  },
  (table) => [index("merges_customer_id").on(table.customerId), index("merges_survivor_id").on(table.survivorId)],
);

/** The tenant's customer settings (one row at most). */
export const settings = sqliteTable("settings", {
  id: integer("id").primaryKey(),
  mergeDuplicates: integer("merge_duplicates", { mode: "boolean" }).notNull(),
  defaultCountry: text("default_country").$type<CustomerSettings["defaultCountry"]>(),
});

/** The tenant's loyalty programme (one row at most), read again through its zod schema so fields added later take their defaults. */
export const loyaltySettings = sqliteTable("loyalty_settings", {
  id: integer("id").primaryKey(),
  settings: text("settings", { mode: "json" }).$type<LoyaltySettings>().notNull(),
});
