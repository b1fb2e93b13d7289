import { z } from "@hono/zod-openapi";
import { newId } from "../ids.ts";
import { ChannelId, LocationId, Sku, Timestamp } from "./common.ts";

export const minShards = 2;
export const maxShards = 32;

export const MarkHotRequest = z
  .object({
    channel: ChannelId,
    shards: z.number().int().min(minShards).max(maxShards).openapi({ description: "How many allotment shards serve the channel's pool reservations of this SKU." }),
  })
  .strict()
  .openapi("MarkHotRequest");
export type MarkHotRequest = z.infer<typeof MarkHotRequest>;

export const CoolQuery = z.object({ channel: ChannelId });

const UnitsAt = z.array(z.object({ location: LocationId, qty: z.number().int() }));

export const AllotmentShardView = z
  .object({
    shard: z.number().int(),
    allotted: z.number().int().openapi({ description: "Units the SKU handed to this shard and not back yet (free, reserved, or on their way)." }),
    free: z.number().int().openapi({ description: "Units the shard may reserve now." }),
    reserved: z.number().int().openapi({ description: "Units held by the shard's open reservations (and commits not yet applied to onHand)." }),
    freeAt: UnitsAt,
  })
  .openapi("AllotmentShard");
export type AllotmentShardView = z.infer<typeof AllotmentShardView>;

export const HotChannel = z
  .object({
    channel: ChannelId,
    shards: z.number().int(),
    since: Timestamp.nullable().openapi({ description: "When the sale began; null: it has cooled and these shards still hold units of open reservations." }),
    autoRate: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "For a sale that started by itself (the channel's autoHot): the rate that started it, per second; it ends by itself when its shards take fewer than a quarter of that. Null: the tenant marked it." }),
    allotments: z.array(AllotmentShardView),
  })
  .openapi("HotChannel");
export type HotChannel = z.infer<typeof HotChannel>;

export const HotSku = z
  .object({
    sku: Sku,
    channels: z.array(HotChannel).openapi({ description: "The channels this SKU is hot for; shards that still hold units after cooling are listed until they are empty." }),
  })
  .openapi("HotSku");
export type HotSku = z.infer<typeof HotSku>;

/** Units at locations, as shards and the SKU object pass them to each other. */
export type Units = { location: string; qty: number }[];

/** A shard's figures for the SKU object: free units, and units its reservations hold (active, or committed and not yet applied). */
export interface ShardHolding {
  shard: number;
  free: Units;
  held: Units;
}

const shardIdPattern = /^hot_[0-9a-z]{20}_(\d{1,2})_([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

/**
 * A shard reservation's id says which shard holds it, so that get, commit
 * and release find it without asking anyone.
 *
 * @example
 * shardOfReservation("hot_0123456789abcdefghij_3_web") // { shard: 3, channel: "web" }
 * shardOfReservation("res_0123456789abcdefghij") // null
 */
export function shardOfReservation(id: string): { shard: number; channel: string } | null {
  const match = shardIdPattern.exec(id);
  if (!match || Number(match[1]) >= maxShards) return null;
  return { shard: Number(match[1]), channel: match[2]! };
}

/** A new reservation id of shard `shard` of `channel`'s flash sale. */
export function shardReservationId(shard: number, channel: string): string {
  return `${newId("hot")}_${shard}_${channel}`;
}
