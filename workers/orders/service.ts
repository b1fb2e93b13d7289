import type { IdempotencyInput } from "../../durable/idempotency.ts";
import type { OrderOutcome } from "../../durable/order-process.ts";
import { fail, type Result } from "../../shared/errors.ts";
import { childTraceparent } from "../../shared/tracing.ts";
import type { CancelOrderRequest, CreateOrderRequest, FulfillmentRequest, Order, OrderPage, OrdersQuery } from "../../shared/schemas/orders.ts";
import { orderIdOf, orderIndex, orderProcess } from "../../durable/objects.ts";

/** An order, or why not. */
export type OrderResult = Result<{ order: Order }>;

/**
 * The answer to a write on an order. `replayed`: the write had already
 * happened (same natural key, or same Idempotency-Key) and this is its answer.
 */
export type OrderAnswer = Result<{ order: Order; replayed: boolean }>;

const orderIdPattern = /^ord_[0-9a-f]{26}$/;

/**
 * Takes a canonical order: routes it, reserves every line in its SKU's object
 * (releasing all of them if one cannot be had) and answers the order as
 * `reserved`, `backordered` or `in_exception`. A re-sent order (same channel
 * and externalId) answers the order as it now is, with `replayed: true`,
 * whatever its Idempotency-Key; an Idempotency-Key reused for another order
 * is `idempotency_conflict`. Refused with nothing recorded: `unknown_channel`,
 * `location_not_in_channel` (pickup outside the channel's pool), `unknown_sku`.
 *
 * @example
 * const answer = await submitOrder(env, tenantId, mapped.value);
 * if (answer.ok) answer.order.status; // "reserved" | "backordered" | "in_exception"
 */
export async function submitOrder(env: Env, tenantId: string, order: CreateOrderRequest, idempotency?: IdempotencyInput, traceparent: string | null = null): Promise<OrderAnswer> {
  const orderId = await orderIdOf(tenantId, order.channel, order.externalId);
  if (idempotency) {
    const claim = await orderIndex(env, tenantId).claimKey(idempotency, orderId);
    if (!claim.ok) return claim;
  }
  // The channel's trace continued under a span of the edge's own, or a new trace: every order has one.
  return orderProcess(env, tenantId, orderId).submit(order, childTraceparent(traceparent));
}

/**
 * The order with its allocations, fulfilled and cancelled units and events.
 * `onlyChannel` (a channel key's channel) hides other channels' orders as not_found.
 */
export async function getOrder(env: Env, tenantId: string, orderId: string, onlyChannel: string | null = null): Promise<OrderResult> {
  if (!orderIdPattern.test(orderId)) return fail("not_found", `No order ${orderId}`);
  return orderProcess(env, tenantId, orderId).get(onlyChannel);
}

/**
 * Commits the reservations of the shipped units at `request.location`.
 * Refused with nothing changed (`not_reserved`) when the order holds fewer
 * units of a line there than asked.
 */
export async function fulfillOrder(
  env: Env,
  tenantId: string,
  orderId: string,
  request: FulfillmentRequest,
  idempotency?: IdempotencyInput,
  onlyChannel: string | null = null,
): Promise<OrderAnswer> {
  if (!orderIdPattern.test(orderId)) return fail("not_found", `No order ${orderId}`);
  return answer(await orderProcess(env, tenantId, orderId).fulfill(request, onlyChannel, idempotency));
}

/**
 * Cancels `request.lines` (every unfulfilled unit when omitted) and releases
 * their reservations. Cancelling a cancelled order again changes nothing
 * and answers it; cancelling more units than are open is a `conflict`.
 */
export async function cancelOrder(
  env: Env,
  tenantId: string,
  orderId: string,
  request: CancelOrderRequest,
  idempotency?: IdempotencyInput,
  onlyChannel: string | null = null,
): Promise<OrderAnswer> {
  if (!orderIdPattern.test(orderId)) return fail("not_found", `No order ${orderId}`);
  return answer(await orderProcess(env, tenantId, orderId).cancel(request, onlyChannel, idempotency));
}

/**
 * Routes and reserves a backordered or in-exception order again (a new
 * attempt, with the channel's current rules). Any other status: `conflict`.
 * Meant for an exception's replay.
 */
export async function retryOrder(env: Env, tenantId: string, orderId: string): Promise<OrderAnswer> {
  if (!orderIdPattern.test(orderId)) return fail("not_found", `No order ${orderId}`);
  return orderProcess(env, tenantId, orderId).retry();
}

/** A page of the tenant's orders, oldest first, filtered by status and channel. */
export async function listOrders(env: Env, tenantId: string, query: OrdersQuery): Promise<OrderPage> {
  return orderIndex(env, tenantId).list({ status: query.status, channel: query.channel }, Number(query.cursor ?? 0), query.limit);
}

function answer(result: OrderOutcome): OrderAnswer {
  return result.outcome.ok ? { ok: true, order: result.outcome.order, replayed: result.replayed } : result.outcome;
}
