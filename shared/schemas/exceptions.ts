import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, LocationId, Timestamp } from "./common.ts";
import { OutboundEvent } from "./events.ts";

/**
 * Something the platform did but a person should look at: it never refuses a
 * physical sale, so what would have been a refusal becomes an exception.
 */
export const ExceptionType = z.enum(["reservations_short", "unknown_sku", "tender_short", "webhook_unmapped", "backorder", "event_delivery_failed", "channel_sku_unmapped", "channel_order_unmapped", "channel_shipment_refused", "erp_journal_refused", "erp_sales_document_refused", "settlement_line_unmatched", "payout_unbalanced", "loyalty_short"]);
export type ExceptionType = z.infer<typeof ExceptionType>;

/**
 * Everything starts `open`. A replay makes it `retrying` while the failed step
 * runs again, then `resolved` (it worked) or `open` again (it failed, with the
 * new failure in `lastFailure`). A person closes it as `resolved` or `ignored`.
 */
export const ExceptionState = z.enum(["open", "retrying", "resolved", "ignored"]);
export type ExceptionState = z.infer<typeof ExceptionState>;

export const ShortReservation = z
  .object({
    id: z.string(),
    channel: ChannelId,
    qty: z.number().int().openapi({ description: "Units the reservation holds at this location." }),
    shortBy: z.number().int().openapi({ description: "Of those, units no longer covered by stock there." }),
    reference: z.string(),
  })
  .openapi("ShortReservation");
export type ShortReservation = z.infer<typeof ShortReservation>;

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
export type ReservationsShortPayload = z.infer<typeof ReservationsShortPayload>;

export const UnknownSkuPayload = z
  .object({
    location: LocationId,
    transactionId: z.string(),
    codes: z
      .array(
        z.object({
          sku: z.string().openapi({ description: "The code the terminal sent: neither a catalog SKU nor a barcode of one." }),
          lines: z.array(z.number().int()).openapi({ description: "The POS lines (1-based) with this code." }),
          held: z.boolean().openapi({
            description:
              "true: nothing knew the code (no catalog item, no stock), so its lines moved no stock and made no SKU; a replay applies them once the catalog knows the code. false: the inventory knew it, its lines moved its stock.",
          }),
        }),
      )
      .openapi({ description: "Every code of the transaction the catalog did not know, once each, in line order." }),
  })
  .openapi("UnknownSkuPayload", { description: "One per POS transaction, however many unknown codes it names." });
export type UnknownSkuPayload = z.infer<typeof UnknownSkuPayload>;

export const TenderShortPayload = z
  .object({
    location: LocationId,
    transactionId: z.string(),
    total: z.number().int().openapi({ description: "Minor units the sale came to: Σ (qty × unitPrice − discount + tax)." }),
    tendered: z.number().int().openapi({ description: "Minor units its tenders add up to." }),
    shortBy: z.number().int().openapi({ description: "total − tendered, above zero." }),
    currency: z.string(),
  })
  .openapi("TenderShortPayload", {
    description: "A POS sale whose tenders do not cover its total. The sale happened and stands (its stock moved); the money needs a person: reconcile the till, then resolve.",
  });
export type TenderShortPayload = z.infer<typeof TenderShortPayload>;

export const LoyaltyShortPayload = z
  .object({
    customerId: z.string(),
    location: LocationId.optional().openapi({ description: "The store, for a POS transaction." }),
    transactionId: z.string().optional().openapi({ description: "The POS transaction." }),
    orderId: z.string().optional().openapi({ description: "The channel order, for a return of one." }),
    returnId: z.string().optional().openapi({ description: "The order's return." }),
    effect: z.enum(["redeem", "reverse-earn"]).openapi({ description: "redeem: a sale spent more points than the customer had when it reached the edge; reverse-earn: a return undid points the customer had already spent." }),
    points: z.number().int().openapi({ description: "Points the transaction moved, or should have." }),
    short: z.number().int().openapi({ description: "Of those, points the customer did not have: not spent or not taken back." }),
  })
  .openapi("LoyaltyShortPayload", {
    description: "A store transaction or an order's return whose points the customer's balance could not cover (docs/decisions/0038). The sale or return stands; the points need a person: adjust the customer's points, then resolve.",
  });
export type LoyaltyShortPayload = z.infer<typeof LoyaltyShortPayload>;

