import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import { parseTraceparent } from "../shared/tracing.ts";
import { traceLog, traceShardOf } from "./objects.ts";
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

/** Records hops in their traces' logs, one call per shard; a log that cannot be reached loses its hops, never the batch. */
export async function recordHops(env: Env, tenantId: string, hops: HopRecord[]): Promise<void> {
  const byShard = new Map<number, HopRecord[]>();
  for (const hop of hops) {
    const shard = traceShardOf(hop.traceId);
    const list = byShard.get(shard);
    if (list) list.push(hop);
    else byShard.set(shard, [hop]);
  }
  await Promise.all(
    [...byShard.values()].map((shardHops) =>
      traceLog(env, tenantId, shardHops[0]!.traceId)
        .record(shardHops)
        .catch((error: unknown) => console.error(JSON.stringify({ event: "trace_hops_lost", hops: shardHops.length, message: error instanceof Error ? error.message : String(error) }))),
    ),
  );
}
