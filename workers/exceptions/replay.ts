import type { ReplayResult, StepOutcome } from "../../durable/exception-queue.ts";
import type { IdempotencyInput } from "../../durable/idempotency.ts";
import type { EventMessage } from "../../shared/schemas/events.ts";
import type { BackorderPayload, ExceptionRecord, ReservationsShortPayload, UnknownSkuPayload } from "../../shared/schemas/exceptions.ts";
import { replayUnmappedShopifyWebhook } from "../integrations/shopify/webhook.ts";
import { logLine } from "../log.ts";
import { catalogStore, channelConnection, erpConnection, exceptionQueue, skuObject, storeIngest, tenantSettlements } from "../../durable/objects.ts";
import { getOrder, retryOrder } from "../orders/service.ts";

export interface ReplayRequest {
  tenantId: string;
  exceptionId: string;
  /** Who asks: `key:<key id>`. */
  by: string;
  note: string | null;
  idempotency?: IdempotencyInput;
  /** The asking request's trace id, for the log. */
  traceId?: string;
}

/**
 * Runs an exception's failed step again, once: the exception queue claims it
 * (`open` → `retrying`; a closed one answers `already_closed` and nothing
 * runs), the step runs, and its outcome settles the exception. The
 * Idempotency-Key's answer is stored with that outcome.
 *
 * @example
 * const { result, replayed } = await replayException(env, { tenantId, exceptionId, by: `key:${principal.keyId}`, note: null, idempotency });
 */
export async function replayException(env: Env, request: ReplayRequest): Promise<{ result: ReplayResult; replayed: boolean }> {
  const queue = exceptionQueue(env, request.tenantId);
  const claim = await queue.beginReplay(request.exceptionId, request.by, request.note, request.idempotency);
  if (!claim.run) return { result: claim.result, replayed: claim.replayed };
  let step: StepOutcome;
  try {
    step = await runStep(env, request.tenantId, claim.exception);
  } catch (error) {
    // An infrastructure fault is a failed replay too: the exception is open again, saying so.
    logLine({ level: "error", message: "exception replay failed", traceId: request.traceId, exceptionId: request.exceptionId, error: String(error) });
    step = { outcome: "failed", detail: `the step could not run: ${String(error).slice(0, 300)}` };
  }
  return { result: await queue.finishReplay(request.exceptionId, claim.replay, step, request.by, request.idempotency), replayed: false };
}

/** The failed step of each type, run again. */
async function runStep(env: Env, tenantId: string, exception: ExceptionRecord): Promise<StepOutcome> {
  switch (exception.type) {
    case "backorder":
      return retryBackorder(env, tenantId, exception.payload);
    case "webhook_unmapped": {
      const outcome = await replayUnmappedShopifyWebhook(env, tenantId, exception.payload);
      if (outcome.state === "unmapped") return { outcome: "failed", detail: `still does not map: ${outcome.summary.reason ?? "unknown reason"}` };
      const what = Object.entries(outcome.summary).map(([key, value]) => `${key} ${value}`).join(", ");
      return { outcome: "resolved", detail: `webhook ${outcome.state}${what ? `: ${what}` : ""}` };
    }
    case "reservations_short":
      return recheckShortage(env, tenantId, exception.payload);
    case "unknown_sku":
      return recheckUnknownSku(env, tenantId, exception.payload);
    case "tender_short": {
      const { shortBy, currency } = exception.payload;
      return { outcome: "failed", detail: `the tenders were ${shortBy} ${currency} minor units short at the till; nothing to run again: reconcile the till, then resolve` };
    }
    case "loyalty_short": {
      const { short, customerId } = exception.payload;
      return { outcome: "failed", detail: `customer ${customerId} was ${short} points short; nothing to run again: adjust their points (POST /v1/customers/${customerId}/loyalty/adjustments), then resolve` };
    }
    case "channel_sku_unmapped": {
      const { confirmed, detail } = await channelConnection(env, tenantId, exception.payload.connection).retrySku(exception.payload.sku);
      return { outcome: confirmed ? "resolved" : "failed", detail };
    }
    case "channel_order_unmapped": {
      const { recorded, detail } = await channelConnection(env, tenantId, exception.payload.connection).retryOrder(exception.payload.externalId);
      return { outcome: recorded ? "resolved" : "failed", detail };
    }
    case "channel_shipment_refused": {
      const { confirmed, detail } = await channelConnection(env, tenantId, exception.payload.connection).retryShipment(exception.payload.eventId);
      return { outcome: confirmed ? "resolved" : "failed", detail };
    }
    case "erp_journal_refused": {
      const { posted, detail } = await erpConnection(env, tenantId, exception.payload.connection).retryJournal(exception.payload.journalId);
      return { outcome: posted ? "resolved" : "failed", detail };
    }
    case "erp_sales_document_refused": {
      const { posted, detail } = await erpConnection(env, tenantId, exception.payload.connection).retrySalesDocument(exception.payload.externalId);
      return { outcome: posted ? "resolved" : "failed", detail };
    }
    case "settlement_line_unmatched": {
      const { matched, detail } = await tenantSettlements(env, tenantId).rematchLine(exception.payload.payoutId, exception.payload.line);
      return { outcome: matched ? "resolved" : "failed", detail };
    }
    case "payout_unbalanced": {
      const { balanced, detail } = await tenantSettlements(env, tenantId).recheckBalance(exception.payload.payoutId);
      return { outcome: balanced ? "resolved" : "failed", detail };
    }
    case "event_delivery_failed": {
      const message: EventMessage = { event: exception.payload.event, replayOf: exception.id };
      try {
        await env.EVENTS.send(message, { contentType: "json" });
      } catch (error) {
        return { outcome: "failed", detail: `the queue refused it again: ${String(error).slice(0, 300)}` };
      }
      return { outcome: "enqueued", detail: `event ${exception.payload.event.id} handed to the queue again; resolved once delivered` };
    }
  }
}