export const WebhookUnmappedPayload = z
  .object({
    source: z.literal("shopify"),
    topic: z.string().openapi({ example: "orders/create" }),
    webhookId: z.string(),
    reasons: z.array(z.string()).openapi({ description: "Why it does not map, e.g. a line item without a SKU." }),
    body: z.string().openapi({
      description: "The payload exactly as it arrived (its signature was valid). It carries customer data: only tenant admin keys read it; other keys read a placeholder saying it is withheld.",
    }),
  })
  .openapi("WebhookUnmappedPayload");
export type WebhookUnmappedPayload = z.infer<typeof WebhookUnmappedPayload>;

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
export type BackorderPayload = z.infer<typeof BackorderPayload>;

export const EventDeliveryFailedPayload = z
  .object({
    stage: z.enum(["enqueue", "delivery"]).openapi({
      description: "enqueue: the queue did not take the event when its state changed; delivery: the tenant's webhook failed every retry (the event came from the dead letter queue).",
    }),
    event: OutboundEvent,
    attempts: z.number().int().openapi({ description: "Delivery attempts made before it was given up (0 when it never reached the queue)." }),
    lastError: z.string().nullable().openapi({ description: "The last failure, e.g. `HTTP 503 from erp.example.com`." }),
  })
  .openapi("EventDeliveryFailedPayload");
export type EventDeliveryFailedPayload = z.infer<typeof EventDeliveryFailedPayload>;

export const ChannelSkuUnmappedPayload = z
  .object({
    connection: z.string().openapi({ description: "The connection that could not publish the SKU's availability.", example: "shopify-main" }),
    remote: z.enum(["shopify", "walmart", "amazon"]),
    channel: ChannelId,
    sku: z.string(),
    reason: z.string().openapi({ example: "Shopify has no product variant with this SKU" }),
  })
  .openapi("ChannelSkuUnmappedPayload", {
    description: "The remote has no item for the SKU, so its availability is not pushed (and not retried in a loop). Create the item there, then replay: the SKU is looked up and pushed again.",
  });
export type ChannelSkuUnmappedPayload = z.infer<typeof ChannelSkuUnmappedPayload>;

export const ChannelOrderUnmappedPayload = z
  .object({
    connection: z.string().openapi({ example: "walmart-main" }),
    remote: z.enum(["walmart", "amazon"]),
    channel: ChannelId,
    externalId: z.string().openapi({ description: "The remote's order id (Walmart: the purchase order id; Amazon: the order id)." }),
    reason: z.string().openapi({ example: "unknown_sku: Neither the catalog nor the inventory knows NOT-IN-SHELFSYNC" }),
  })
  .openapi("ChannelOrderUnmappedPayload", {
    description: "A remote's order that could not be recorded (on Walmart it stays unacknowledged). Fix the cause (add the SKU), then replay: the order is read again and recorded (and acknowledged, on Walmart).",
  });
export type ChannelOrderUnmappedPayload = z.infer<typeof ChannelOrderUnmappedPayload>;

export const ChannelShipmentRefusedPayload = z
  .object({
    connection: z.string().openapi({ example: "shopify-main" }),
    remote: z.enum(["shopify", "walmart", "amazon"]),
    channel: ChannelId,
    externalId: z.string().openapi({ description: "The remote's order id the fulfilment belongs to." }),
    eventId: z.string().openapi({ description: "The order.fulfilled event whose fulfilment was refused." }),
    reason: z.string().openapi({ example: "Walmart needs a carrier and a tracking number: record the fulfilment with both" }),
  })
  .openapi("ChannelShipmentRefusedPayload", {
    description: "A fulfilment recorded in Shelfsync that the remote would not take (no such order there, more units than it has left to ship, no tracking number). Fix the cause on the remote, then replay: the confirmation is sent again, and the exception is resolved once the remote takes it.",
  });
export type ChannelShipmentRefusedPayload = z.infer<typeof ChannelShipmentRefusedPayload>;

export const ErpJournalRefusedPayload = z
  .object({
    connection: z.string().openapi({ description: "The ERP connection's id.", example: "netsuite-main" }),
    remote: z.enum(["netsuite", "business-central", "file"]),
    journalId: z.string().openapi({ description: "The journal's external id.", example: "JE-acme-2026-11-23-store-a-pos-0" }),
    reason: z.string().openapi({ example: "NetSuite 400: Invalid account reference key 58." }),
  })
  .openapi("ErpJournalRefusedPayload", {
    description: "A posted journal the ERP would not take (an account or dimension it does not know, a closed period). Later journals go on. Fix the cause (the ERP, or the connection's account map), then replay: the journal is sent again under its external id, and the exception is resolved once the ERP takes it.",
  });
