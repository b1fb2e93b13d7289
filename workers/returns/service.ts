import type { IdempotencyInput, Idempotent } from "../../durable/idempotency.ts";
import { fail } from "../../shared/errors.ts";
import type { ReturnableOrder, ReturnResult } from "../../durable/tenant-returns.ts";
import type { CreateReturnRequest, Order, ReceiveReturnRequest } from "../../shared/schemas/orders.ts";
import { tenantReturns } from "../../durable/objects.ts";
import { getOrder } from "../orders/service.ts";

/** The part of an order a return reads: its lines' amounts and the units fulfilled. */
export function returnableOf(order: Order): ReturnableOrder {
  return {
    id: order.id,
    currency: order.currency,
    lines: order.lines.map(({ sku, qty, unitPrice, discount, tax }) => ({ sku, qty, unitPrice, discount, tax })),
    fulfilled: order.fulfilled.map(({ sku, location, qty }) => ({ sku, location, qty })),
  };
}

/**
 * Opens a return (RMA) against the order's fulfilled units. `externalKey`
 * (a channel's own return id) makes opening it again find the first one.
 *
 * @example
 * const { outcome } = await openReturn(env, tenantId, { orderId, lines: [{ sku, qty: 1, reason: "too small" }] }, { idempotency });
 */
export async function openReturn(
  env: Env,
  tenantId: string,
  request: CreateReturnRequest,
  options: { idempotency?: IdempotencyInput; externalKey?: string; fulfilledAt?: string },
): Promise<Idempotent<ReturnResult>> {
  const found = await getOrder(env, tenantId, request.orderId);
  if (!found.ok) return { outcome: found, replayed: false };
  const returnable = returnableOf(found.order);
  if (options.fulfilledAt !== undefined) {
    // A store's key returns what its own store handed out, and no more: another store's order is as good as unknown.
    returnable.fulfilled = returnable.fulfilled.filter((units) => units.location === options.fulfilledAt);
    if (returnable.fulfilled.length === 0) return { outcome: fail("not_found", `No order ${request.orderId}`), replayed: false };
  }
  return tenantReturns(env, tenantId).open(returnable, request, options.externalKey ?? null, options.idempotency);
}

/** Records units of a return arriving at a location, and applies their stock effects. */
export async function receiveReturn(env: Env, tenantId: string, returnId: string, request: ReceiveReturnRequest, idempotency?: IdempotencyInput): Promise<Idempotent<ReturnResult>> {
  return tenantReturns(env, tenantId).receive(returnId, request, idempotency);
}

/**
 * Whether a store's key may see the order's returns: the order was fulfilled
 * (in part) from its location, the rule that lets it open them.
 */
export async function storeMaySeeReturnsOf(env: Env, tenantId: string, orderId: string, location: string): Promise<boolean> {
  const found = await getOrder(env, tenantId, orderId);
  return found.ok && found.order.fulfilled.some((units) => units.location === location);
}
