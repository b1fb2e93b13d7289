import { eq } from "drizzle-orm";
import { parseTraceparent } from "../../shared/tracing.ts";
import { exceptionQueue } from "../objects.ts";
import { shipments } from "../schema/channel-connection.ts";
import type { PushLedger } from "./push-ledger.ts";

export type Shipment = typeof shipments.$inferSelect;

/** A recorded order's line (Walmart: its line number; Amazon: its order item id) and the units shipped of it so far. */
export interface RemoteLine {
  lineNumber: string;
  sku: string;
  qty: number;
  shipped: number;
}

/** A line of the remote's order that units can ship against: its id there, its SKU, and the units it has left to ship. */
export interface ShippableLine {
  id: string;
  sku: string | null;
  left: number;
}

/**
 * Each SKU's units over the remote's lines of that SKU with units left to
 * ship, in line order; null when they do not fit (more units than the order
 * has left of a SKU).
 */
export function allocateUnits(lines: ShippableLine[], shipped: { sku: string; qty: number }[]): { id: string; qty: number }[] | null {
  const left = new Map(lines.map((line) => [line.id, line.left]));
  const plan = new Map<string, number>();
  for (const { sku, qty } of shipped) {
    let remaining = qty;
    for (const line of lines.filter((l) => l.sku === sku)) {
      const take = Math.min(remaining, left.get(line.id)!);
      if (take <= 0) continue;
      left.set(line.id, left.get(line.id)! - take);
      plan.set(line.id, (plan.get(line.id) ?? 0) + take);
      remaining -= take;
    }
    if (remaining > 0) return null;
  }
  return [...plan].map(([id, qty]) => ({ id, qty }));
}

/**
 * `allocateUnits` over a recorded order's lines.
 *
 * @example
 * allocate([{ lineNumber: "1", sku: "A", qty: 2, shipped: 1 }, { lineNumber: "2", sku: "A", qty: 3, shipped: 0 }], [{ sku: "A", qty: 2 }]);
 * // [{ lineNumber: "1", qty: 1 }, { lineNumber: "2", qty: 1 }]
 */
export function allocate(lines: RemoteLine[], shipped: { sku: string; qty: number }[]): { lineNumber: string; qty: number }[] | null {
  const plan = allocateUnits(lines.map((line) => ({ id: line.lineNumber, sku: line.sku, left: line.qty - line.shipped })), shipped);
  return plan && plan.map(({ id, qty }) => ({ lineNumber: id, qty }));
}

/** The lines after `plan`'s units shipped. */
export function afterShipping(lines: RemoteLine[], plan: { lineNumber: string; qty: number }[]): RemoteLine[] {
  return lines.map((line) => ({ ...line, shipped: line.shipped + (plan.find((p) => p.lineNumber === line.lineNumber)?.qty ?? 0) }));
}

/** The remote took the shipment. */
export function shipmentConfirmed(ledger: PushLedger, shipment: Shipment): void {
  ledger.db.update(shipments).set({ state: "confirmed", reason: null, settledAt: ledger.now() }).where(eq(shipments.eventId, shipment.eventId)).run();
  traceSettled(ledger, shipment, "connector.shipment_confirmed", `${ledger.connection.type} order ${shipment.externalId}`);
}

/** The hop a traced shipment adds to its order's trace when it settles, under the fulfilment event's span. */
function traceSettled(ledger: PushLedger, shipment: Shipment, hop: string, detail: string): void {
  const context = parseTraceparent(shipment.traceparent);
  if (context) ledger.options.traced?.({ traceId: context.traceId, at: ledger.now(), hop, location: ledger.options.identity.connectionId, spanId: context.spanId, detail });
}

/**
 * The remote will not take the shipment: the reason is kept on the row, as
 * the connection's last error, and as a `channel_shipment_refused` exception
 * (recorded first, so that a crash in between loses no refusal; its natural
 * key is the event, so a second report is the same exception).
 */
export async function shipmentRefused(ledger: PushLedger, shipment: Shipment, reason: string, remote: string): Promise<void> {
  await reportRefused(ledger, shipment, reason);
  ledger.db.update(shipments).set({ state: "refused", reason, settledAt: ledger.now() }).where(eq(shipments.eventId, shipment.eventId)).run();
  traceSettled(ledger, shipment, "connector.shipment_refused", `${remote} order ${shipment.externalId}: ${reason}`.slice(0, 300));
  ledger.fail(`shipment ${shipment.eventId} of ${remote} order ${shipment.externalId} not confirmed: ${reason}`);
}

async function reportRefused(ledger: PushLedger, shipment: Shipment, reason: string): Promise<void> {
  const { tenantId, connectionId } = ledger.options.identity;
  const { channel, type } = ledger.connection;
  await exceptionQueue(ledger.options.env, tenantId).record([
    {
      naturalKey: `channel_shipment_refused:${connectionId}:${shipment.eventId}`,
      type: "channel_shipment_refused",
      subject: `order:${shipment.externalId}@${connectionId}`,
      correlationId: shipment.externalId,
      payload: { connection: connectionId, remote: type, channel, externalId: shipment.externalId, eventId: shipment.eventId, reason },
    },
  ]);
}