export type ErpJournalRefusedPayload = z.infer<typeof ErpJournalRefusedPayload>;

export const ErpSalesDocumentRefusedPayload = z
  .object({
    connection: z.string().openapi({ description: "The ERP connection's id.", example: "netsuite-main" }),
    remote: z.enum(["netsuite", "business-central", "file"]),
    externalId: z.string().openapi({ description: "The sales document's external id (decision 0027).", example: "web:SHOP-10042" }),
    orderId: z.string(),
    reason: z.string().openapi({ example: "no NetSuite item internal id for SKU TSHIRT-RED-M" }),
  })
  .openapi("ErpSalesDocumentRefusedPayload", {
    description: "An order's sales document the ERP would not take (an unmapped SKU, an unknown customer or item). Later documents and journals go on. Fix the cause (the ERP, or the connection's salesDocuments settings), then replay: the document is sent again under its external id, and the exception is resolved once the ERP takes it.",
  });
export type ErpSalesDocumentRefusedPayload = z.infer<typeof ErpSalesDocumentRefusedPayload>;

export const SettlementLineUnmatchedPayload = z
  .object({
    payoutId: z.string().openapi({ example: "shopify-payments:987654321" }),
    channel: ChannelId,
    line: z.number().int().openapi({ description: "The payout's line (GET /v1/finance/payouts/{id})." }),
    sourceLineId: z.string(),
    kind: z.enum(["charge", "refund"]),
    reference: z.string().nullable().openapi({ description: "The order reference the line carries, null when it has none." }),
    amount: z.number().int(),
    currency: z.string(),
    reason: z.string().openapi({ example: "no order 5551234 on channel web" }),
  })
  .openapi("SettlementLineUnmatchedPayload", {
    description: "A charge or refund of a payout that matches no order (yet); its gross waits in settlement suspense. Replay once the order exists: the line is matched and its amount moves to the channel's clearing account.",
  });
export type SettlementLineUnmatchedPayload = z.infer<typeof SettlementLineUnmatchedPayload>;

export const PayoutUnbalancedPayload = z
  .object({
    payoutId: z.string(),
    deposit: z.number().int(),
    linesNet: z.number().int(),
    unexplained: z.number().int().openapi({ description: "deposit − linesNet, booked to settlement suspense." }),
    currency: z.string(),
  })
  .openapi("PayoutUnbalancedPayload", {
    description: "A payout whose deposit is not the sum of its lines: something moved the balance that the source did not list. Find it with the provider, book it by hand, then resolve; a replay only checks again.",
  });
export type PayoutUnbalancedPayload = z.infer<typeof PayoutUnbalancedPayload>;

export const ExceptionTransition = z
  .object({
    at: Timestamp,
    from: ExceptionState.nullable().openapi({ description: "null when the exception was recorded." }),
    to: ExceptionState,
    by: z.string().openapi({ description: "`key:<key id>` for a person's API key, `system` for the platform.", example: "key:key_0w3x9q2k4m6n8p1r3t5v" }),
    note: z.string().nullable(),
  })
  .openapi("ExceptionTransition");
export type ExceptionTransition = z.infer<typeof ExceptionTransition>;

export const ExceptionFailure = z
  .object({ at: Timestamp, reason: z.string().openapi({ example: "still short: 2 of TSHIRT-RED-M requested, 1 available" }) })
  .openapi("ExceptionFailure");
export type ExceptionFailure = z.infer<typeof ExceptionFailure>;

