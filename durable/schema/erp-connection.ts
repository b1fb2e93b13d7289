import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ExportedJournal } from "../../shared/journal-csv.ts";
import type { SalesDocument } from "../../shared/schemas/finance.ts";
import type { ConnectionState } from "../../shared/schemas/connections.ts";
import type { BusinessCentralConnectionSettings, ErpJournalState, ErpType, FileConnectionSettings, NetSuiteConnectionSettings } from "../../shared/schemas/erp-connections.ts";

/**
 * The ERP connection itself (one row): its configuration, its credentials
 * sealed (durable/credentials.ts), how far it has read the ledger's posted
 * journals, and how it is doing.
 */
export const connection = sqliteTable("connection", {
  id: integer("id").primaryKey(),
  type: text("type").$type<ErpType>().notNull(),
  settings: text("settings", { mode: "json" }).$type<NetSuiteConnectionSettings | BusinessCentralConnectionSettings | FileConnectionSettings>().notNull(),
  sealedCredentials: text("sealed_credentials").notNull(),
  maskedCredentials: text("masked_credentials", { mode: "json" }).$type<Record<string, string>>().notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** The `seq` of the last journal of the tenant's FinanceLedger copied into `journals`. */
  cursor: integer("cursor").notNull(),
  state: text("state").$type<ConnectionState>().notNull(),
  lastError: text("last_error"),
  lastErrorAt: integer("last_error_at"),
  /** Transient failures in a row: the backoff grows with them. */
  failures: integer("failures").notNull(),
  /** The `seq` of the last sales document of the tenant's FinanceLedger copied into `sales_documents`. */
  salesCursor: integer("sales_cursor").notNull().default(0),
});

/**
 * Every posted journal the connection must hand to its ERP, copied from the
 * ledger in the same transaction that moves the cursor, so none is skipped;
 * keyed by the journal's external id, so none is copied twice. A row leaves
 * `pending` only when the ERP has acknowledged it (or refused it).
 */
export const journals = sqliteTable(
  "journals",
  {
    seq: integer("seq").primaryKey(),
    journalId: text("journal_id").notNull().unique(),
    journal: text("journal", { mode: "json" }).$type<ExportedJournal>().notNull(),
    state: text("state").$type<ErpJournalState>().notNull(),
    attempts: integer("attempts").notNull(),
    /** Not sent again before this (epoch ms): a backoff or a throttle. */
    notBefore: integer("not_before").notNull(),
    /** Business Central: the steps done so far ({ journalId, lines, posted }), saved before the next one is sent. */
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>(),
    lastError: text("last_error"),
    postedAt: integer("posted_at"),
  },
  (table) => [index("journals_state").on(table.state, table.notBefore)],
);

/**
 * The order sales documents the connection must hand to its ERP (when its
 * settings enable them), copied from the ledger's feed in the transaction
 * that moves `sales_cursor`, keyed by external id: none skipped, none copied
 * twice. Like a journal, a row leaves `pending` only when the ERP has
 * acknowledged it (or refused it).
 */
export const salesDocuments = sqliteTable(
  "sales_documents",
  {
    seq: integer("seq").primaryKey(),
    externalId: text("external_id").notNull().unique(),
    document: text("document", { mode: "json" }).$type<SalesDocument>().notNull(),
    state: text("state").$type<ErpJournalState>().notNull(),
    attempts: integer("attempts").notNull(),
    notBefore: integer("not_before").notNull(),
    /** Business Central: the sales order's id once created, saved before its lines are sent. */
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>(),
    lastError: text("last_error"),
    postedAt: integer("posted_at"),
  },
  (table) => [index("sales_documents_state").on(table.state, table.notBefore)],
);

/** Requests, journals posted and throttled answers, per event, for the status (kept an hour). */
export const activity = sqliteTable(
  "activity",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    kind: text("kind", { enum: ["request", "posted", "throttled"] }).notNull(),
    amount: integer("amount").notNull(),
  },
  (table) => [index("activity_kind_at").on(table.kind, table.at)],
);

export { usageMonths } from "./usage-months.ts";
