import type { WebhookSummary } from "../../../durable/shopify-integration.ts";
import type { Failure } from "../../../shared/errors.ts";
import { canonicalJson, sha256Hex } from "../../../shared/ids.ts";
import type { CancelOrderRequest, CreateOrderRequest, Order, Return } from "../../../shared/schemas/orders.ts";
import { orderIdOf } from "../../../durable/objects.ts";
import { cancelOrder, getOrder, submitOrder } from "../../orders/service.ts";
import { openReturn, receiveReturn } from "../../returns/service.ts";
import type { RefundUnits, ShopifyRefundPlan } from "./refund.ts";

/** What a webhook did, or why it could not (the reasons go to the exception queue). */
export type Applied = { ok: true; summary: WebhookSummary } | { ok: false; reasons: string[] };

const refused = (failure: Failure): Applied => ({ ok: false, reasons: [`${failure.code}: ${failure.detail}`] });

/** A deterministic Idempotency-Key: a Shopify retry of the same effect is the same request. */
async function keyOf(key: string, request: unknown) {
  return { key, requestHash: await sha256Hex(canonicalJson(request)) };
}

/** orders/create: the canonical order; its natural key (channel, Shopify order id) makes a re-sent one a duplicate. */
export async function submitShopifyOrder(env: Env, tenantId: string, order: CreateOrderRequest): Promise<Applied> {
  const answer = await submitOrder(env, tenantId, order);
  if (!answer.ok) return refused(answer);
  return { ok: true, summary: { orderId: answer.order.id, status: answer.order.status, externalId: order.externalId } };
}

/** The order Shopify calls `externalId` on `channel`, found by its natural key. */
async function findShopifyOrder(env: Env, tenantId: string, channel: string, externalId: string): Promise<Order | Failure> {
  const found = await getOrder(env, tenantId, await orderIdOf(tenantId, channel, externalId));
  if (found.ok) return found.order;
  return found.code === "not_found" ? { ...found, detail: `No order for Shopify order ${externalId} on channel ${channel}` } : found;
}

/** orders/cancelled: cancels what is not fulfilled of the order found by its natural key. */
export async function cancelShopifyOrder(env: Env, tenantId: string, channel: string, cancellation: { externalId: string; request: CancelOrderRequest }): Promise<Applied> {
  const order = await findShopifyOrder(env, tenantId, channel, cancellation.externalId);
  if ("ok" in order) return refused(order);
  const answer = await cancelOrder(env, tenantId, order.id, cancellation.request, await keyOf(`shopify-cancel:${order.id}`, cancellation.request));
  if (!answer.ok) return refused(answer);
  return { ok: true, summary: { orderId: order.id, status: answer.order.status } };
}

/**
 * Of the units a refund cancels, those the order still has open. Shopify
 * sends refunds/create with `cancel` lines when an order is cancelled, so
 * units orders/cancelled already cancelled are done, not a conflict.
 */
function stillOpen(order: Order, units: readonly RefundUnits[]): RefundUnits[] {
  const count = (list: readonly { sku: string; qty: number }[], sku: string) => list.filter((entry) => entry.sku === sku).reduce((total, entry) => total + entry.qty, 0);
  return units
    .map(({ sku, qty }) => ({ sku, qty: Math.min(qty, count(order.lines, sku) - count(order.fulfilled, sku) - count(order.cancelled, sku)) }))
    .filter((entry) => entry.qty > 0);
}

/**
 * Units to receive per location: a SKU's units go back where they shipped
 * from, in the order the order fulfilled them, less what already arrived.
 */
function receiptsOf(order: Order, plan: ShopifyRefundPlan, opened: Return) {
  const perLocation = new Map<string, { sku: string; qty: number; disposition: "restock" | "damaged" }[]>();
  for (const sku of new Set(plan.returned.map((units) => units.sku))) {
    const line = opened.lines.find((candidate) => candidate.sku === sku);
    let alreadyIn = line?.received ?? 0;
    const shipped = order.fulfilled.filter((f) => f.sku === sku).map((f) => ({ ...f }));
    for (const units of plan.returned.filter((candidate) => candidate.sku === sku)) {
      let left = units.qty;
      const skip = Math.min(alreadyIn, left);
      alreadyIn -= skip;
      left -= skip;
      for (const from of shipped) {
        const take = Math.min(left, from.qty);
        if (take <= 0) continue;
        from.qty -= take;
        left -= take;
        perLocation.set(from.location, [...(perLocation.get(from.location) ?? []), { sku, qty: take, disposition: units.disposition }]);
      }
    }
  }
  return perLocation;
}

/**
 * refunds/create: units refunded before they shipped are cancelled on the
 * order; shipped ones become a return (keyed by the Shopify refund id, so
 * it opens once for good) received at once where they shipped from.
 */
export async function refundShopifyOrder(env: Env, tenantId: string, channel: string, plan: ShopifyRefundPlan): Promise<Applied> {
  const order = await findShopifyOrder(env, tenantId, channel, plan.externalOrderId);
  if ("ok" in order) return refused(order);
  const summary: WebhookSummary = { orderId: order.id, refundId: plan.refundId };
  const reason = plan.note ?? "shopify refund";

  const cancel = stillOpen(order, plan.cancel);
  if (cancel.length > 0) {
    const request: CancelOrderRequest = { reason: `shopify refund ${plan.refundId}`, lines: cancel };
    const answer = await cancelOrder(env, tenantId, order.id, request, await keyOf(`shopify-refund:${plan.refundId}:cancel`, request));
    if (!answer.ok) return refused(answer);
    summary.orderStatus = answer.order.status;
  }
  if (plan.returned.length === 0) return { ok: true, summary };

  const lines = [...new Set(plan.returned.map((units) => units.sku))].map((sku) => ({
    sku,
    qty: plan.returned.filter((units) => units.sku === sku).reduce((total, units) => total + units.qty, 0),
    reason: reason.slice(0, 200),
  }));
  const opened = await openReturn(env, tenantId, { orderId: order.id, lines }, { externalKey: `shopify-refund:${plan.refundId}` });
  if (!opened.outcome.ok) return refused(opened.outcome);
  let current = opened.outcome.return;
  for (const [location, received] of receiptsOf(order, plan, current)) {
    const request = { location, lines: received };
    const { outcome } = await receiveReturn(env, tenantId, current.id, request, await keyOf(`shopify-refund:${plan.refundId}:receive:${location}`, request));
    if (!outcome.ok) return refused(outcome);
    current = outcome.return;
  }
  return { ok: true, summary: { ...summary, returnId: current.id, refund: current.refund.amount } };
}