const exceptionBase = {
  id: z.string().openapi({ example: "exc_0w3x9q2k4m6n8p1r3t5v" }),
  subject: z.string().openapi({ description: "What it is about, e.g. `sku:TSHIRT-RED-M@store-001`.", example: "sku:TSHIRT-RED-M@store-001" }),
  correlationId: z.string().nullable().openapi({ description: "The id that traces it to its cause: the POS transaction id, the order's external id, the webhook id or the event id." }),
  state: ExceptionState,
  replays: z.number().int().openapi({ description: "How many replays were started." }),
  lastFailure: ExceptionFailure.nullable().openapi({ description: "Why the latest replay (or redelivery) failed; null if none failed." }),
  transitions: z.array(ExceptionTransition).openapi({ description: "Every change of state, oldest first, with who made it and their note." }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

export const ExceptionRecord = z
  .discriminatedUnion("type", [
    z.object({ ...exceptionBase, type: z.literal("reservations_short"), payload: ReservationsShortPayload }),
    z.object({ ...exceptionBase, type: z.literal("unknown_sku"), payload: UnknownSkuPayload }),
    z.object({ ...exceptionBase, type: z.literal("tender_short"), payload: TenderShortPayload }),
    z.object({ ...exceptionBase, type: z.literal("webhook_unmapped"), payload: WebhookUnmappedPayload }),
    z.object({ ...exceptionBase, type: z.literal("backorder"), payload: BackorderPayload }),
    z.object({ ...exceptionBase, type: z.literal("event_delivery_failed"), payload: EventDeliveryFailedPayload }),
    z.object({ ...exceptionBase, type: z.literal("channel_sku_unmapped"), payload: ChannelSkuUnmappedPayload }),
    z.object({ ...exceptionBase, type: z.literal("channel_order_unmapped"), payload: ChannelOrderUnmappedPayload }),
    z.object({ ...exceptionBase, type: z.literal("channel_shipment_refused"), payload: ChannelShipmentRefusedPayload }),
    z.object({ ...exceptionBase, type: z.literal("erp_journal_refused"), payload: ErpJournalRefusedPayload }),
    z.object({ ...exceptionBase, type: z.literal("erp_sales_document_refused"), payload: ErpSalesDocumentRefusedPayload }),
    z.object({ ...exceptionBase, type: z.literal("settlement_line_unmatched"), payload: SettlementLineUnmatchedPayload }),
    z.object({ ...exceptionBase, type: z.literal("payout_unbalanced"), payload: PayoutUnbalancedPayload }),
    z.object({ ...exceptionBase, type: z.literal("loyalty_short"), payload: LoyaltyShortPayload }),
  ])
  .openapi("Exception");
export type ExceptionRecord = z.infer<typeof ExceptionRecord>;

export const ExceptionsQuery = z.object({
  type: ExceptionType.optional(),
  state: ExceptionState.optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ExceptionsQuery = z.infer<typeof ExceptionsQuery>;

export const ExceptionPage = z
  .object({ exceptions: z.array(ExceptionRecord), nextCursor: z.string().nullable() })
  .openapi("ExceptionPage");
export type ExceptionPage = z.infer<typeof ExceptionPage>;

export const ExceptionId = z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" }, example: "exc_0w3x9q2k4m6n8p1r3t5v" });

export const ExceptionParams = z.object({ id: ExceptionId });

const Note = z.string().trim().min(1).max(1000);

export const ReplayExceptionRequest = z
  .object({ note: Note.optional().openapi({ description: "Why it is replayed; kept on the transition." }) })
  .strict()
  .openapi("ReplayExceptionRequest");
export type ReplayExceptionRequest = z.infer<typeof ReplayExceptionRequest>;

export const ResolveExceptionRequest = z
  .object({
    note: Note.openapi({ description: "What was done about it; kept on the transition.", example: "Moved the reservation to store-002 by hand" }),
    state: z.enum(["resolved", "ignored"]).default("resolved"),
  })
  .strict()
  .openapi("ResolveExceptionRequest");
export type ResolveExceptionRequest = z.infer<typeof ResolveExceptionRequest>;

/**
 * What a replay did. `resolved`: the step worked; `failed`: it failed again
 * (the exception is open, `lastFailure` says why); `enqueued`: an event was
 * handed to the queue again (the exception stays `retrying` until it is
 * delivered, or back to `open` if it dies again); `already_closed`: the
 * exception was resolved or ignored before, nothing ran.
 */
export const ReplayOutcome = z.enum(["resolved", "failed", "enqueued", "already_closed"]);
export type ReplayOutcome = z.infer<typeof ReplayOutcome>;

export const ReplayAnswer = z
  .object({
    outcome: ReplayOutcome,
    detail: z.string().openapi({ example: "order ord_3f1c… reserved" }),
    exception: ExceptionRecord,
  })
  .openapi("ReplayAnswer");
export type ReplayAnswer = z.infer<typeof ReplayAnswer>;

