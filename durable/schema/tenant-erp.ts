import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ErpImportType, ErpMapping } from "../../shared/schemas/erp.ts";

/** One column mapping per import type, as the tenant last stored it. */
export const mappings = sqliteTable("mappings", {
  type: text("type").$type<ErpImportType>().primaryKey(),
  mapping: text("mapping", { mode: "json" }).$type<ErpMapping>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Every import the tenant sent, by id: `receiving` while its body streams in,
 * `sealed` once received whole (with its checksum). The checksum index is
 * what makes the same file sent under another id apply once.
 */
export const imports = sqliteTable(
  "imports",
  {
    id: text("id").primaryKey(),
    type: text("type").$type<ErpImportType>().notNull(),
    status: text("status", { enum: ["receiving", "sealed"] }).notNull(),
    checksum: text("checksum"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("imports_checksum").on(table.type, table.checksum)],
);