/** A new reservation attempt for the order. Resolved once it is reserved, or when there is nothing left to reserve. */
async function retryBackorder(env: Env, tenantId: string, payload: BackorderPayload): Promise<StepOutcome> {
  const answer = await retryOrder(env, tenantId, payload.orderId);
  if (answer.ok) {
    const { order } = answer;
    if (order.status === "reserved") return { outcome: "resolved", detail: `order ${order.id} reserved at ${[...new Set(order.allocations.map((a) => a.location))].join(", ")}` };
    if (order.status === "backordered" || order.status === "in_exception") {
      return { outcome: "failed", detail: `still short: ${order.shortages.map((s) => `${s.sku}: ${s.requested} requested, ${s.available} available`).join("; ")}` };
    }
    return { outcome: "failed", detail: `order ${order.id} is still ${order.status}: an object could not be reached; replay again` };
  }
  if (answer.code === "conflict") {
    // Not backordered any more: reserved by an earlier replay, or fulfilled or cancelled since.
    const found = await getOrder(env, tenantId, payload.orderId);
    if (found.ok) return { outcome: "resolved", detail: `order ${found.order.id} is already ${found.order.status}; nothing to reserve` };
  }
  return { outcome: "failed", detail: `${answer.code}: ${answer.detail}` };
}

/**
 * Whether the store's stock covers the reservations the sale left short. The
 * replay only checks: moving a reservation to another location is a person's
 * call (release it, reserve elsewhere), so a shortage that remains stays open.
 */
async function recheckShortage(env: Env, tenantId: string, payload: ReservationsShortPayload): Promise<StepOutcome> {
  const sku = skuObject(env, tenantId, payload.sku);
  const inventory = await sku.getInventory();
  const here = inventory.ok ? inventory.inventory.locations.find((l) => l.location === payload.location) : undefined;
  const onHand = here?.onHand ?? 0;
  const safetyStock = here?.safetyStock ?? 0;
  const reserved = here?.reserved ?? 0;
  const uncovered = Math.max(0, reserved - Math.max(0, onHand - safetyStock));
  const stillHeld = await Promise.all(
    payload.reservations.map(async ({ id }) => {
      const found = await sku.getReservation(id, null);
      if (!found.ok || found.reservation.status !== "active") return 0;
      return found.reservation.allocations.filter((a) => a.location === payload.location).reduce((total, a) => total + a.qty, 0);
    }),
  );
  const held = stillHeld.reduce((total, qty) => total + qty, 0);
  const short = Math.min(held, uncovered);
  const figures = `onHand ${onHand}, safetyStock ${safetyStock}, reserved ${reserved} at ${payload.location}`;
  if (short === 0) {
    return { outcome: "resolved", detail: held === 0 ? `the short reservations are no longer active (${figures})` : `stock covers the reservations again (${figures})` };
  }
  const active = payload.reservations.filter((_, i) => stillHeld[i]! > 0).map((r) => r.id);
  return { outcome: "failed", detail: `still short by ${short} of ${payload.sku} (${figures}); release or move ${active.join(", ")}, or resolve` };
}

/**
 * Whether the catalog knows the transaction's codes now. Held lines (codes
 * nothing knew) are applied now under the SKU each code names; lines the
 * inventory knew were counted under the code as sent, so a code that turned
 * out to be another SKU's barcode still needs a person to move them.
 */
async function recheckUnknownSku(env: Env, tenantId: string, payload: UnknownSkuPayload): Promise<StepOutcome> {
  const { applied, stillUnknown } = await storeIngest(env, tenantId, payload.location).applyHeld(payload.transactionId);
  const counted = payload.codes.filter((code) => !code.held).map((code) => code.sku);
  const resolved = await catalogStore(env, tenantId).resolveCodes(counted);
  const problems = [
    ...stillUnknown.map((code) => `the catalog still does not know ${code}`),
    ...counted.flatMap((code) => {
      const found = resolved[code];
      if (!found?.known) return [`the catalog still does not know ${code}`];
      if (found.sku !== code) return [`${code} is a barcode of ${found.sku}, but the sale was counted under ${code}: move the units with adjustments, then resolve`];
      return [];
    }),
  ];
  if (problems.length > 0) return { outcome: "failed", detail: problems.join("; ") };
  const known = payload.codes.map((code) => code.sku).join(", ");
  return { outcome: "resolved", detail: applied.length > 0 ? `the catalog now has ${known}; held lines of ${applied.join(", ")} applied` : `the catalog now has ${known}` };
}
