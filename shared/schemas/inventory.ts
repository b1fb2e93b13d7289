import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, LocationId, PlainText, Quantity, Reference, Sku, StockLevel, Timestamp } from "./common.ts";

export const SetStockRequest = z
  .object({
    onHand: StockLevel.openapi({ description: "Units physically at the location." }),
    safetyStock: StockLevel.optional().openapi({ description: "Units never offered to any channel; unchanged when omitted." }),
    reference: Reference.optional(),
  })
  .strict()
  .openapi("SetStockRequest");
export type SetStockRequest = z.infer<typeof SetStockRequest>;

export const AdjustmentRequest = z
  .object({
    location: LocationId,
    delta: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((n) => n !== 0, "delta must not be zero")
      .openapi({ example: -3 }),
    reason: PlainText(64).openapi({ example: "damaged" }),
    reference: Reference,
  })
  .strict()
  .openapi("AdjustmentRequest");
export type AdjustmentRequest = z.infer<typeof AdjustmentRequest>;

export const LocationStock = z
  .object({
    location: LocationId,
    onHand: z.number().int(),
    safetyStock: z.number().int(),
    reserved: z.number().int(),
    leased: z.number().int().openapi({ description: "Units the store here holds on lease (0 without one): no channel may reserve them." }),
    available: z.number().int().openapi({ description: "max(0, onHand - safetyStock - leased - reserved)" }),
  })
  .openapi("LocationStock");
export type LocationStock = z.infer<typeof LocationStock>;

/** One SKU's figures per location and in total (named SkuInventory in the OpenAPI document). */
export const InventoryView = z
  .object({
    sku: Sku,
    version: z.number().int().openapi({ description: "Increases with every movement of this SKU." }),
    locations: z.array(LocationStock),
    totals: z.object({ onHand: z.number().int(), safetyStock: z.number().int(), reserved: z.number().int(), leased: z.number().int(), available: z.number().int() }),
  })
  .openapi("SkuInventory");
export type InventoryView = z.infer<typeof InventoryView>;

export const defaultReservationTtlSeconds = 900;

export const CreateReservationRequest = z
  .object({
    qty: Quantity,
    channel: ChannelId,
    location: LocationId.optional().openapi({ description: "Reserve at this location (click-and-collect); otherwise against the channel's pool." }),
    ttlSeconds: z.number().int().min(1).max(604_800).default(defaultReservationTtlSeconds),
    reference: Reference,
  })
  .strict()
  .openapi("CreateReservationRequest");
export type CreateReservationRequest = z.infer<typeof CreateReservationRequest>;

export const ReservationStatus = z.enum(["active", "committed", "released", "expired"]);
export type ReservationStatus = z.infer<typeof ReservationStatus>;

export const Reservation = z
  .object({
    id: z.string().openapi({ example: "res_0w3x9q2k4m6n8p1r3t5v" }),
    sku: Sku,
    channel: ChannelId,
    qty: z.number().int(),
    status: ReservationStatus,
    allocations: z.array(z.object({ location: LocationId, qty: z.number().int() })),
    reference: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    closedAt: Timestamp.nullable(),
  })
  .openapi("Reservation");
export type Reservation = z.infer<typeof Reservation>;

export const ReservationListQuery = z.object({
  status: ReservationStatus.default("active").openapi({ description: "Which reservations: active (the default), committed, released or expired." }),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const ReservationPage = z
  .object({
    reservations: z.array(Reservation).openapi({ description: "In the order they were taken." }),
    nextCursor: z.string().nullable(),
  })
  .openapi("ReservationPage");
export type ReservationPage = z.infer<typeof ReservationPage>;

/**
 * pos_sale takes units off a store's onHand; pos_return and pos_void put them back.
 * write_off records units written off (a damaged return) with no figure moving.
 * allotment and allotment_return move units to and from a flash sale's shards (held in reserved meanwhile).
 * lease changes the units a store holds on lease at its location (set, re-sized, suspended or resumed).
 */
export const LedgerEntryType = z.enum(["snapshot", "adjustment", "reservation", "commit", "release", "expiry", "write_off", "allotment", "allotment_return", "lease", "pos_sale", "pos_return", "pos_void"]);
export type LedgerEntryType = z.infer<typeof LedgerEntryType>;

export const LedgerEntry = z
  .object({
    seq: z.number().int(),
    type: LedgerEntryType,
    location: LocationId,
    delta: z.number().int().openapi({ description: "Change of onHand." }),
    reservedDelta: z.number().int(),
    safetyStockDelta: z.number().int(),
    leasedDelta: z.number().int().openapi({ description: "Change of the store's lease in force (type lease)." }),
    reason: z.string().nullable(),
    reference: z.string().nullable(),
    reservationId: z.string().nullable(),
    idempotencyKey: z.string().nullable(),
    at: Timestamp,
    traceId: z
      .string()
      .nullable()
      .openapi({ description: "The trace of the change that wrote it (GET /v1/traces/{traceId}): a POS sale's, an order's reservation, or the reservation request's. Null for other entries and those written before entries carried traces." }),
  })
  .openapi("LedgerEntry");
export type LedgerEntry = z.infer<typeof LedgerEntry>;

export const LedgerQuery = z.object({
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const LedgerPage = z
  .object({ entries: z.array(LedgerEntry), nextCursor: z.string().nullable() })
  .openapi("LedgerPage");
export type LedgerPage = z.infer<typeof LedgerPage>;

