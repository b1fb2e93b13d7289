import { z } from "@hono/zod-openapi";
import { ChannelId, LocationId, Sku, TenantId, Timestamp } from "./common.ts";
import { OrderStatus } from "./orders.ts";
import { Traceparent } from "./traces.ts";

/**
 * What Shelfsync tells a retailer's systems, posted to the tenant's event
 * webhook. Delivery is at least once: a receiver keeps the `id`s it has
 * handled and drops a repeat.
 */
export const EventType = z.enum(["order.created", "order.reserved", "order.fulfilled", "order.cancelled", "order.returned", "availability.changed"]);
export type EventType = z.infer<typeof EventType>;

const Units = z.object({ sku: Sku, qty: z.number().int() });

const OrderRef = {
  orderId: z.string(),
  channel: ChannelId,
  externalId: z.string().openapi({ description: "The channel's own order id." }),
  status: OrderStatus.openapi({ description: "The order's status once this event happened." }),
};

const eventBase = {
  id: z.string().openapi({ description: "Unique per event, kept across redeliveries and replays: the receiver's deduplication key.", example: "evt_0w3x9q2k4m6n8p1r3t5v" }),
  tenantId: TenantId,
  occurredAt: Timestamp,
  subject: z.string().openapi({ description: "The object it is about, e.g. `order:ord_3f1c…` or `sku:TSHIRT-RED-M@web`." }),
  traceparent: Traceparent.optional().openapi({
    description: "The W3C trace the change belongs to, when it has one (an order's events carry the order's trace; GET /v1/traces/{traceId} shows its path). The delivery also sends it as the `traceparent` header.",
  }),
};

export const OutboundEvent = z
  .discriminatedUnion("type", [
    z.object({ ...eventBase, type: z.literal("order.created"), data: z.object({ ...OrderRef, lines: z.array(Units) }) }),
    z.object({
      ...eventBase,
      type: z.literal("order.reserved"),
      data: z.object({ ...OrderRef, allocations: z.array(z.object({ sku: Sku, location: LocationId, qty: z.number().int() })) }),
    }),
    z.object({
      ...eventBase,
      type: z.literal("order.fulfilled"),
      data: z.object({ ...OrderRef, location: LocationId, lines: z.array(Units), carrier: z.string().nullable(), tracking: z.string().nullable() }),
    }),
    z.object({ ...eventBase, type: z.literal("order.cancelled"), data: z.object({ ...OrderRef, lines: z.array(Units), reason: z.string().nullable() }) }),
    z.object({
      ...eventBase,
      type: z.literal("order.returned"),
      data: z.object({
        orderId: z.string(),
        returnId: z.string(),
        location: LocationId,
        lines: z.array(z.object({ sku: Sku, qty: z.number().int(), disposition: z.enum(["restock", "damaged", "vendor_return"]) })),
        refund: z.object({ currency: z.string(), amount: z.number().int().openapi({ description: "Minor units this receipt refunds." }) }),
      }),
    }),
    z.object({
      ...eventBase,
      type: z.literal("availability.changed"),
      data: z.object({ sku: Sku, channel: ChannelId, available: z.number().int(), seq: z.number().int().openapi({ description: "The change feed's sequence number: a later one supersedes an earlier." }) }),
    }),
  ])
  .openapi("OutboundEvent");
export type OutboundEvent = z.infer<typeof OutboundEvent>;

/** A message on the `shelfsync-events` queue: the event, and the exception whose replay sent it again, if any. */
export const EventMessage = z.object({ event: OutboundEvent, replayOf: z.string().nullable() });
export type EventMessage = z.infer<typeof EventMessage>;

export const PutEventSettingsRequest = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .refine((url) => url.startsWith("https://") || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(url), "must be https (http only for localhost)")
      .openapi({ description: "Where every event is POSTed as JSON.", example: "https://erp.example.com/hooks/shelfsync" }),
    secret: z.string().min(16).max(256).openapi({ description: "Signs each delivery (HMAC-SHA256). Stored, never shown again in clear." }),
  })
  .strict()
  .openapi("PutEventSettingsRequest");
export type PutEventSettingsRequest = z.infer<typeof PutEventSettingsRequest>;

export const EventSettings = z
  .object({
    url: z.string(),
    secret: z.string().openapi({ description: "Masked: only its last 4 characters show.", example: "••••••••3f9a" }),
    signature: z.string().openapi({
      description:
        "How to check a delivery: `Shelfsync-Signature: sha256=<hex HMAC-SHA256(secret, Shelfsync-Timestamp + \".\" + raw body)>`; `Shelfsync-Event-Id` repeats the event id.",
    }),
    updatedAt: Timestamp,
  })
  .openapi("EventSettings");
export type EventSettings = z.infer<typeof EventSettings>;

