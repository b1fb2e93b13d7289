import { z } from "@hono/zod-openapi";
import { LocationId, Sku, Timestamp } from "./common.ts";
import { MinorUnits } from "./store-transactions.ts";

export const PutCatalogItemRequest = z
  .object({
    name: z.string().min(1).max(200),
    barcodes: z.array(z.string().regex(/^[0-9A-Za-z-]{4,64}$/)).max(20).default([]),
    price: MinorUnits.openapi({ description: "Minor units (cents)." }),
    currency: z.string().regex(/^[A-Z]{3}$/),
  })
  .strict()
  .openapi("PutCatalogItemRequest");

export const CatalogItem = PutCatalogItemRequest.extend({ sku: Sku, updatedAt: Timestamp }).openapi("CatalogItem");

export const PutPromotionRequest = z
  .object({
    name: z.string().min(1).max(200).optional(),
    skus: z.array(Sku).min(1).max(1000),
    percentOff: z.number().int().min(1).max(100).optional(),
    amountOff: MinorUnits.optional(),
    startsAt: Timestamp.pipe(z.iso.datetime()),
    endsAt: Timestamp.pipe(z.iso.datetime()),
  })
  .strict()
  .refine((p) => (p.percentOff === undefined) !== (p.amountOff === undefined), { message: "give exactly one of percentOff and amountOff", path: ["percentOff"] })
  .refine((p) => Date.parse(p.startsAt) < Date.parse(p.endsAt), { message: "endsAt must be after startsAt", path: ["endsAt"] })
  .openapi("PutPromotionRequest");

export const Promotion = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    skus: z.array(Sku),
    percentOff: z.number().int().nullable(),
    amountOff: z.number().int().nullable(),
    startsAt: Timestamp,
    endsAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi("Promotion");

/** One entry of a store's feed: the latest state of one thing, in change order. */
export const StoreFeedEntry = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("item"), item: CatalogItem }),
    z.object({ kind: z.literal("promotion"), promotion: Promotion }),
    z.object({ kind: z.literal("stock"), stock: z.object({ sku: Sku, location: LocationId, onHand: z.number().int(), available: z.number().int(), updatedAt: Timestamp }) }),
  ])
  .openapi("StoreFeedEntry");

export const StoreFeedPage = z
  .object({ entries: z.array(StoreFeedEntry), nextCursor: z.string(), hasMore: z.boolean() })
  .openapi("StoreFeedPage");

export type PutCatalogItemRequest = z.infer<typeof PutCatalogItemRequest>;
export type CatalogItem = z.infer<typeof CatalogItem>;
export type PutPromotionRequest = z.infer<typeof PutPromotionRequest>;
export type Promotion = z.infer<typeof Promotion>;
export type StoreFeedEntry = z.infer<typeof StoreFeedEntry>;
export type StoreFeedPage = z.infer<typeof StoreFeedPage>;
