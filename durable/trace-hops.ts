import { traceLog, traceShardOf } from "./objects.ts";
import type { HopRecord } from "./trace-log.ts";

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
