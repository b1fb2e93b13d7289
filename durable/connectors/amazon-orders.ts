import { decimalToMinor } from "../../shared/money.ts";
import type { AmazonConnectionSettings } from "../../shared/schemas/connections.ts";
import type { CreateOrderRequest } from "../../shared/schemas/orders.ts";
import type { activity } from "../schema/channel-connection.ts";
import { getOrder, searchOrders, type AmazonAnswer, type AmazonMoney, type AmazonOrder, type AmazonTarget } from "./amazon-api.ts";
import { ChannelOrders } from "./channel-orders.ts";
import type { PushLedger, PushStep } from "./push-ledger.ts";
import type { RemoteLine } from "./shipment-plan.ts";

export type CallKind = (typeof activity.$inferSelect)["kind"];

/** What an Amazon order or shipment call needs from the connection's push: where to call, a paced call slot, how a failed call stops the run. */
export interface AmazonCalls {
  target: AmazonTarget;
  /** Null when a call of `kind` may go now (its token spent and saved), else how long to wait for one. */
  budget(kind: CallKind, what: string): PushStep | null;
  failed(answer: Exclude<AmazonAnswer<unknown>, { ok: true }>): PushStep;
}

/** The datasets a listing asks for: the address to ship to, the money, the fulfillment status. Buyer data is not needed. */
const listingData = ["RECIPIENT", "PROCEEDS", "FULFILLMENT"];
const hourMs = 3_600_000;

/**
 * Amazon's merchant-fulfilled orders onto the connection's channel
 * (searchOrders, Orders API v2026-01-01). Each listing asks for the orders
 * updated at or after the previous listing's `lastUpdatedBefore` (the first:
 * `orderLookbackHours` back), all pages, and moves that mark forward only
 * once every order listed is recorded: a crash lists them again, and the
 * natural key (channel, order id) makes that a no-op.
 *
 * UNSHIPPED and PARTIALLY_SHIPPED orders are recorded; PENDING ones (payment
 * not confirmed, no address yet) wait: Amazon lists them again when they
 * move on. CANCELLED cancels the recorded order, once.
 */
export class AmazonOrders {
  private readonly orders: ChannelOrders;

  constructor(
    private readonly ledger: PushLedger,
    private readonly calls: AmazonCalls,
  ) {
    this.orders = new ChannelOrders(ledger, "amazon");
  }

  /** Lists and applies every page; null when done or paused for the budget (the page token is kept), else how the run stops. */
  async pull(token: string): Promise<PushStep | null> {
    const settings = this.ledger.connection.settings as AmazonConnectionSettings;
    const now = this.ledger.now();
    const after = this.ledger.connection.ordersAfter ?? new Date(now - settings.orderLookbackHours * hourMs).toISOString();
    let pageToken = this.ledger.connection.ordersPageToken;
    let until = Date.parse(after);
    for (;;) {
      // Out of searches between pages: the listing goes on from this page when the bucket allows (nextDue says when).
      if (this.calls.budget("order-search", "order searches")) {
        this.ledger.save({ ordersAfter: after, ordersPageToken: pageToken });
        return null;
      }
      const page = await searchOrders(this.calls.target, token, after, pageToken, listingData);
      if (!page.ok) {
        // A page token expires after 24 hours: the listing starts again from `after`.
        if (pageToken && page.kind === "invalid") this.ledger.save({ ordersAfter: after, ordersPageToken: null });
        return this.calls.failed({ ...page, message: `searching Amazon's orders: ${page.message}` });
      }
      for (const order of page.data.orders) {
        await this.apply(order);
        until = Math.max(until, Date.parse(order.lastUpdatedTime) || 0);
      }
      if (page.data.lastUpdatedBefore) until = Date.parse(page.data.lastUpdatedBefore);
      if (!page.data.nextToken) break;
      pageToken = page.data.nextToken;
      this.ledger.save({ ordersAfter: after, ordersPageToken: pageToken });
    }
    this.ledger.save({ ordersAfter: new Date(until).toISOString(), ordersPageToken: null, ordersCheckedAt: now });
    return null;
  }

