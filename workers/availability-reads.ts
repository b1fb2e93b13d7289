import { availabilityIndex, availabilityShard, availabilityShardOf } from "../durable/objects.ts";
import type { ChannelAvailability } from "../shared/schemas/availability.ts";

/**
 * What `channel` may sell of those of `skus` that have figures, in the order
 * asked: from the read shards that hold them (one call per shard, side by
 * side), or from the tenant's index while a shard is not ready yet (the
 * figures are being copied to it). docs/decisions/0042.
 */
export async function readAvailability(env: Env, tenantId: string, channel: string, skus: readonly string[]): Promise<ChannelAvailability[]> {
  const byShard = new Map<number, string[]>();
  for (const sku of new Set(skus)) {
    const shard = availabilityShardOf(sku);
    const list = byShard.get(shard);
    if (list) list.push(sku);
    else byShard.set(shard, [sku]);
  }
  const answers = await Promise.all([...byShard].map(([shard, list]) => availabilityShard(env, tenantId, shard).read(channel, list)));
  const found = answers.some((answer) => answer === null) ? await availabilityIndex(env, tenantId).getAvailability(channel, [...byShard.values()].flat()) : answers.flat() as ChannelAvailability[];
  const bySku = new Map(found.map((item) => [item.sku, item]));
  return [...new Set(skus)].flatMap((sku) => bySku.get(sku) ?? []);
}
