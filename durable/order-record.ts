import { and, asc, eq, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { Demand } from "../shared/order-routing.ts";
import type { Order, OrderStatus } from "../shared/schemas/orders.ts";
import { traceIdOf } from "../shared/tracing.ts";
import type { ExceptionDraft } from "./exception-queue.ts";
import * as schema from "./schema/order-process.ts";
import type { EventDetail } from "./schema/order-process.ts";

const { orderState, skuUnits, holdings, sagaSteps, orderEvents } = schema;

export type OrderState = typeof orderState.$inferSelect;
export type SagaStep = typeof sagaSteps.$inferSelect;
export type Holding = typeof holdings.$inferSelect;
export type SkuUnits = typeof skuUnits.$inferSelect;

/**
 * The stored order of one order object: its state row, units per SKU,
 * holdings, saga log and events. Every change of the order is an event, and
 * each one moves the version the tenant's order index follows.
 */
export class OrderRecord {
  constructor(private readonly db: DrizzleSqliteDODatabase<typeof schema>) {}

  state(): OrderState | undefined {
    return this.db.select().from(orderState).where(eq(orderState.id, 1)).get();
  }

  /** The order's state; only for code that runs once the order exists. */
  current(): OrderState {
    const state = this.state();
    if (!state) throw new Error("the order object holds no order yet");
    return state;
  }

  updateState(values: Partial<Omit<OrderState, "id">>): void {
    this.db.update(orderState).set(values).where(eq(orderState.id, 1)).run();
  }

  units(): SkuUnits[] {
    return this.db.select().from(skuUnits).orderBy(asc(skuUnits.sku)).all();
  }

  addUnits(sku: string, column: "fulfilled" | "cancelled", qty: number): void {
    this.db.update(skuUnits).set({ [column]: sql`${skuUnits[column]} + ${qty}` }).where(eq(skuUnits.sku, sku)).run();
  }

  holdingsOf(attempt: number): Holding[] {
    return this.db.select().from(holdings).where(eq(holdings.attempt, attempt)).all();
  }

  holding(id: number): Holding | undefined {
    return this.db.select().from(holdings).where(eq(holdings.id, id)).get();
  }

  updateHolding(id: number, values: Partial<Omit<Holding, "id">>): void {
    this.db.update(holdings).set(values).where(eq(holdings.id, id)).run();
  }

  /** Held holdings of `sku` with units left, in allocation (priority) order. */
  heldHoldings(sku: string): Holding[] {
    return this.db
      .select()
      .from(holdings)
      .where(and(eq(holdings.sku, sku), eq(holdings.state, "held")))
      .orderBy(asc(holdings.id))
      .all()
      .filter((h) => remainingOf(h) > 0);
  }

  pendingSteps(): SagaStep[] {
    return this.db.select().from(sagaSteps).where(eq(sagaSteps.state, "pending")).orderBy(asc(sagaSteps.seq)).all();
  }

  addStep(kind: SagaStep["kind"], holdingId: number | null, qty: number, key: string, now: number): void {
    this.db.insert(sagaSteps).values({ kind, holdingId, qty, key, state: "pending", failure: null, tries: 0, createdAt: now }).run();
  }

  settleStep(step: SagaStep, to: "done" | "failed", failure: schema.StepFailure | null = null): "done" | "failed" {
    this.db.update(sagaSteps).set({ state: to, failure, tries: step.tries + 1 }).where(eq(sagaSteps.seq, step.seq)).run();
    return to;
  }

  /** Counts a try that could not reach the other object; the step stays pending and shows its last error. */
  failedTry(step: SagaStep, error: unknown): void {
    this.db.update(sagaSteps).set({ tries: sql`${sagaSteps.tries} + 1`, failure: { code: "unreachable", error: String(error) } }).where(eq(sagaSteps.seq, step.seq)).run();
  }

  /** The most tries any pending step has had, for the retry backoff. */
  mostTries(): number {
    return this.db.select({ tries: sql<number>`max(${sagaSteps.tries})` }).from(sagaSteps).where(eq(sagaSteps.state, "pending")).get()?.tries ?? 0;
  }

  /** What the reserve step of a refused holding heard: the units the SKU had available, at most the holding's. */
  refusedAvailable(holding: Holding): number {
    const step = this.db.select().from(sagaSteps).where(and(eq(sagaSteps.kind, "reserve"), eq(sagaSteps.holdingId, holding.id))).get();
    const available = step?.failure?.available;
    return typeof available === "number" ? Math.min(available, holding.qty) : 0;
  }

  nextOperation(state: OrderState): number {
    this.updateState({ operations: state.operations + 1 });
    return state.operations + 1;
  }

  /** The status the order's units imply once no attempt is in flight. */
  statusAfterUnits(current: OrderStatus): OrderStatus {
    const units = this.units();
    const open = units.reduce((total, u) => total + u.ordered - u.fulfilled - u.cancelled, 0);
    const fulfilled = units.reduce((total, u) => total + u.fulfilled, 0);
    if (open === 0) return fulfilled > 0 ? "fulfilled" : "cancelled";
    return fulfilled > 0 ? "partially_fulfilled" : current;
  }

  transition(to: OrderStatus, type: string, cause: string, now: number, detail?: EventDetail): void {
    this.recordEvent(this.current().status, to, type, cause, now, detail);
    this.updateState({ status: to });
  }

  recordEvent(from: OrderStatus | null, to: OrderStatus, type: string, cause: string, now: number, detail?: EventDetail): void {
    this.db.insert(orderEvents).values({ at: now, type, from, to, cause, detail: detail ?? null }).run();
    this.db.update(orderState).set({ version: sql`${orderState.version} + 1`, updatedAt: now }).where(eq(orderState.id, 1)).run();
  }

  /**
   * The single place where an order reports a shortage to the tenant's
   * exception queue. One exception per order: a retry that falls short
   * again (its replay) refreshes that one instead of opening another.
   */
  backorderException(): ExceptionDraft {
    const state = this.current();
    return {
      naturalKey: `backorder:${state.orderId}`,
      type: "backorder",
      subject: `order:${state.orderId}`,
      correlationId: state.externalId,
      payload: {
        orderId: state.orderId,
        channel: state.channel,
        externalId: state.externalId,
        status: state.shortagePolicy === "exception" ? "in_exception" : "backordered",
        attempt: state.attempt,
        shortages: state.shortages,
      },
    };
  }

  /** What every outbound event of the order carries: the order as it is now, after the change that the event reports. */
  eventOf() {
    const state = this.current();
    return {
      base: { tenantId: state.tenantId, subject: `order:${state.orderId}`, ...(state.traceparent === null ? {} : { traceparent: state.traceparent }) },
      ref: { orderId: state.orderId, channel: state.channel, externalId: state.externalId, status: state.status },
    };
  }

  view(): Order {
    const state = this.current();
    const all = this.db.select().from(holdings).orderBy(asc(holdings.id)).all();
    const current = all.filter((h) => h.attempt === state.attempt && (h.state === "reserving" || h.state === "held"));
    const fulfilled = new Map<string, { sku: string; location: string; qty: number }>();
    for (const h of all.filter((h) => h.committed > 0)) {
      const key = `${h.sku}@${h.location}`;
      const entry = fulfilled.get(key) ?? { sku: h.sku, location: h.location, qty: 0 };
      entry.qty += h.committed;
      fulfilled.set(key, entry);
    }
    const events = this.db.select().from(orderEvents).orderBy(asc(orderEvents.seq)).all();
    return {
      id: state.orderId,
      channel: state.channel,
      externalId: state.externalId,
      status: state.status,
      currency: state.request.currency,
      lines: state.request.lines,
      shipping: state.request.shipping ?? 0,
      delivery: state.request.delivery,
      customerId: state.customerId,
      traceId: traceIdOf(state.traceparent),
      allocations: current.map((h) => ({ location: h.location, sku: h.sku, qty: h.qty, reservationId: h.reservationId, held: h.state === "held" ? remainingOf(h) : 0 })),
      shortages: state.status === "backordered" || state.status === "in_exception" ? state.shortages : [],
      fulfilled: [...fulfilled.values()],
      cancelled: this.units()
        .filter((u) => u.cancelled > 0)
        .map((u) => ({ sku: u.sku, qty: u.cancelled })),
      events: events.map((e) => ({
        at: new Date(e.at).toISOString(),
        type: e.type,
        from: e.from,
        to: e.to,
        cause: e.cause,
        ...(e.detail ? { detail: e.detail } : {}),
      })),
      createdAt: new Date(state.createdAt).toISOString(),
      updatedAt: new Date(state.updatedAt).toISOString(),
    };
  }
}

/** Units a holding still holds: neither committed nor released. */
export function remainingOf(holding: Holding): number {
  return holding.qty - holding.committed - holding.released;
}

/** The units of each SKU neither fulfilled nor cancelled. */
export function openDemand(units: SkuUnits[]): Demand[] {
  return units.map((u) => ({ sku: u.sku, qty: u.ordered - u.fulfilled - u.cancelled })).filter((d) => d.qty > 0);
}