  /** Reads one order again and records it: an exception's replay, once its cause is fixed. */
  async retry(token: string, orderId: string): Promise<{ recorded: boolean; detail: string }> {
    if (this.calls.budget("order-read", "order reads")) return { recorded: false, detail: "Amazon's getOrder budget is spent for now: replay again in a few seconds" };
    const order = await getOrder(this.calls.target, token, orderId, listingData);
    if (!order.ok) return { recorded: false, detail: `Amazon did not give order ${orderId}: ${order.message}` };
    const status = order.data.fulfillment?.fulfillmentStatus ?? "unknown";
    if (status !== "UNSHIPPED" && status !== "PARTIALLY_SHIPPED") return { recorded: false, detail: `Amazon order ${orderId} is ${status}: there is nothing to record now` };
    const refusal = await this.record(order.data);
    return refusal ? { recorded: false, detail: refusal } : { recorded: true, detail: `Amazon order ${orderId} recorded` };
  }

  private async apply(order: AmazonOrder): Promise<void> {
    if (order.fulfillment?.fulfilledBy === "AMAZON") return;
    switch (order.fulfillment?.fulfillmentStatus) {
      case "CANCELLED":
        return this.orders.cancel(order.orderId);
      case "UNSHIPPED":
      case "PARTIALLY_SHIPPED":
        await this.record(order);
        return;
      default:
      // PENDING / PENDING_AVAILABILITY wait for payment; SHIPPED and UNFULFILLABLE are not Shelfsync's to reserve.
    }
  }

  /** Records the order; one that cannot be becomes one `channel_order_unmapped` exception, and the reason is answered. */
  private record(order: AmazonOrder): Promise<string | null> {
    const lines: RemoteLine[] = order.orderItems.map((item) => ({
      lineNumber: item.orderItemId,
      sku: item.product.sellerSku ?? "",
      qty: item.quantityOrdered,
      shipped: item.fulfillment?.quantityFulfilled ?? 0,
    }));
    return this.orders.record(order.orderId, toCanonical(this.ledger.connection.channel, order), lines, order.salesChannel.marketplaceId ?? null);
  }
}

/** Minor units of a decimal amount (a discount may come negative); NaN when it is not one, which the order's schema then refuses. */
function minor(money: AmazonMoney | undefined): number {
  if (!money) return 0;
  return decimalToMinor(money.amount.replace(/^-/, ""), money.currencyCode) ?? Number.NaN;
}

function breakdown(item: AmazonOrder["orderItems"][number], type: string): number {
  return (item.proceeds?.breakdowns ?? []).filter((entry) => entry.type === type).reduce((total, entry) => total + minor(entry.subtotal), 0);
}

/**
 * Amazon's order as the canonical order (not yet validated): its order id is
 * the natural key on the channel. Per item: the unit price (else the ITEM
 * proceeds over the units), the TAX and DISCOUNT proceeds; the SHIPPING
 * proceeds of all items are the order's shipping.
 */
export function toCanonical(channel: string, order: AmazonOrder): CreateOrderRequest {
  const lines = order.orderItems.map((item) => {
    const unit = item.product.price?.unitPrice;
    const qty = Math.max(1, item.quantityOrdered);
    const itemTotal = breakdown(item, "ITEM");
    // Integers only: from the ITEM proceeds, the unit price rounded up and the remainder a discount, so the line still sums to them.
    const unitPrice = unit ? minor(unit) : Math.ceil(itemTotal / qty);
    const remainder = unit ? 0 : unitPrice * qty - itemTotal;
    return { sku: item.product.sellerSku ?? "", qty: item.quantityOrdered, unitPrice, discount: breakdown(item, "DISCOUNT") + remainder, tax: breakdown(item, "TAX") };
  });
  const first = order.orderItems[0];
  const currency = first?.product.price?.unitPrice?.currencyCode ?? first?.proceeds?.proceedsTotal?.currencyCode ?? "USD";
  const address = order.recipient?.deliveryAddress ?? {};
  const optional = (name: string, value: string | undefined) => (value ? { [name]: value } : {});
  return {
    channel,
    externalId: order.orderId,
    currency,
    lines,
    delivery: {
      type: "ship",
      address: {
        ...optional("name", address.name),
        line1: address.addressLine1 ?? "",
        ...optional("line2", address.addressLine2),
        city: address.city ?? "",
        ...optional("region", address.stateOrRegion),
        ...optional("postalCode", address.postalCode),
        country: (address.countryCode ?? "").toUpperCase(),
      },
    },
    customer: {},
    shipping: order.orderItems.reduce((total, item) => total + breakdown(item, "SHIPPING"), 0),
  };
}
