import { orderProcess } from "../../durable/objects.ts";
import type { Order } from "../../shared/schemas/orders.ts";

/** The order an event is about, read when first asked for. */
export type OrderReader = () => Promise<Order>;

/**
 * Reads the event's order from its object at most once per delivery: the
 * books, the points and the trace each need it. Throws (failing the
 * delivery, which the queue retries) if the order cannot be read.
 */
export function orderReader(env: Env, event: { id: string; tenantId: string; data: { orderId: string } }): OrderReader {
  let read: Promise<Order> | undefined;
  return () =>
    (read ??= orderProcess(env, event.tenantId, event.data.orderId)
      .get(null)
      .then((found) => {
        if (!found.ok) throw new Error(`order ${event.data.orderId} of event ${event.id} not found: ${found.detail}`);
        return found.order;
      }));
}
