import { fail, type Result } from "../shared/errors.ts";
import { demandOf } from "../shared/order-routing.ts";
import type { CancelOrderRequest, FulfillmentRequest } from "../shared/schemas/orders.ts";
import type { EventDraft } from "./event-outbox.ts";
import { openDemand, remainingOf, type Holding, type OrderRecord, type OrderState } from "./order-record.ts";
import type { EventDetail } from "./schema/order-process.ts";

/**
 * The decisions of a fulfilment and a cancellation: checked against the
 * order's held units, then written (units, saga steps, transition, event)
 * inside the order object's transaction. The steps' calls are made after it
 * commits, by the order object's saga driver.
 */
export class OrderOperations {
  constructor(
    private readonly order: OrderRecord,
    /** Stages an event in the order object's outbox, inside the transaction of the change. */
    private readonly stage: (draft: EventDraft, now: number) => void,
  ) {}

  fulfill(state: OrderState, request: FulfillmentRequest, now: number): Result<object> {
    const closed = refuseUnlessOpen(state);
    if (closed) return closed;
    const wanted = demandOf(request.lines);
    const sources = new Map<string, Holding[]>();
    for (const { sku, qty } of wanted) {
      const here = this.order.heldHoldings(sku).filter((h) => h.location === request.location);
      const held = here.reduce((total, h) => total + remainingOf(h), 0);
      if (held < qty) {
        return fail("not_reserved", `Order ${state.orderId} holds ${held} of ${sku} at ${request.location}; ${qty} cannot be fulfilled there`, {
          sku,
          location: request.location,
          held,
          requested: qty,
        });
      }
      sources.set(sku, here);
    }
    const operation = this.order.nextOperation(state);
    for (const { sku, qty } of wanted) {
      this.takeUnits(sources.get(sku)!, qty, "commit", operation, now);
      this.order.addUnits(sku, "fulfilled", qty);
    }
    const lines = wanted.map(({ sku, qty }) => ({ sku, qty }));
    const detail: EventDetail = { operation, location: request.location, lines: lines.map(describeLine) };
    if (request.carrier) detail.carrier = request.carrier;
    if (request.tracking) detail.tracking = request.tracking;
    this.order.transition(this.order.statusAfterUnits(state.status), "fulfillment", "request", now, detail);
    const { base, ref } = this.order.eventOf();
    const shipped = { location: request.location, lines, carrier: request.carrier ?? null, tracking: request.tracking ?? null };
    this.stage({ ...base, type: "order.fulfilled", data: { ...ref, ...shipped } }, now);
    return { ok: true };
  }

  cancel(state: OrderState, request: CancelOrderRequest, now: number): Result<object> {
    // Cancelling a whole cancelled order again is a no-op: a channel may well say it twice.
    if (state.status === "cancelled" && request.lines === undefined) return { ok: true };
    const closed = refuseUnlessOpen(state);
    if (closed) return closed;
    const units = this.order.units();
    const wanted = request.lines ? demandOf(request.lines) : openDemand(units);
    for (const { sku, qty } of wanted) {
      const row = units.find((u) => u.sku === sku);
      if (!row) return fail("validation_failed", `Order ${state.orderId} has no line of ${sku}`, { sku });
      const open = row.ordered - row.fulfilled - row.cancelled;
      if (qty > open) return fail("conflict", `Order ${state.orderId} has ${open} open units of ${sku}; ${qty} cannot be cancelled`, { sku, open, requested: qty });
    }
    const operation = this.order.nextOperation(state);
    for (const { sku, qty } of wanted) {
      // The last allocated (lowest priority) units go first.
      this.takeUnits(this.order.heldHoldings(sku).reverse(), qty, "release", operation, now);
      this.order.addUnits(sku, "cancelled", qty);
    }
    const lines = wanted.map(({ sku, qty }) => ({ sku, qty }));
    this.order.transition(this.order.statusAfterUnits(state.status), "cancellation", "request", now, { operation, reason: request.reason, lines: lines.map(describeLine) });
    const { base, ref } = this.order.eventOf();
    this.stage({ ...base, type: "order.cancelled", data: { ...ref, lines, reason: request.reason } }, now);
    return { ok: true };
  }

  /** Takes `qty` held units from `sources` in order, each with its commit or release step. */
  private takeUnits(sources: Holding[], qty: number, kind: "commit" | "release", operation: number, now: number): void {
    let remaining = qty;
    for (const holding of sources) {
      const take = Math.min(remainingOf(holding), remaining);
      if (take === 0) continue;
      remaining -= take;
      this.order.updateHolding(holding.id, kind === "commit" ? { committed: holding.committed + take } : { released: holding.released + take });
      this.order.addStep(kind, holding.id, take, `${holding.reservationId}:op${operation}:${kind}`, now);
      if (remaining === 0) break;
    }
  }
}

function refuseUnlessOpen(state: OrderState): Result<object> | null {
  if (state.status === "received") return fail("conflict", `Order ${state.orderId} is still being reserved; retry shortly`);
  if (state.status === "fulfilled" || state.status === "cancelled") return fail("conflict", `Order ${state.orderId} is ${state.status}: nothing is open`);
  return null;
}

function describeLine({ sku, qty }: { sku: string; qty: number }): string {
  return `${sku} × ${qty}`;
}
