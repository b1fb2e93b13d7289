import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { PosTransaction } from "../../shared/schemas/store-transactions.ts";

/** The store this object ingests for, and its high-water mark: every sequence up to it was received. */
export const ingestMeta = sqliteTable("ingest_meta", {
  id: integer("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  location: text("location").notNull(),
  highWaterMark: integer("high_water_mark").notNull(),
});

/** What one POS line does to stock, decided once when the transaction is first received. */
export interface PlannedMovement {
  /** 1-based, as on the receipt. */
  line: number;
  /** The SKU whose object moves: the line's code, or the SKU its barcode belongs to. */
  sku: string;
  /** The code the terminal sent. */
  code: string;
  /** Whether the catalog knew the code when the transaction was received. */
  known: boolean;
  /**
   * Neither the catalog nor the inventory knew the code: the line moves no
   * stock (and makes no SKU object) until a replay of its `unknown_sku`
   * exception finds the code in the catalog. Absent on rows written before.
   */
  held?: boolean;
  type: "pos_sale" | "pos_return" | "pos_void";
  qty: number;
}

/**
 * Every transaction id the store ever sent, for good: `pending` while its
 * movements are being applied, then `accepted`; or `rejected` with the reason.
 */
export const transactions = sqliteTable(
  "transactions",
  {
    transactionId: text("transaction_id").primaryKey(),
    sequence: integer("sequence").notNull(),
    status: text("status", { enum: ["pending", "accepted", "rejected"] }).notNull(),
    code: text("code", { enum: ["validation_failed"] }),
    reason: text("reason"),
    body: text("body", { mode: "json" }).$type<PosTransaction>(),
    movements: text("movements", { mode: "json" }).$type<PlannedMovement[]>(),
    receivedAt: integer("received_at").notNull(),
    settledAt: integer("settled_at"),
    /** The transaction's span (W3C traceparent) as its agent sent it, for the hops of its hand-offs to the books and the points. */
    traceparent: text("traceparent"),
  },
  (table) => [index("transactions_status").on(table.status, table.sequence)],
);

/** Sequence numbers received above the high-water mark: what the gaps are computed from. */
export const receivedSequences = sqliteTable("received_sequences", {
  sequence: integer("sequence").primaryKey(),
});

/**
 * Accepted transactions not yet booked by the tenant's finance ledger:
 * written in the transaction that records them accepted, removed once the
 * ledger has them (it books each key once, so a resend is harmless).
 */
export const ledgerOutbox = sqliteTable("ledger_outbox", {
  transactionId: text("transaction_id").primaryKey(),
  queuedAt: integer("queued_at").notNull(),
});

/**
 * Accepted transactions whose customer's points have not moved yet (a sale
 * with a customer, a return or void of a sale): written with the accepted
 * status, removed once their loyalty effects are applied (each under its own
 * key, so a resend is harmless).
 */
export const loyaltyOutbox = sqliteTable("loyalty_outbox", {
  transactionId: text("transaction_id").primaryKey(),
  queuedAt: integer("queued_at").notNull(),
});
