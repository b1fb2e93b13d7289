import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { SettlementLineKind, SettlementSource } from "../../shared/schemas/settlements.ts";
import type { ExceptionDraft } from "../exception-queue.ts";
import type { SettlementContribution } from "../finance-contributions.ts";

/**
 * One row per imported payout (settlement), by `<source>:<the source's id>`,
 * once for good: the same id again is answered from here. `checksum` is of
 * the settlement as read, so the same id with other content is a conflict.
 * `unmatched_count` and `unexplained` make its status: reconciled when both
 * are 0; its difference is `unmatched_amount` + `unexplained`.
 */
export const payouts = sqliteTable(
  "payouts",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    source: text("source").$type<SettlementSource>().notNull(),
    externalId: text("external_id").notNull(),
    channel: text("channel").notNull(),
    currency: text("currency").notNull(),
    deposit: integer("deposit").notNull(),
    depositDate: text("deposit_date").notNull(),
    periodStart: text("period_start"),
    periodEnd: text("period_end"),
    checksum: text("checksum").notNull(),
    lineCount: integer("line_count").notNull(),
    unmatchedCount: integer("unmatched_count").notNull(),
    unmatchedAmount: integer("unmatched_amount").notNull(),
    unexplained: integer("unexplained").notNull(),
    importedAt: integer("imported_at").notNull(),
  },
  (table) => [index("payouts_source").on(table.source, table.seq)],
);

/** The lines of a payout as the source listed them, and what each charge or refund matched (set once, never unset). */
export const settlementLines = sqliteTable(
  "settlement_lines",
  {
    payoutId: text("payout_id").notNull(),
    line: integer("line").notNull(),
    sourceLineId: text("source_line_id").notNull(),
    kind: text("kind").$type<SettlementLineKind>().notNull(),
    description: text("description").notNull(),
    reference: text("reference"),
    amount: integer("amount").notNull(),
    fee: integer("fee").notNull(),
    occurredAt: text("occurred_at"),
    matchedOrderId: text("matched_order_id"),
    unmatchedReason: text("unmatched_reason"),
  },
  (table) => [primaryKey({ columns: [table.payoutId, table.line] })],
);

/**
 * What a payout import or a match still has to hand on: contributions for the
 * finance ledger and exceptions for the queue. Written in the transaction of
 * the change, deleted only after both took it (each skips what it already
 * has), retried by the alarm until then.
 */
export const handoffs = sqliteTable("handoffs", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  payoutId: text("payout_id").notNull(),
  contributions: text("contributions", { mode: "json" }).$type<SettlementContribution[]>().notNull(),
  exceptions: text("exceptions", { mode: "json" }).$type<ExceptionDraft[]>().notNull(),
  createdAt: integer("created_at").notNull(),
});
