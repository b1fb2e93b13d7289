import { eq } from "drizzle-orm";
import { shipments } from "../schema/channel-connection.ts";
import type { PushLedger } from "./push-ledger.ts";

export type Shipment = typeof shipments.$inferSelect;

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

/** A shipment settled: confirmed, or refused with the reason (kept on the row and as the connection's last error). */
export function settleShipment(ledger: PushLedger, shipment: Shipment, state: "confirmed" | "refused", reason: string | null, remote: string): void {
  ledger.db.update(shipments).set({ state, reason, settledAt: ledger.now() }).where(eq(shipments.eventId, shipment.eventId)).run();
  if (state === "refused") ledger.fail(`shipment ${shipment.eventId} of ${remote} order ${shipment.externalId} not confirmed: ${reason}`);
}
