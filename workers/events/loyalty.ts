import type { ExceptionDraft } from "../../durable/exception-queue.ts";
import { customerDirectory, customerLoyalty, exceptionQueue, orderProcess } from "../../durable/objects.ts";
import { orderEarningPrefix, orderLoyaltyKey, orderUnitsPaid, pointsFor } from "../../shared/loyalty-earning.ts";
import type { OutboundEvent } from "../../shared/schemas/events.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import { orderReader, type OrderReader } from "./order-reader.ts";

type PointsEvent = Extract<OutboundEvent, { type: "order.fulfilled" | "order.returned" }>;

const day = 24 * 60 * 60 * 1000;

/** The events that move a customer's points: a fulfilment earns on the units it shipped, a return undoes that on the units it brought back. */
export function isPointsEvent(event: OutboundEvent): event is PointsEvent {
  return event.type === "order.fulfilled" || event.type === "order.returned";
}

/**
 * Moves the points of a channel order's customer (docs/decisions/0038):
 * the order is linked to a customer of the tenant's directory the first
 * time (by a customer id the directory knows, else by email; none without
 * either), then a fulfilment earns on what its units paid at the channel's
 * rate, and a return undoes the order's earnings in the share its units
 * paid of what the order's fulfilled units paid. Each under a key derived
 * from the event, so a redelivery or a replay moves nothing twice; a
 * failure fails the delivery and the queue retries the whole event. What
 * the customer no longer has, where the programme does not let the balance
 * owe it, becomes a `loyalty_short` exception. Answers whose points moved
 * and how, for the event's trace (null: none).
 */
export async function applyOrderPoints(env: Env, event: PointsEvent, readOrder: OrderReader = orderReader(env, event)): Promise<{ customerId: string; detail: string } | null> {
  const { tenantId } = event;
  const process = orderProcess(env, tenantId, event.data.orderId);
  const link = await process.customerLink();
  if (!link) throw new Error(`order ${event.data.orderId} of event ${event.id} not found`);
  const directory = customerDirectory(env, tenantId);
  const resolved = link.customerId ?? (await directory.resolveOrderCustomer(link.contact));
  if (resolved === null) return null;
  const customerId = link.customerId ?? (await process.linkCustomer(resolved));
  const [order, settings] = await Promise.all([readOrder(), directory.getLoyaltySettings()]);
  const points = customerLoyalty(env, tenantId, customerId);
  if (event.type === "order.fulfilled") {
    const rate = settings.channelRates[order.channel] ?? settings.pointsPerUnit;
    const earned = pointsFor(orderUnitsPaid(order.lines, event.data.lines, settings.excludedSkus), order.currency, rate);
    if (earned === 0) return null;
    const result = await points.earn({ source: "order", reference: order.id, sourceKey: orderLoyaltyKey(order.id, "earn", event.id), points: earned, lifetimeMs: settings.lifetimeDays * day });
    if (!result.ok) throw new Error(`earning for order ${order.id}: ${result.code}`);
    return { customerId, detail: `earned ${earned} points` };
  }
  const whole = orderUnitsPaid(order.lines, fulfilledUnits(order), settings.excludedSkus);
  const part = Math.min(whole, orderUnitsPaid(order.lines, event.data.lines, settings.excludedSkus));
  if (part === 0) return null;
  const sourceKey = orderLoyaltyKey(order.id, "reverse-earn", event.id);
  const result = await points.reverseEarning({
    source: "return",
    reference: event.data.returnId,
    sourceKey,
    earningKeyPrefix: orderEarningPrefix(order.id),
    part,
    whole,
    allowNegative: settings.allowNegativeBalance,
  });
  if (!result.ok) {
    // An order that earned nothing (no rate, or its fulfilment not handled yet) has nothing to undo.
    if (result.code === "not_found") return null;
    throw new Error(`reversal for order ${order.id}: ${result.code}`);
  }
  if (result.shortfall > 0) await exceptionQueue(env, tenantId).record([orderPointsShort(customerId, order, event, result.reversed + result.shortfall, result.shortfall)]);
  return { customerId, detail: `reversed ${result.reversed} points${result.shortfall > 0 ? `, ${result.shortfall} short` : ""}` };
}

/** The order's fulfilled units per SKU, whatever location shipped them. */
function fulfilledUnits(order: Order): { sku: string; qty: number }[] {
  const bySku = new Map<string, number>();
  for (const { sku, qty } of order.fulfilled) bySku.set(sku, (bySku.get(sku) ?? 0) + qty);
  return [...bySku].map(([sku, qty]) => ({ sku, qty }));
}

function orderPointsShort(customerId: string, order: Order, event: Extract<PointsEvent, { type: "order.returned" }>, points: number, short: number): ExceptionDraft {
  return {
    naturalKey: `loyalty_short:order:${order.id}:${event.id}`,
    type: "loyalty_short",
    subject: `customer:${customerId}`,
    correlationId: order.id,
    payload: { customerId, orderId: order.id, returnId: event.data.returnId, effect: "reverse-earn", points, short },
  };
}
