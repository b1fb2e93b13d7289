import { decimalToMinor } from "../../shared/money.ts";
import type { CreateOrderRequest } from "../../shared/schemas/orders.ts";
import { ChannelOrders } from "./channel-orders.ts";
import type { PushLedger, PushStep } from "./push-ledger.ts";
import { acknowledgeOrder, getOrder, listOrders, type WalmartOrder, type WalmartTarget } from "./walmart-api.ts";

/** Orders listed per page (Walmart allows up to 200). */
const pageSize = 100;
/** Cancellations are asked for from a little before the last listing, so none falls between two. */
const cancellationOverlapMs = 5 * 60_000;

/**
 * Walmart's orders onto the connection's channel. New orders (status
 * Created) are recorded as canonical orders under their purchase order id
 * (the natural key makes a second listing of the same order a no-op), and
 * acknowledged only once recorded: a crash in between lists it again, and it
 * is acknowledged then, once. Orders Walmart cancelled are cancelled.
 */
export class WalmartOrders {
  private readonly orders: ChannelOrders;

  constructor(
    private readonly ledger: PushLedger,
    private readonly target: WalmartTarget,
  ) {
    this.orders = new ChannelOrders(ledger, "walmart");
  }

  /** Lists, records and acknowledges new orders, then applies cancellations; null when done, else how the run stops. */
  async pull(token: string): Promise<PushStep | null> {
    const now = this.ledger.now();
    const since = this.ledger.connection.ordersCheckedAt;
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = await listOrders(this.target, token, { status: "Created", limit: String(pageSize) }, cursor);
      if (!page.ok) return this.ledger.retryLater(`listing Walmart's new orders: ${page.message}`);
      for (const order of page.data.orders) {
        if (await this.record(order)) continue;
        const acknowledged = await acknowledgeOrder(this.target, token, order.purchaseOrderId);
        if (!acknowledged.ok) return this.ledger.retryLater(`acknowledging Walmart order ${order.purchaseOrderId}: ${acknowledged.message}`);
      }
      cursor = page.data.nextCursor;
    }
    if (since !== null) {
      const start = new Date(since - cancellationOverlapMs).toISOString();
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page = await listOrders(this.target, token, { status: "Cancelled", lastModifiedStartDate: start, limit: String(pageSize) }, cursor);
        if (!page.ok) return this.ledger.retryLater(`listing Walmart's cancelled orders: ${page.message}`);
        for (const order of page.data.orders) await this.cancel(order);
        cursor = page.data.nextCursor;
      }
    }
    this.ledger.save({ ordersCheckedAt: now });
    return null;
  }

  /** Reads one order again and records and acknowledges it: an exception's replay, once its cause is fixed. */
  async retry(token: string, purchaseOrderId: string): Promise<{ recorded: boolean; detail: string }> {
    const order = await getOrder(this.target, token, purchaseOrderId);
    if (!order.ok) return { recorded: false, detail: `Walmart did not give order ${purchaseOrderId}: ${order.message}` };
    const refusal = await this.record(order.data);
    if (refusal) return { recorded: false, detail: refusal };
    const acknowledged = await acknowledgeOrder(this.target, token, purchaseOrderId);
    if (!acknowledged.ok) return { recorded: false, detail: `recorded, but Walmart did not take the acknowledgement: ${acknowledged.message}` };
    return { recorded: true, detail: `Walmart order ${purchaseOrderId} recorded and acknowledged` };
  }

  /**
   * Records the order; when it cannot be (an unknown SKU, a field out of
   * range) it stays unacknowledged and becomes a `channel_order_unmapped`
   * exception (once: its natural key is the order), and the reason is answered.
   */
  private record(order: WalmartOrder): Promise<string | null> {
    // Its lines, to confirm shipments against later.
    const lines = order.orderLines.orderLine.map((line) => ({ lineNumber: line.lineNumber, sku: line.item.sku, qty: Math.max(1, Number(line.orderLineQuantity.amount)), shipped: 0 }));
    return this.orders.record(order.purchaseOrderId, toCanonical(this.ledger.connection.channel, order), lines);
  }

  private cancel(order: WalmartOrder): Promise<void> {
    return this.orders.cancel(order.purchaseOrderId);
  }
}

/** Money on Walmart is decimal; Shelfsync's is minor units. */
/** Minor units of a Walmart amount by exact decimal arithmetic; NaN when it is not one, which the order's schema then refuses. */
function minor(amount: number | string | undefined, currency: string): number {
  if (amount === undefined) return 0;
  return decimalToMinor(String(amount), currency) ?? Number.NaN;
}

/** Walmart's order as the canonical order: its purchase order id is the natural key on the channel. */
export function toCanonical(channel: string, order: WalmartOrder): CreateOrderRequest {
  const currency = order.orderLines.orderLine[0]?.charges?.charge[0]?.chargeAmount.currency ?? "USD";
  const lines = order.orderLines.orderLine.map((line) => {
    const qty = Math.max(1, Number(line.orderLineQuantity.amount));
    const charges = line.charges?.charge ?? [];
    const product = charges.filter((charge) => charge.chargeType === "PRODUCT");
    const price = product.reduce((total, charge) => total + minor(charge.chargeAmount.amount, currency), 0);
    const tax = charges.reduce((total, charge) => total + minor(charge.tax?.taxAmount.amount, currency), 0);
    // Integers only: the unit price rounded up, the remainder as the line's discount, so unitPrice × qty − discount is the price charged.
    const unitPrice = Math.ceil(price / qty);
    return { sku: line.item.sku, qty, unitPrice, discount: unitPrice * qty - price, tax };
  });
  const shipping = order.orderLines.orderLine.flatMap((line) => line.charges?.charge ?? []).filter((charge) => charge.chargeType === "SHIPPING");
  const address = order.shippingInfo.postalAddress;
  return {
    channel,
    externalId: order.purchaseOrderId,
    currency,
    lines,
    delivery: {
      type: "ship",
      address: {
        name: address.name,
        line1: address.address1,
        ...(address.address2 ? { line2: address.address2 } : {}),
        city: address.city,
        ...(address.state ? { region: address.state } : {}),
        ...(address.postalCode ? { postalCode: address.postalCode } : {}),
        country: address.country.length === 2 ? address.country.toUpperCase() : address.country.toUpperCase() === "USA" ? "US" : address.country.slice(0, 2).toUpperCase(),
      },
    },
    customer: { id: order.customerOrderId, ...(order.customerEmailId ? { email: order.customerEmailId } : {}) },
    shipping: shipping.reduce((total, charge) => total + minor(charge.chargeAmount.amount, currency), 0),
  };
}
