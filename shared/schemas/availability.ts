import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, Sku, Timestamp } from "./common.ts";

export const maxSkusPerAvailabilityQuery = 1000;

export const ChannelAvailability = z
  .object({
    sku: Sku,
    channel: ChannelId,
    available: z.number().int().openapi({ description: "Units this channel may sell now: its pool's available units, less its buffer, capped by its rules." }),
    updatedAt: Timestamp,
  })
  .openapi("ChannelAvailability");
export type ChannelAvailability = z.infer<typeof ChannelAvailability>;

export const AvailabilityQuery = z.object({ channel: ChannelId });

export const BulkAvailabilityQuery = z.object({
  channel: ChannelId,
  skus: z
    .string()
    .min(1)
    .transform((value) => [...new Set(value.split(","))])
    .pipe(z.array(Sku).min(1).max(maxSkusPerAvailabilityQuery))
    .openapi({ type: "string", description: `Comma-separated SKUs, at most ${maxSkusPerAvailabilityQuery}.`, example: "TSHIRT-RED-M,TSHIRT-RED-L" }),
});

export const BulkAvailability = z
  .object({
    channel: ChannelId,
    items: z.array(ChannelAvailability),
    unknown: z.array(Sku).openapi({ description: "SKUs with no stock recorded at any location." }),
  })
  .openapi("BulkAvailability");
export type BulkAvailability = z.infer<typeof BulkAvailability>;

export const AvailabilityChangesQuery = z.object({
  channel: ChannelId,
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

export const AvailabilityChange = z
  .object({ sku: Sku, available: z.number().int(), seq: z.number().int(), updatedAt: Timestamp })
  .openapi("AvailabilityChange");
export type AvailabilityChange = z.infer<typeof AvailabilityChange>;

export const AvailabilityChanges = z
  .object({
    channel: ChannelId,
    changes: z.array(AvailabilityChange),
    nextCursor: z.string().openapi({ description: "Pass it back to get what changed after this page." }),
    hasMore: z.boolean(),
  })
  .openapi("AvailabilityChanges");
export type AvailabilityChanges = z.infer<typeof AvailabilityChanges>;

