import { eq } from "drizzle-orm";
import type { ApprovalReason, PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { AgentDatabase } from "./db/client.ts";
import { outbox } from "./db/schema.ts";

type Unapproved = Omit<PosTransaction, "approval">;

/** The sale a return or void refers to, or null: a sale only counts if this agent recorded it (and has not pruned it, 30 days after the edge took it). */
async function knownSale(store: AgentDatabase, transactionId: string | undefined): Promise<{ tendered: number } | null> {
  if (!transactionId) return null;
  const row = await store.db.select({ type: outbox.type, body: outbox.body }).from(outbox).where(eq(outbox.transactionId, transactionId)).get();
  if (!row || row.type !== "sale") return null;
  const sale = JSON.parse(row.body) as PosTransaction;
  return { tendered: sale.tenders.reduce((sum, tender) => sum + Math.max(0, tender.amount), 0) };
}

/**
 * What in this transaction a manager must approve:
 * - `blind_return`: a return or void whose original sale (`returnsTransactionId`,
 *   `voidsTransactionId`) this agent does not know;
 * - `negative_tender`: money given back (a negative tender) that no known
 *   sale covers: on a sale, always; on a return or void, beyond what the
 *   original sale took.
 *
 * @example
 * await approvalReasons(store, { ...sale, tenders: [{ type: "cash", amount: -500 }] }) // ["negative_tender"]
 */
export async function approvalReasons(store: AgentDatabase, transaction: Unapproved): Promise<ApprovalReason[]> {
  const reasons: ApprovalReason[] = [];
  const givenBack = transaction.tenders.reduce((sum, tender) => sum + Math.max(0, -tender.amount), 0);
  if (transaction.type === "sale") {
    if (givenBack > 0) reasons.push("negative_tender");
    return reasons;
  }
  const original = await knownSale(store, transaction.type === "return" ? transaction.returnsTransactionId : transaction.voidsTransactionId);
  if (!original) reasons.push("blind_return");
  if (givenBack > (original?.tendered ?? 0)) reasons.push("negative_tender");
  return reasons;
}

/** Whether a transaction with this id is already recorded: its retry is answered from the outbox, without asking again. */
export async function isRecorded(store: AgentDatabase, transactionId: string): Promise<boolean> {
  const row = await store.db.select({ sequence: outbox.sequence }).from(outbox).where(eq(outbox.transactionId, transactionId)).get();
  return row !== undefined;
}
