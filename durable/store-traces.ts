import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import { parseTraceparent } from "../shared/tracing.ts";
import type { HopRecord } from "./trace-log.ts";

/** A transaction of a batch as its agent sent it. */
export interface TracedTransaction {
  transaction: PosTransaction;
  traceparent?: string;
  recordedAt?: string;
}

/**
 * The hops one store batch adds to its transactions' traces: when the sale
 * happened at the till, when the agent committed it, when the edge received
 * it and when its stock moved. Transactions without a trace add none.
 */
export function storeBatchHops(location: string, batch: TracedTransaction[], receivedAt: number, appliedAt: number): HopRecord[] {
  return batch.flatMap(({ transaction, traceparent, recordedAt }) => {
    const context = parseTraceparent(traceparent);
    if (!context) return [];
    const hop = (at: number, name: string, where: string, detail: string | null): HopRecord => ({ traceId: context.traceId, at, hop: name, location: where, spanId: context.spanId, detail });
    const units = transaction.lines.map((line) => `${line.sku}×${line.qty}`).join(", ");
    return [
      hop(Date.parse(transaction.occurredAt), "pos.occurred", `${location}/${transaction.terminalId}`, `${transaction.type} ${transaction.transactionId}`),
      ...(recordedAt ? [hop(Date.parse(recordedAt), "agent.recorded", location, "committed to the store's outbox")] : []),
      hop(receivedAt, "edge.received", location, `in a batch of ${batch.length}`),
      hop(appliedAt, "inventory.applied", location, units),
    ];
  });
}

/** A step one of a store's accepted transactions took after its stock moved: its books, its points. */
export interface HandOffStep {
  transactionId: string;
  hop: string;
  where: string;
  detail: string | null;
}

/** The hops of the steps taken at `at` by those transactions that have a trace (`traceparents` by transaction id). */
export function handOffHops(steps: readonly HandOffStep[], traceparents: ReadonlyMap<string, string | null>, at: number): HopRecord[] {
  return steps.flatMap(({ transactionId, hop, where, detail }) => {
    const context = parseTraceparent(traceparents.get(transactionId));
    return context ? [{ traceId: context.traceId, at, hop, location: where, spanId: context.spanId, detail }] : [];
  });
}
