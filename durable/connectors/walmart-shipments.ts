import { asc, eq } from "drizzle-orm";
import { remoteOrders, shipments } from "../schema/channel-connection.ts";
import type { PushLedger, PushStep } from "./push-ledger.ts";
import { afterShipping, allocate, shipmentConfirmed, shipmentRefused, type RemoteLine, type Shipment } from "./shipment-plan.ts";
import { getOrder, shipOrderLines, type ShippedLine, type WalmartTarget } from "./walmart-api.ts";

/**
 * Fulfilments recorded in Shelfsync, confirmed to Walmart once each: the
 * units of each SKU go to the order's lines of that SKU that still have units
 * to ship, with the carrier and tracking number. A confirmation whose answer
 * was lost is sent again; Walmart then refuses it (more than is left to ship)
 * and the order as Walmart holds it says whether it had landed.
 */
export class WalmartShipments {
  constructor(
    private readonly ledger: PushLedger,
    private readonly target: WalmartTarget,
  ) {}

  /** Sends every pending confirmation; null when done, else how the run stops. */
  async send(token: string): Promise<PushStep | null> {
    const pending = this.ledger.db.select().from(shipments).where(eq(shipments.state, "pending")).orderBy(asc(shipments.createdAt)).all();
    for (const shipment of pending) {
      const order = this.ledger.db.select().from(remoteOrders).where(eq(remoteOrders.externalId, shipment.externalId)).get();
      if (!order) {
        await this.refuse(shipment, "not an order this connection took from Walmart");
        continue;
      }
      if (!shipment.carrier || !shipment.tracking) {
        await this.refuse(shipment, "Walmart needs a carrier and a tracking number: record the fulfilment with both");
        continue;
      }
      const plan = allocate(order.lines, shipment.lines);
      if (!plan) {
        await this.refuse(shipment, "more units than the Walmart order has left to ship");
        continue;
      }
      const shippedAt = this.ledger.now();
      const lines: ShippedLine[] = plan.map(({ lineNumber, qty }) => ({ lineNumber, qty, carrier: shipment.carrier!, tracking: shipment.tracking!, shippedAt }));
      const answer = await shipOrderLines(this.target, token, shipment.externalId, lines);
      if (answer.ok || (answer.kind === "invalid" && (await this.landedBefore(token, shipment.externalId, order.lines, plan)))) {
        this.confirm(shipment, order.lines, plan);
        continue;
      }
      if (answer.kind === "invalid" || answer.kind === "notFound") {
        await this.refuse(shipment, answer.message);
        continue;
      }
      return this.ledger.retryLater(`confirming shipment ${shipment.eventId} of Walmart order ${shipment.externalId}: ${answer.message}`);
    }
    return null;
  }

  /** Whether Walmart already shows these units shipped (a confirmation sent before, whose answer was lost). */
  private async landedBefore(token: string, purchaseOrderId: string, lines: RemoteLine[], plan: { lineNumber: string; qty: number }[]): Promise<boolean> {
    const order = await getOrder(this.target, token, purchaseOrderId);
    if (!order.ok) return false;
    const shippedNow = new Map(
      order.data.orderLines.orderLine.map((line) => [
        line.lineNumber,
        (line.orderLineStatuses?.orderLineStatus ?? []).filter((status) => status.status === "Shipped").reduce((total, status) => total + Number(status.statusQuantity.amount), 0),
      ]),
    );
    return plan.every(({ lineNumber, qty }) => (shippedNow.get(lineNumber) ?? 0) >= (lines.find((line) => line.lineNumber === lineNumber)?.shipped ?? 0) + qty);
  }

  private confirm(shipment: Shipment, lines: RemoteLine[], plan: { lineNumber: string; qty: number }[]): void {
    const updated = afterShipping(lines, plan);
    this.ledger.options.transaction(() => {
      this.ledger.db.update(remoteOrders).set({ lines: updated }).where(eq(remoteOrders.externalId, shipment.externalId)).run();
      shipmentConfirmed(this.ledger, shipment);
    });
  }

  private refuse(shipment: Shipment, reason: string): Promise<void> {
    return shipmentRefused(this.ledger, shipment, reason, "Walmart");
  }
}
