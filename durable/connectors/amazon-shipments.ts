import { and, asc, eq, isNotNull } from "drizzle-orm";
import { remoteOrders, shipments } from "../schema/channel-connection.ts";
import { confirmShipment, getOrder, type AmazonOrder } from "./amazon-api.ts";
import type { AmazonCalls } from "./amazon-orders.ts";
import type { PushLedger, PushStep } from "./push-ledger.ts";
import { afterShipping, allocate, shipmentConfirmed, shipmentRefused, type RemoteLine, type Shipment } from "./shipment-plan.ts";

type RemoteOrder = typeof remoteOrders.$inferSelect;
type Plan = { lineNumber: string; qty: number }[];

/**
 * Fulfilments recorded in Shelfsync, confirmed to Amazon once each as one
 * package (confirmShipment, Orders API v0: v2026-01-01 has no write
 * operation): each SKU's units go to the order's items of that SKU with
 * units left, with the carrier and tracking number. The package reference
 * id is fixed and the send noted before the call; a confirmation sent before
 * whose answer was lost is first looked for in the order as Amazon holds it
 * (getOrder, its packages) and only sent again if it is not there.
 */
export class AmazonShipments {
  constructor(
    private readonly ledger: PushLedger,
    private readonly calls: AmazonCalls,
  ) {}

  /** Sends every pending confirmation; null when done, else how the run stops. */
  async send(token: string): Promise<PushStep | null> {
    const pending = this.ledger.db.select().from(shipments).where(eq(shipments.state, "pending")).orderBy(asc(shipments.createdAt)).all();
    for (const shipment of pending) {
      const order = this.ledger.db.select().from(remoteOrders).where(eq(remoteOrders.externalId, shipment.externalId)).get();
      if (!order) {
        await this.refuse(shipment, "not an order this connection took from Amazon");
        continue;
      }
      if (!shipment.carrier || !shipment.tracking) {
        await this.refuse(shipment, "Amazon needs a carrier and a tracking number: record the fulfilment with both");
        continue;
      }
      const plan = allocate(order.lines, shipment.lines);
      if (!plan) {
        await this.refuse(shipment, "more units than the Amazon order has left to ship");
        continue;
      }
      if (shipment.sentAt !== null) {
        const landed = await this.landed(token, shipment);
        if (typeof landed !== "boolean") return landed;
        if (landed) {
          this.confirm(shipment, order.lines, plan);
          continue;
        }
      }
      const step = await this.confirmOnce(token, shipment, order, plan);
      if (step) return step;
    }
    return null;
  }

  private async confirmOnce(token: string, shipment: Shipment, order: RemoteOrder, plan: Plan): Promise<PushStep | null> {
    const wait = this.calls.budget("ship-confirm", "shipment confirmations");
    if (wait) return wait;
    const packageRef = shipment.packageRef ?? this.nextPackageRef(shipment.externalId);
    const sentAt = this.ledger.now();
    this.ledger.db.update(shipments).set({ packageRef, sentAt }).where(eq(shipments.eventId, shipment.eventId)).run();
    const answer = await confirmShipment(this.calls.target, token, shipment.externalId, order.marketplaceId ?? this.calls.target.marketplaceIds[0]!, {
      packageReferenceId: packageRef,
      carrierCode: shipment.carrier!,
      trackingNumber: shipment.tracking!,
      shipDate: new Date(sentAt).toISOString(),
      orderItems: plan.map(({ lineNumber, qty }) => ({ orderItemId: lineNumber, quantity: qty })),
    });
    if (answer.ok) {
      this.confirm(shipment, order.lines, plan);
      return null;
    }
    if (answer.kind === "invalid" || answer.kind === "notFound") {
      await this.refuse(shipment, answer.message);
      return null;
    }
    // No answer (or a 5xx): it may have landed; the next run looks for its package first.
    return this.calls.failed({ ...answer, message: `confirming shipment ${shipment.eventId} of Amazon order ${shipment.externalId}: ${answer.message}` });
  }

  /** Whether the order as Amazon holds it has this package already (by its reference id, or its tracking number); else how the run stops. */
  private async landed(token: string, shipment: Shipment): Promise<boolean | PushStep> {
    const wait = this.calls.budget("order-read", "order reads");
    if (wait) return wait;
    const order = await getOrder(this.calls.target, token, shipment.externalId, ["PACKAGES"]);
    if (!order.ok) return order.kind === "notFound" ? false : this.calls.failed({ ...order, message: `reading Amazon order ${shipment.externalId} back: ${order.message}` });
    return hasPackage(order.data, shipment);
  }

  /** Unique within the order and numeric, as confirmShipment requires: one more than the order's packages so far. */
  private nextPackageRef(externalId: string): string {
    const numbered = this.ledger.db
      .select({ ref: shipments.packageRef })
      .from(shipments)
      .where(and(eq(shipments.externalId, externalId), isNotNull(shipments.packageRef)))
      .all();
    return String(1 + numbered.reduce((most, row) => Math.max(most, Number(row.ref) || 0), 0));
  }

  private confirm(shipment: Shipment, lines: RemoteLine[], plan: Plan): void {
    this.ledger.options.transaction(() => {
      this.ledger.db.update(remoteOrders).set({ lines: afterShipping(lines, plan) }).where(eq(remoteOrders.externalId, shipment.externalId)).run();
      shipmentConfirmed(this.ledger, shipment);
    });
  }

  private refuse(shipment: Shipment, reason: string): Promise<void> {
    return shipmentRefused(this.ledger, shipment, reason, "Amazon");
  }
}

function hasPackage(order: AmazonOrder, shipment: Shipment): boolean {
  return (order.packages ?? []).some((p) => p.packageReferenceId === shipment.packageRef || (p.trackingNumber !== undefined && p.trackingNumber === shipment.tracking));
}
