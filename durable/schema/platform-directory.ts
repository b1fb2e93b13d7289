import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { PutBrandingRequest } from "../../shared/schemas/partners.ts";

export { idempotencyKeys } from "./idempotency.ts";

/** Every tenant the platform created, for the operator's listing; `partner` is the partner that created it (null: the platform). */
export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  partner: text("partner"),
});

/**
 * Every partner, and its brand (without the logo, which its own object
 * keeps): here, because host names are unique across partners and a request's
 * host must find its brand in one read.
 */
export const partners = sqliteTable("partners", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
  branding: text("branding", { mode: "json" }).$type<Omit<PutBrandingRequest, "hosts">>(),
  logo: text("logo", { mode: "json" }).$type<{ contentType: string; bytes: number; updatedAt: number }>(),
  brandingUpdatedAt: integer("branding_updated_at"),
});

/** Which partner serves on a host name: one at most. */
export const partnerHosts = sqliteTable("partner_hosts", {
  host: text("host").primaryKey(),
  partner: text("partner").notNull(),
});
