import { z } from "@hono/zod-openapi";
import { ChannelId, checkLineAmounts, identifierCharacters, identifierPattern, Cursor, ExternalId, LineAmounts, LocationId, MinorUnits, PlainText, Quantity, Sku, Timestamp } from "./common.ts";

/** Plain values only: details cross Durable Object RPC, whose types refuse `unknown`. */
const Details = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]));

export const OrderLine = z
  .object({
    sku: Sku,
    qty: Quantity,
    ...LineAmounts,
  })
  .strict()
  .superRefine(checkLineAmounts)
  .openapi("OrderLine");
export type OrderLine = z.infer<typeof OrderLine>;

export const Address = z
  .object({
    name: z.string().min(1).max(200).optional(),
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    region: z.string().max(100).optional(),
    postalCode: z.string().max(20).optional(),
    country: z.string().regex(/^[A-Z]{2}$/),
  })
  .strict()
  .openapi("Address");

export const Delivery = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("ship"), address: Address }).strict(),
    z.object({ type: z.literal("pickup"), location: LocationId }).strict(),
  ])
  .openapi("Delivery");
export type Delivery = z.infer<typeof Delivery>;

/**
 * The canonical order every channel's order becomes. (tenant, channel,
 * externalId) is its natural key: a re-sent order is a duplicate whatever its
 * Idempotency-Key.
 */
export const CreateOrderRequest = z
  .object({
    channel: ChannelId,
    externalId: ExternalId("SHOP-10042"),
    currency: z.string().regex(/^[A-Z]{3}$/),
    lines: z.array(OrderLine).min(1).max(100),
    delivery: Delivery,
    customer: z
      .object({ id: ExternalId("CUST-0042").optional(), email: z.string().email().max(200).optional(), name: z.string().max(200).optional() })
      .strict()
      .default({}),
    shipping: MinorUnits.default(0),
  })
  .strict()
  .openapi("CreateOrderRequest");
export type CreateOrderRequest = z.infer<typeof CreateOrderRequest>;

export const OrderStatus = z.enum(["received", "reserved", "partially_fulfilled", "fulfilled", "cancelled", "backordered", "in_exception"]);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const Allocation = z
  .object({
    location: LocationId,
    sku: Sku,
    qty: z.number().int().openapi({ description: "Units allocated here when the order was routed." }),
    reservationId: z.string().nullable().openapi({ description: "The reservation in the SKU's object; null while it is being taken." }),
    held: z.number().int().openapi({ description: "Of those, units still reserved: not yet fulfilled or cancelled." }),
  })
  .openapi("Allocation");
export type Allocation = z.infer<typeof Allocation>;

/**
 * What happens to an order when some line cannot be reserved (after every
 * reservation already taken is released): `backorder` (the default) or
 * `exception`. Either way a `backorder` exception is recorded.
 */
export const ShortagePolicy = z.enum(["backorder", "exception"]);
export type ShortagePolicy = z.infer<typeof ShortagePolicy>;

export const Shortage = z
  .object({ sku: Sku, requested: z.number().int(), available: z.number().int().openapi({ description: "Units the channel could have had when the order was routed." }) })
  .openapi("Shortage");
export type Shortage = z.infer<typeof Shortage>;

export const OrderEvent = z
  .object({
    at: Timestamp,
    type: z.string().openapi({ example: "reserved" }),
    from: OrderStatus.nullable(),
    to: OrderStatus,
    cause: z.string().openapi({ description: "What moved the order: the request, the alarm, a compensation, a webhook." }),
    detail: Details.optional(),
  })
  .openapi("OrderEvent");
export type OrderEvent = z.infer<typeof OrderEvent>;

