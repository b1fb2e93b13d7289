import { traceIdOf } from "../../shared/tracing.ts";
import type { OrderContribution } from "../../durable/finance-contributions.ts";
import { financeLedger } from "../../durable/objects.ts";
import type { OutboundEvent } from "../../shared/schemas/events.ts";
import type { Order } from "../../shared/schemas/orders.ts";
import { orderReader, type OrderReader } from "./order-reader.ts";

type BookedEvent = Extract<OutboundEvent, { type: "order.created" | "order.fulfilled" | "order.returned" }>;

/** The events that put something in the books: an order's sale (created or fulfilled, per the tenant's settings) and a refund. */
export function isBookedEvent(event: OutboundEvent): event is BookedEvent {
  return event.type === "order.created" || event.type === "order.fulfilled" || event.type === "order.returned";
}

/**
 * Hands an order's sale or a refund to the tenant's finance ledger, with
 * the order's amounts (the event carries units only). The ledger books each
 * event id once, so a redelivery or a replay books nothing twice; a failure
 * fails the delivery and the queue retries the whole event. Answers what was
 * booked, for the event's trace (null: nothing).
 */
export async function bookEvent(env: Env, event: BookedEvent, readOrder: OrderReader = orderReader(env, event)): Promise<string | null> {
  const ledger = financeLedger(env, event.tenantId);
  if (event.type === "order.created" && ((await ledger.getSettings())?.salesDocumentsOn ?? "fulfilled") !== "created") return null;
  const order = await readOrder();
  if (event.type === "order.returned") {
    const { returnId, orderId, location, refund } = event.data;
    if (refund.amount === 0) return null;
    await ledger.contribute([{ kind: "refund", eventId: event.id, returnId, orderId, channel: order.channel, externalId: order.externalId, location, occurredAt: event.occurredAt, currency: refund.currency, amount: refund.amount }]);
    return `refund of ${refund.amount} ${refund.currency} minor units`;
  }
  const sale: Omit<OrderContribution, "trigger" | "location" | "units"> = {
    kind: "order",
    eventId: event.id,
    orderId: order.id,
    channel: order.channel,
    externalId: order.externalId,
    occurredAt: event.occurredAt,
    currency: order.currency,
    lines: order.lines,
    shipping: order.shipping,
    traceId: traceIdOf(event.traceparent),
  };
  if (event.type === "order.fulfilled") {
    await ledger.contribute([{ ...sale, trigger: "fulfilled", location: event.data.location, units: event.data.lines }]);
    return `sale of the units fulfilled at ${event.data.location}`;
  }
  await ledger.contribute([{ ...sale, trigger: "created", location: bookingLocationOf(order), units: order.lines.map(({ sku, qty }) => ({ sku, qty })) }]);
  return "sale booked on creation";
}

/** Where an order booked on creation counts: its pickup store, else where it was first allocated, else nowhere yet. */
function bookingLocationOf(order: Order): string {
  if (order.delivery.type === "pickup") return order.delivery.location;
  return order.allocations[0]?.location ?? "unallocated";
}
