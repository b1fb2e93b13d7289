import { asc, eq } from "drizzle-orm";
import { shipments } from "../schema/channel-connection.ts";
import type { PushLedger, PushStep } from "./push-ledger.ts";
import { createFulfillment, fulfillmentOrdersPerRead, lineItemsPerFulfillmentOrder, openLineItems, type ShopifyAnswer, type ShopifyTarget } from "./shopify-admin.ts";
import { allocateUnits, shipmentConfirmed, shipmentRefused, type Shipment } from "./shipment-plan.ts";

/** The connection's budget, as the Shopify push keeps it: every call here is paid from the same cost bucket. */
export interface ShopifyBudget {
  /** Null when the bucket holds `cost` (plus `reserve`, for a call to follow) now, and spends `cost`; else how the run waits. */
  waitForBudget(cost: number, reserve?: number): PushStep | null;
  /** Records an answer's bucket and cost; how the run stops when the call failed, else null. */
  settleCall<T>(answer: ShopifyAnswer<T>, estimatedCost: number): PushStep | null;
}

/** What reading an order's fulfillment orders costs: the order, the connection, and per fulfillment order its line items. */
const readCost = 3 + fulfillmentOrdersPerRead * (3 + lineItemsPerFulfillmentOrder);
/** A mutation, as Shopify counts one. */
const createCost = 10;

/**
 * Fulfilments recorded in Shelfsync of the channel's Shopify orders,
 * confirmed to the shop once each with `fulfillmentCreate`: the units of
 * each SKU go to the order's open fulfillment order line items of that SKU,
 * with the carrier and tracking number. Shopify offers no idempotency key for
 * this mutation, so before each send the connection notes what the order had
 * left to ship; a retry after a lost answer reads the order again and, if
 * those units are gone, counts the earlier call as landed instead of shipping
 * twice.
 */
export class ShopifyShipments {
  constructor(
    private readonly ledger: PushLedger,
    private readonly target: ShopifyTarget,
    private readonly budget: ShopifyBudget,
    private readonly notifyCustomer: boolean,
  ) {}

  /** Sends every pending confirmation; null when done, else how the run stops. */
  async send(): Promise<PushStep | null> {
    const pending = this.ledger.db.select().from(shipments).where(eq(shipments.state, "pending")).orderBy(asc(shipments.createdAt)).all();
    for (const shipment of pending) {
      const stopped = await this.confirmOne(shipment);
      if (stopped) return stopped;
    }
    return null;
  }

  private async confirmOne(shipment: Shipment): Promise<PushStep | null> {
    if (!/^\d{1,20}$/.test(shipment.externalId)) return await this.refuse(shipment, "not a Shopify order id");
    // The read and the fulfilment that follows it, paid for together: a read alone would be read again after the wait for the write.
    const waitToRead = this.budget.waitForBudget(readCost, createCost);
    if (waitToRead) return waitToRead;
    const open = await openLineItems(this.target, shipment.externalId);
    if (!open.ok && open.kind === "denied") return await this.refuse(shipment, `Shopify denied reading the order: ${open.message}`);
    const readFailed = this.budget.settleCall(open, readCost);
    if (readFailed || !open.ok) return readFailed;
    if (open.data === null) return await this.refuse(shipment, `Shopify has no order ${shipment.externalId}`);
    const left = leftBySku(open.data);
    if (shipment.attempt && shipment.lines.every(({ sku, qty }) => (left.get(sku) ?? 0) <= (shipment.attempt![sku] ?? 0) - qty)) return this.confirm(shipment);
    const plan = allocateUnits(
      open.data.map((item) => ({ id: item.id, sku: item.sku, left: item.remainingQuantity })),
      shipment.lines,
    );
    if (!plan) return await this.refuse(shipment, "more units than the Shopify order has left to ship");
    const waitToSend = this.budget.waitForBudget(createCost);
    if (waitToSend) return waitToSend;
    const attempt = Object.fromEntries(shipment.lines.map(({ sku }) => [sku, left.get(sku) ?? 0]));
    this.ledger.db.update(shipments).set({ attempt }).where(eq(shipments.eventId, shipment.eventId)).run();
    const byOrder = new Map<string, { id: string; quantity: number }[]>();
    for (const { id, qty } of plan) {
      const fulfillmentOrderId = open.data.find((item) => item.id === id)!.fulfillmentOrderId;
      byOrder.set(fulfillmentOrderId, [...(byOrder.get(fulfillmentOrderId) ?? []), { id, quantity: qty }]);
    }
    const tracking = { ...(shipment.carrier ? { company: shipment.carrier } : {}), ...(shipment.tracking ? { number: shipment.tracking } : {}) };
    const answer = await createFulfillment(this.target, {
      lineItemsByFulfillmentOrder: [...byOrder].map(([fulfillmentOrderId, items]) => ({ fulfillmentOrderId, fulfillmentOrderLineItems: items })),
      notifyCustomer: this.notifyCustomer,
      ...(Object.keys(tracking).length > 0 ? { trackingInfo: tracking } : {}),
    });
    this.ledger.record("write", 1);
    if (!answer.ok && answer.kind === "denied") return await this.refuse(shipment, `Shopify denied the fulfillment: ${answer.message}`);
    const sendFailed = this.budget.settleCall(answer, createCost);
    if (sendFailed || !answer.ok) return sendFailed;
    if (answer.data.userErrors.length > 0) return await this.refuse(shipment, `Shopify refused the fulfillment: ${answer.data.userErrors.map((e) => e.message).join("; ")}`);
    return this.confirm(shipment);
  }

  private async refuse(shipment: Shipment, reason: string): Promise<null> {
    await shipmentRefused(this.ledger, shipment, reason, "Shopify");
    return null;
  }

  private confirm(shipment: Shipment): null {
    shipmentConfirmed(this.ledger, shipment);
    return null;
  }
}

function leftBySku(items: { sku: string | null; remainingQuantity: number }[]): Map<string, number> {
  const left = new Map<string, number>();
  for (const item of items) if (item.sku !== null) left.set(item.sku, (left.get(item.sku) ?? 0) + item.remainingQuantity);
  return left;
}
