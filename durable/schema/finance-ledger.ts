import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Posting } from "../../shared/finance-postings.ts";
import type { FinanceSettings, JournalLine, SalesDocument } from "../../shared/schemas/finance.ts";

/** The tenant's finance settings (accounts, dimensions, time zone, cut-off), as last put, checked. */
export const financeSettings = sqliteTable("finance_settings", {
  id: integer("id").primaryKey(),
  settings: text("settings", { mode: "json" }).$type<FinanceSettings>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Every source's part in the books, once per key (pos:<location>:<transactionId>,
 * order:<orderId>:<event>, refund:<returnId>:<event>): its postings, which sum
 * to zero, its business day, location and channel, and the journal it went
 * into (null until its day closes). A row is never changed after `journal_id`
 * is set: a posted journal is never edited.
 */
export const contributions = sqliteTable(
  "contributions",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    key: text("key").notNull().unique(),
    kind: text("kind", { enum: ["pos", "order", "refund", "settlement"] }).notNull(),
    sourceId: text("source_id").notNull(),
    externalId: text("external_id").notNull(),
    businessDate: text("business_date").notNull(),
    location: text("location").notNull(),
    channel: text("channel").notNull(),
    currency: text("currency").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull(),
    postings: text("postings", { mode: "json" }).$type<Posting[]>().notNull(),
    journalId: text("journal_id"),
  },
  (table) => [index("contributions_journal").on(table.journalId, table.businessDate), index("contributions_source").on(table.kind, table.sourceId)],
);

/** Per order and SKU, the units already counted into the books: a unit is a sale once, whichever event brings it. */
export const orderUnitsBooked = sqliteTable(
  "order_units_booked",
  {
    orderId: text("order_id").notNull(),
    sku: text("sku").notNull(),
    units: integer("units").notNull(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.sku] })],
);

/** Orders whose shipping is in the books (with their first units). */
export const orderShippingBooked = sqliteTable("order_shipping_booked", {
  orderId: text("order_id").primaryKey(),
  at: integer("at").notNull(),
});

/** Posted journals: written once, never updated. */
export const journals = sqliteTable(
  "journals",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    businessDate: text("business_date").notNull(),
    location: text("location").notNull(),
    channel: text("channel").notNull(),
    sequence: integer("sequence").notNull(),
    currency: text("currency").notNull(),
    totalDebit: integer("total_debit").notNull(),
    totalCredit: integer("total_credit").notNull(),
    sourceCount: integer("source_count").notNull(),
    lines: text("lines", { mode: "json" }).$type<JournalLine[]>().notNull(),
    /** The ERP's location, department (channel) and class, as mapped when it was posted. */
    locationDimension: text("location_dimension").notNull(),
    department: text("department").notNull(),
    class: text("class").notNull(),
    postedAt: integer("posted_at").notNull(),
  },
  (table) => [index("journals_day").on(table.businessDate, table.location, table.channel, table.sequence)],
);

/**
 * Sales documents for the ERP: one per order contribution that booked units,
 * written in its transaction, never changed. `seq` is the feed ERP
 * connections read by cursor (salesDocumentsAfter); `sequence` is the
 * document's place among its order's (1 first), fixed when it is written.
 */
export const salesDocuments = sqliteTable(
  "sales_documents",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    externalId: text("external_id").notNull().unique(),
    orderId: text("order_id").notNull(),
    channel: text("channel").notNull(),
    channelOrderId: text("channel_order_id").notNull(),
    sequence: integer("sequence").notNull(),
    location: text("location").notNull(),
    businessDate: text("business_date").notNull(),
    currency: text("currency").notNull(),
    lines: text("lines", { mode: "json" }).$type<SalesDocument["lines"]>().notNull(),
    shipping: integer("shipping").notNull(),
    sourceKey: text("source_key").notNull().unique(),
    occurredAt: integer("occurred_at").notNull(),
    bookedAt: integer("booked_at").notNull(),
    /** The order's trace (W3C trace id), for the hops of the document's posting. */
    traceId: text("trace_id"),
  },
  (table) => [index("sales_documents_order").on(table.orderId, table.sequence)],
);
