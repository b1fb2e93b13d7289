import { z } from "@hono/zod-openapi";
import { identifierCharacters, identifierPattern, LocationId, MinorUnits, PlainText, Sku, Timestamp } from "./common.ts";

export const Barcode = z.string().regex(/^[0-9A-Za-z-]{4,64}$/, "4-64 letters, digits or '-'").openapi({ example: "0012345678905" });

export const PromotionId = z
  .string()
  .regex(identifierPattern, `1-64 characters: ${identifierCharacters}`)
  .openapi({ example: "summer-10" });

const catalogItemFields = z.object({
  name: PlainText(200),
  barcodes: z.array(Barcode).max(20).default([]).openapi({ description: "A barcode belongs to one SKU of the tenant at a time." }),
  price: MinorUnits.openapi({ description: "Minor units (cents)." }),
  currency: z.string().regex(/^[A-Z]{3}$/),
});

export const PutCatalogItemRequest = catalogItemFields
  .strict()
  .refine((item) => new Set(item.barcodes).size === item.barcodes.length, { message: "a barcode appears twice", path: ["barcodes"] })
  .openapi("PutCatalogItemRequest");
export type PutCatalogItemRequest = z.infer<typeof PutCatalogItemRequest>;

export const CatalogItem = catalogItemFields.extend({ sku: Sku, updatedAt: Timestamp }).openapi("CatalogItem");
export type CatalogItem = z.infer<typeof CatalogItem>;

export const PutPromotionRequest = z
  .object({
    name: PlainText(200).optional(),
    skus: z.array(Sku).min(1).max(1000),
    percentOff: z.number().int().min(1).max(100).optional(),
    amountOff: MinorUnits.min(1).optional(),
    startsAt: Timestamp.pipe(z.iso.datetime()),
    endsAt: Timestamp.pipe(z.iso.datetime()),
  })
  .strict()
  .refine((p) => (p.percentOff === undefined) !== (p.amountOff === undefined), { message: "give exactly one of percentOff and amountOff", path: ["percentOff"] })
  .refine((p) => Date.parse(p.startsAt) < Date.parse(p.endsAt), { message: "endsAt must be after startsAt", path: ["endsAt"] })
  .refine((p) => new Set(p.skus).size === p.skus.length, { message: "a SKU appears twice", path: ["skus"] })
  .openapi("PutPromotionRequest");
export type PutPromotionRequest = z.infer<typeof PutPromotionRequest>;

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
export type Promotion = z.infer<typeof Promotion>;

export const StoreStock = z
  .object({
    sku: z.string().min(1).max(64).openapi({ description: "A catalog SKU, or a code a POS line carried that the catalog does not know." }),
    location: LocationId,
    onHand: z.number().int().openapi({ description: "May be negative: a store that sold offline what the edge did not know of." }),
    available: z.number().int().openapi({ description: "max(0, onHand - safetyStock - leased - reserved) at this location." }),
    leased: z
      .number()
      .int()
      .default(0)
      .openapi({ description: "Of the store's lease (docs/decisions/0033), the units it may sell while offline without leaving a channel's reservation uncovered: min(lease in force, onHand - safetyStock - reserved), at least 0." }),
    updatedAt: Timestamp,
  })
  .openapi("StoreStock");
export type StoreStock = z.infer<typeof StoreStock>;

/** One entry of a store's feed: the latest state of one thing, in change order. */
export const StoreFeedEntry = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("item"), item: CatalogItem }),
    z.object({ kind: z.literal("promotion"), promotion: Promotion }),
    z.object({ kind: z.literal("stock"), stock: StoreStock }),
  ])
  .openapi("StoreFeedEntry");
export type StoreFeedEntry = z.infer<typeof StoreFeedEntry>;

export const FeedCursor = z
  .string()
  .regex(/^\d{1,15}-\d{1,15}$/, "a cursor returned by a previous page")
  .openapi({ description: "Opaque: pass back the nextCursor of the previous page.", example: "42-17" });

export const StoreFeedQuery = z.object({
  cursor: FeedCursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

export const StoreFeedPage = z
  .object({
    entries: z.array(StoreFeedEntry),
    nextCursor: z.string().openapi({ description: "Opaque and always present: pass it back for the next page, or later for what changed since." }),
    hasMore: z.boolean(),
  })
  .openapi("StoreFeedPage");
export type StoreFeedPage = z.infer<typeof StoreFeedPage>;

