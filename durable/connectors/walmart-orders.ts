import { CreateOrderRequest } from "../../shared/schemas/orders.ts";
import { describeIssues } from "../../shared/schemas/store-transactions.ts";
import { exceptionQueue, orderIdOf, orderProcess } from "../objects.ts";
import { remoteOrders } from "../schema/channel-connection.ts";
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
  constructor(
    private readonly ledger: PushLedger,
    private readonly target: WalmartTarget,
  ) {}

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
  private async record(order: WalmartOrder): Promise<string | null> {
    const refusal = await this.submit(order);
    if (refusal) await this.reportUnmapped(order.purchaseOrderId, refusal);
    return refusal;
  }

  private async reportUnmapped(purchaseOrderId: string, reason: string): Promise<void> {
    const { tenantId, connectionId } = this.ledger.options.identity;
    const { channel } = this.ledger.connection;
    await exceptionQueue(this.ledger.options.env, tenantId).record([
      {
        naturalKey: `channel_order_unmapped:${connectionId}:${purchaseOrderId}`,
        type: "channel_order_unmapped",
        subject: `order:${purchaseOrderId}@${connectionId}`,
        correlationId: purchaseOrderId,
        payload: { connection: connectionId, remote: "walmart", channel, externalId: purchaseOrderId, reason },
      },
    ]);
  }

  private async submit(order: WalmartOrder): Promise<string | null> {
    const { tenantId } = this.ledger.options.identity;
    const parsed = CreateOrderRequest.safeParse(toCanonical(this.ledger.connection.channel, order));
    if (!parsed.success) return `does not map: ${describeIssues(parsed.error)}`;
    const request = parsed.data;
    const answer = await orderProcess(this.ledger.options.env, tenantId, await orderIdOf(tenantId, request.channel, request.externalId)).submit(request);
    if (!answer.ok) return `${answer.code}: ${answer.detail}`;
    // Its lines, to confirm shipments against later (kept as first recorded).
    const lines = order.orderLines.orderLine.map((line) => ({ lineNumber: line.lineNumber, sku: line.item.sku, qty: Math.max(1, Number(line.orderLineQuantity.amount)), shipped: 0 }));
    this.ledger.db.insert(remoteOrders).values({ externalId: order.purchaseOrderId, lines, recordedAt: this.ledger.now() }).onConflictDoNothing().run();
    return null;
  }

  private async cancel(order: WalmartOrder): Promise<void> {
    const { tenantId } = this.ledger.options.identity;
    const orderId = await orderIdOf(tenantId, this.ledger.connection.channel, order.purchaseOrderId);
    const process = orderProcess(this.ledger.options.env, tenantId, orderId);
    const known = await process.get(null);
    if (!known.ok || known.order.status === "cancelled" || known.order.status === "fulfilled") return;
    await process.cancel({ reason: "cancelled on Walmart" }, null, { key: `walmart-cancel:${order.purchaseOrderId}`, requestHash: `walmart-cancel:${order.purchaseOrderId}` });
  }
}

/** Money on Walmart is decimal; Shelfsync's is minor units. */
function minor(amount: number | string | undefined): number {
  return Math.round(Number(amount ?? 0) * 100);
}

/** Walmart's order as the canonical order: its purchase order id is the natural key on the channel. */
export function toCanonical(channel: string, order: WalmartOrder): CreateOrderRequest {
  const lines = order.orderLines.orderLine.map((line) => {
    const qty = Math.max(1, Number(line.orderLineQuantity.amount));
    const charges = line.charges?.charge ?? [];
    const product = charges.filter((charge) => charge.chargeType === "PRODUCT");
    const price = product.reduce((total, charge) => total + minor(charge.chargeAmount.amount), 0);
    const tax = charges.reduce((total, charge) => total + minor(charge.tax?.taxAmount.amount), 0);
    return { sku: line.item.sku, qty, unitPrice: Math.round(price / qty), discount: 0, tax };
  });
  const shipping = order.orderLines.orderLine.flatMap((line) => line.charges?.charge ?? []).filter((charge) => charge.chargeType === "SHIPPING");
  const address = order.shippingInfo.postalAddress;
  return {
    channel,
    externalId: order.purchaseOrderId,
    currency: order.orderLines.orderLine[0]?.charges?.charge[0]?.chargeAmount.currency ?? "USD",
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
    shipping: shipping.reduce((total, charge) => total + minor(charge.chargeAmount.amount), 0),
  };
}
