import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, LocationId, Timestamp } from "./common.ts";

/**
 * Something the platform did but a person should look at: it never refuses a
 * physical sale, so what would have been a refusal becomes an exception.
 */
export const ExceptionType = z.enum(["reservations_short", "unknown_sku", "webhook_unmapped", "backorder"]);

/** `resolved` is set by a later replay/resolve endpoint; everything starts `open`. */
export const ExceptionState = z.enum(["open", "resolved"]);

export const ShortReservation = z
  .object({
    id: z.string(),
    channel: ChannelId,
    qty: z.number().int().openapi({ description: "Units the reservation holds at this location." }),
    shortBy: z.number().int().openapi({ description: "Of those, units no longer covered by stock there." }),
    reference: z.string(),
  })
  .openapi("ShortReservation");

export const ReservationsShortPayload = z
  .object({
    sku: z.string(),
    location: LocationId,
    transactionId: z.string(),
    line: z.number().int().openapi({ description: "The POS line (1-based) whose sale left the location short." }),
    onHand: z.number().int(),
    safetyStock: z.number().int(),
    reserved: z.number().int(),
    shortBy: z.number().int().openapi({ description: "Reserved units no longer covered after the sale: reserved - max(0, onHand - safetyStock)." }),
    reservations: z.array(ShortReservation).openapi({ description: "The active reservations at the location that stock no longer covers; the oldest keep their cover first." }),
  })
  .openapi("ReservationsShortPayload");

export const UnknownSkuPayload = z
  .object({
    sku: z.string().openapi({ description: "The code the terminal sent: neither a catalog SKU nor a barcode of one." }),
    location: LocationId,
    transactionId: z.string(),
    lines: z.array(z.number().int()).openapi({ description: "The POS lines (1-based) with this code; their movements were applied anyway." }),
  })
  .openapi("UnknownSkuPayload");

export const WebhookUnmappedPayload = z
  .object({
    source: z.literal("shopify"),
    topic: z.string().openapi({ example: "orders/create" }),
    webhookId: z.string(),
    reasons: z.array(z.string()).openapi({ description: "Why it does not map, e.g. a line item without a SKU." }),
    body: z.string().openapi({ description: "The payload exactly as it arrived (its signature was valid)." }),
  })
  .openapi("WebhookUnmappedPayload");

export const BackorderPayload = z
  .object({
    orderId: z.string(),
    channel: ChannelId,
    externalId: z.string(),
    status: z.enum(["backordered", "in_exception"]).openapi({ description: "What the tenant's shortage policy made of the order." }),
    attempt: z.number().int().openapi({ description: "Which reservation attempt fell short (1 at admission, then one per retry)." }),
    shortages: z.array(z.object({ sku: z.string(), requested: z.number().int(), available: z.number().int() })),
  })
  .openapi("BackorderPayload");

const exceptionBase = {
  id: z.string().openapi({ example: "exc_0w3x9q2k4m6n8p1r3t5v" }),
  subject: z.string().openapi({ description: "What it is about, e.g. `sku:TSHIRT-RED-M@store-001`.", example: "sku:TSHIRT-RED-M@store-001" }),
  correlationId: z.string().nullable().openapi({ description: "The id that traces it to its cause: the POS transaction id." }),
  state: ExceptionState,
  createdAt: Timestamp,
};

export const ExceptionRecord = z
  .discriminatedUnion("type", [
    z.object({ ...exceptionBase, type: z.literal("reservations_short"), payload: ReservationsShortPayload }),
    z.object({ ...exceptionBase, type: z.literal("unknown_sku"), payload: UnknownSkuPayload }),
    z.object({ ...exceptionBase, type: z.literal("webhook_unmapped"), payload: WebhookUnmappedPayload }),
    z.object({ ...exceptionBase, type: z.literal("backorder"), payload: BackorderPayload }),
  ])
  .openapi("Exception");

export const ExceptionsQuery = z.object({
  type: ExceptionType.optional(),
  state: ExceptionState.optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const ExceptionPage = z
  .object({ exceptions: z.array(ExceptionRecord), nextCursor: z.string().nullable() })
  .openapi("ExceptionPage");

export type ExceptionType = z.infer<typeof ExceptionType>;
export type ExceptionState = z.infer<typeof ExceptionState>;
export type ShortReservation = z.infer<typeof ShortReservation>;
export type ReservationsShortPayload = z.infer<typeof ReservationsShortPayload>;
export type UnknownSkuPayload = z.infer<typeof UnknownSkuPayload>;
export type WebhookUnmappedPayload = z.infer<typeof WebhookUnmappedPayload>;
export type BackorderPayload = z.infer<typeof BackorderPayload>;
export type ExceptionRecord = z.infer<typeof ExceptionRecord>;
export type ExceptionsQuery = z.infer<typeof ExceptionsQuery>;
export type ExceptionPage = z.infer<typeof ExceptionPage>;