export const Order = z
  .object({
    id: z.string(),
    channel: ChannelId,
    externalId: z.string(),
    status: OrderStatus,
    currency: z.string(),
    lines: z.array(OrderLine),
    shipping: z.number().int().openapi({ description: "Shipping charged, minor units." }),
    delivery: Delivery,
    customerId: z
      .string()
      .nullable()
      .openapi({ description: "The tenant's customer the order's contact is linked to (by email, or a customer id the directory knows), once its first fulfilment or return was handled; null until then or without a contact." }),
    traceId: z.string().nullable().openapi({ description: "The order's trace (GET /v1/traces/{traceId}): from receipt through reservation, fulfilment, its events, the books and points. Null for orders older than tracing." }),
    allocations: z.array(Allocation),
    shortages: z.array(Shortage).openapi({ description: "Why the order is backordered or in exception; empty otherwise." }),
    fulfilled: z.array(z.object({ sku: Sku, location: LocationId, qty: z.number().int() })),
    cancelled: z.array(z.object({ sku: Sku, qty: z.number().int() })),
    events: z.array(OrderEvent),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi("Order");
export type Order = z.infer<typeof Order>;

export const FulfillmentRequest = z
  .object({
    location: LocationId,
    lines: z.array(z.object({ sku: Sku, qty: Quantity }).strict()).min(1).max(100),
    carrier: PlainText(100).optional(),
    tracking: PlainText(200).optional(),
  })
  .strict()
  .openapi("FulfillmentRequest");
export type FulfillmentRequest = z.infer<typeof FulfillmentRequest>;

export const CancelOrderRequest = z
  .object({
    reason: PlainText(200).default("cancelled"),
    lines: z.array(z.object({ sku: Sku, qty: Quantity }).strict()).min(1).max(100).optional().openapi({ description: "Cancel only these units; all unfulfilled units when omitted." }),
  })
  .strict()
  .openapi("CancelOrderRequest");
export type CancelOrderRequest = z.infer<typeof CancelOrderRequest>;

export const OrderSummary = z
  .object({ id: z.string(), channel: ChannelId, externalId: z.string(), status: OrderStatus, createdAt: Timestamp, updatedAt: Timestamp })
  .openapi("OrderSummary");
export type OrderSummary = z.infer<typeof OrderSummary>;

export const OrdersQuery = z.object({
  status: OrderStatus.optional(),
  channel: ChannelId.optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type OrdersQuery = z.infer<typeof OrdersQuery>;

export const OrderPage = z.object({ orders: z.array(OrderSummary), nextCursor: z.string().nullable() }).openapi("OrderPage");
export type OrderPage = z.infer<typeof OrderPage>;

export const OrderSettings = z.object({ shortagePolicy: ShortagePolicy.default("backorder") }).strict().openapi("OrderSettings");
export type OrderSettings = z.infer<typeof OrderSettings>;

export const ReturnDisposition = z.enum(["restock", "damaged", "vendor_return"]);
export type ReturnDisposition = z.infer<typeof ReturnDisposition>;

export const CreateReturnRequest = z
  .object({
    orderId: z.string().regex(identifierPattern, `an order id: ${identifierCharacters}`),
    lines: z
      .array(z.object({ sku: Sku, qty: Quantity, reason: PlainText(200) }).strict())
      .min(1)
      .max(100)
      .refine((lines) => new Set(lines.map((line) => line.sku)).size === lines.length, "each SKU at most once"),
  })
  .strict()
  .openapi("CreateReturnRequest");
export type CreateReturnRequest = z.infer<typeof CreateReturnRequest>;

export const ReceiveReturnRequest = z
  .object({
    location: LocationId,
    lines: z.array(z.object({ sku: Sku, qty: Quantity, disposition: ReturnDisposition }).strict()).min(1).max(100),
  })
  .strict()
  .openapi("ReceiveReturnRequest");
export type ReceiveReturnRequest = z.infer<typeof ReceiveReturnRequest>;

export const ReturnStatus = z.enum(["open", "partially_received", "received"]);

export const Return = z
  .object({
    id: z.string(),
    orderId: z.string(),
    status: ReturnStatus,
    lines: z.array(z.object({ sku: Sku, qty: z.number().int(), reason: z.string(), received: z.number().int() })),
    received: z.array(
      z.object({
        receipt: z.number().int().openapi({ description: "Which receive call (1, 2, …) brought these units." }),
        sku: Sku,
        qty: z.number().int(),
        location: LocationId,
        disposition: ReturnDisposition,
        refund: z.number().int().openapi({ description: "Minor units these units earned." }),
        at: Timestamp,
      }),
    ),
    refund: z.object({
      currency: z.string(),
      amount: z.number().int().openapi({
        description:
          "Minor units, the sum of the received lines' refunds. Per SKU of the order, units received across all its returns earn floor(lineAmount × receivedSoFar / ordered) less what earlier receipts earned, where lineAmount = unitPrice × qty − discount + tax: exact integers, and a whole line refunds its amount to the unit.",
      }),
    }),
    events: z.array(z.object({ at: Timestamp, type: z.string(), detail: Details.optional() })),
    createdAt: Timestamp,
  })
  .openapi("Return");
export type Return = z.infer<typeof Return>;

