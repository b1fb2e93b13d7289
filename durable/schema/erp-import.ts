import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ErpImportType, ErpRow } from "../../shared/schemas/erp.ts";

/** The import's one row of progress: counts move as rows are received and applied. */
export const importMeta = sqliteTable("import_meta", {
  id: integer("id").primaryKey(),
  importId: text("import_id").notNull(),
  type: text("type").$type<ErpImportType>().notNull(),
  status: text("status", { enum: ["receiving", "applying", "done"] }).notNull(),
  checksum: text("checksum"),
  received: integer("received").notNull(),
  accepted: integer("accepted").notNull(),
  rejected: integer("rejected").notNull(),
  ignored: integer("ignored").notNull(),
  pending: integer("pending").notNull(),
  createdAt: integer("created_at").notNull(),
  completedAt: integer("completed_at"),
});

/** Valid rows waiting to be applied, by row number; a row leaves this table in the transaction that records its outcome. */
export const pendingRows = sqliteTable("pending_rows", {
  row: integer("row").primaryKey(),
  payload: text("payload", { mode: "json" }).$type<ErpRow>().notNull(),
});

/** Rejected and ignored rows with their column, reason and code: the report. */
export const reportLines = sqliteTable(
  "report_lines",
  {
    row: integer("row").notNull(),
    column: text("column"),
    outcome: text("outcome", { enum: ["rejected", "ignored"] }).notNull(),
    reason: text("reason").notNull(),
    /** The API's error code for the fault, where it has one (a customers row: invalid_email, invalid_phone, conflict). */
    code: text("code"),
  },
  (table) => [index("report_lines_row").on(table.row)],
);
