import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, sql } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { fail, type Result } from "../shared/errors.ts";
import type { StockFigures } from "../shared/inventory-math.ts";
import { demandOf, routeOrder, type Demand, type RoutePlan } from "../shared/order-routing.ts";
import type { CancelOrderRequest, CreateOrderRequest, FulfillmentRequest, Order, OrderStatus, Shortage, ShortagePolicy } from "../shared/schemas/orders.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { EventOutbox } from "./event-outbox.ts";
import type { ExceptionDraft } from "./exception-queue.ts";
import { idempotencyRetentionMs, oldestIdempotencyKey, pruneIdempotencyKeys, runIdempotent, type Idempotent, type IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/order-process/migrations.js";
import * as schema from "./schema/order-process.ts";
import type { EventDetail } from "./schema/order-process.ts";

const { orderState, skuUnits, holdings, sagaSteps, orderEvents } = schema;

export interface OrderScope {
  tenantId: string;
  orderId: string;
}

export type OrderOutcome = Idempotent<Result<{ order: Order }>>;
export type SubmitAnswer = Result<{ order: Order; replayed: boolean }>;

/**
 * How long an order's reservations last: the longest TTL the SKU objects
 * grant (7 days). The order holds its units until it fulfils or cancels
 * them; one not fulfilled within that time loses them to expiry.
 */
export const holdTtlSeconds = 604_800;

/** When the alarm looks at a saga that should have finished within its request. */
const sagaCheckMs = 30_000;
const maxRetryMs = 5 * 60_000;

type State = typeof orderState.$inferSelect;
type Step = typeof sagaSteps.$inferSelect;
type Holding = typeof holdings.$inferSelect;
type StepOutcome = "done" | "failed" | "retry";

/** What admitting an attempt needs to know, read before anything is written. */
interface Routing {
  rules: ChannelRules;
  shortagePolicy: ShortagePolicy;
  demand: Demand[];
  plan: RoutePlan;
}

/**
 * One per order (named `<tenant>/<orderId>`): the order's state machine and
 * its saga across SKU objects.
 *
 *     received → reserved → partially_fulfilled → fulfilled
 *              ↘ backordered | in_exception (nothing held)
 *     any open status → cancelled (nothing fulfilled, nothing open)
 *
 * Crash safety: every call that changes another object is first written to
 * the saga log (`saga_steps`) with a deterministic Idempotency-Key, in the
 * same transaction as the order change that wants it, and the alarm is set
 * before the first call. A step is marked done only with the other object's
 * answer; the alarm runs whatever is still pending again under the same key.
 * A reservation attempt ends either with every allocation held (`reserved`)
 * or, if one was refused, with every one already taken released
 * (compensation) — never with units held that the order does not list.
 *
 * Events (created, reserved, fulfilled, cancelled) are staged in the outbox
 * in the transaction of the change and handed to the queue after it.
 */
export class OrderProcess extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;
  private readonly outbox: EventOutbox;
  /** Serializes operations: an await on another object must not let a second one interleave. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    this.outbox = new EventOutbox(this.db, env);
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  /** Admits the order and reserves it; an order already admitted answers as it now is. */
  async submit(scope: OrderScope, request: CreateOrderRequest): Promise<SubmitAnswer> {
    return this.serialized(async () => {
      if (this.state()) {
        this.checkScope(scope);
        await this.drive("request");
        return { ok: true, order: this.view(), replayed: true };
      }
      const begun = await this.begin(scope, request);
      if (!begun.ok) return begun;
      await this.drive("request");
      return { ok: true, order: this.view(), replayed: false };
    });
  }

  async get(scope: OrderScope, onlyChannel: string | null): Promise<Result<{ order: Order }>> {
    const state = this.state();
    if (!state || (onlyChannel !== null && state.channel !== onlyChannel)) return fail("not_found", `No order ${scope.orderId}`);
    this.checkScope(scope);
    return { ok: true, order: this.view() };
  }

  async fulfill(scope: OrderScope, request: FulfillmentRequest, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<OrderOutcome> {
    return this.operate(scope, onlyChannel, idempotency, (state, now) => this.recordFulfillment(state, request, now));
  }

  async cancel(scope: OrderScope, request: CancelOrderRequest, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<OrderOutcome> {
    return this.operate(scope, onlyChannel, idempotency, (state, now) => this.recordCancellation(state, request, now));
  }

  /** A new reservation attempt for a backordered or in-exception order's open units. */
  async retry(scope: OrderScope): Promise<SubmitAnswer> {
    return this.serialized(async () => {
      const state = this.state();
      if (!state) return fail("not_found", `No order ${scope.orderId}`);
      this.checkScope(scope);
      await this.drive("request");
      const current = this.state()!;
      if (current.status !== "backordered" && current.status !== "in_exception") {
        return fail("conflict", `Order ${scope.orderId} is ${current.status}; only a backordered or in-exception order is retried`);
      }
      const routing = await this.route(scope.tenantId, current.request, openDemand(this.units()), false);
      if (!routing.ok) return routing;
      const now = Date.now();
      await this.decide(() => {
        const attempt = current.attempt + 1;
        this.db.update(orderState).set({ attempt, rules: routing.rules, shortagePolicy: routing.shortagePolicy }).where(eq(orderState.id, 1)).run();
        this.transition("received", "retry", "request", now, { attempt });
        this.planAttempt(routing, now);
      });
      await this.drive("request");
      return { ok: true, order: this.view(), replayed: false };
    });
  }

  /** Finishes (or compensates) what a crash or an unreachable object left pending. */
  override async alarm(): Promise<void> {
    await this.serialized(async () => {
      if (!this.state()) return;
      pruneIdempotencyKeys(this.db, Date.now());
      await this.drive("alarm");
    });
  }

  /**
   * Routes the order and records it with its plan, without calling any
   * object that it changes: afterwards the saga log holds every step to
   * take, and the alarm is set to take them if this instance dies.
   */
  private async begin(scope: OrderScope, request: CreateOrderRequest): Promise<Result<object>> {
    const routing = await this.route(scope.tenantId, request, demandOf(request.lines), true);
    if (!routing.ok) return routing;
    const now = Date.now();
    await this.decide(() => {
      this.db
        .insert(orderState)
        .values({
          id: 1,
          tenantId: scope.tenantId,
          orderId: scope.orderId,
          channel: request.channel,
          externalId: request.externalId,
          status: "received",
          request,
          rules: routing.rules,
          shortagePolicy: routing.shortagePolicy,
          shortages: [],
          attempt: 1,
          operations: 0,
          version: 0,
          indexedVersion: 0,
          createdAt: now,
          updatedAt: now,
        })
        .run();
      for (const { sku, qty } of routing.demand) this.db.insert(skuUnits).values({ sku, ordered: qty, fulfilled: 0, cancelled: 0 }).run();
      this.recordEvent(null, "received", "received", "request", now, { lines: request.lines.length, delivery: request.delivery.type });
      const { base, ref } = this.eventOf();
      this.outbox.stage({ ...base, type: "order.created", data: { ...ref, lines: routing.demand.map(({ sku, qty }) => ({ sku, qty })) } }, now);
      this.planAttempt(routing, now);
    });
    return { ok: true };
  }

  /**
   * Reads what routing needs: the channel's rules, the tenant's shortage
   * policy and each SKU's figures. Refuses an unknown channel, a pickup
   * outside the channel's pool and (on admission) a SKU that neither the
   * catalog nor the inventory knows.
   */
  private async route(tenantId: string, request: CreateOrderRequest, demand: Demand[], refuseUnknown: boolean): Promise<Result<Routing>> {
    const [channels, settings, inventories] = await Promise.all([
      this.env.TENANT_REGISTRY.getByName(tenantId).listChannels(),
      this.env.ORDER_INDEX.getByName(tenantId).getSettings(),
      Promise.all(demand.map(({ sku }) => this.skuObject(tenantId, sku).getInventory({ tenantId, sku }))),
    ]);
    const channel = channels.find((c) => c.id === request.channel);
    if (!channel) return fail("unknown_channel", `No channel ${request.channel}`);
    const rules: ChannelRules = { locations: channel.locations, bufferUnits: channel.bufferUnits, maxUnits: channel.maxUnits, maxPercent: channel.maxPercent };
    const pickup = request.delivery.type === "pickup" ? request.delivery.location : null;
    if (pickup !== null && !rules.locations.includes(pickup)) {
      return fail("location_not_in_channel", `Pickup location ${pickup} is not in the pool of channel ${request.channel}`);
    }
    const stocks = new Map<string, StockFigures[]>();
    const uninventoried: string[] = [];
    demand.forEach(({ sku }, i) => {
      const inventory = inventories[i]!;
      if (inventory.ok) stocks.set(sku, inventory.inventory.locations);
      else uninventoried.push(sku);
    });
    if (refuseUnknown && uninventoried.length > 0) {
      const resolved = await this.env.CATALOG_STORE.getByName(tenantId).resolveCodes(uninventoried);
      const unknown = uninventoried.filter((sku) => !(resolved[sku]?.known && resolved[sku].sku === sku));
      if (unknown.length > 0) return fail("unknown_sku", `Neither the catalog nor the inventory knows ${unknown.join(", ")}`, { skus: unknown });
    }
    return { ok: true, rules, shortagePolicy: settings.shortagePolicy, demand, plan: routeOrder({ rules, pickup, demand, stocks }) };
  }

  /** Writes the current attempt's holdings and reserve steps, or, if routing found a shortage, its outcome. */
  private planAttempt(routing: Routing, now: number): void {
    const state = this.state()!;
    if (!routing.plan.ok) {
      this.fallShort(state, routing.plan.shortages, "shortage", now, 0);
      return;
    }
    for (const allocation of routing.plan.allocations) {
      const holding = this.db
        .insert(holdings)
        .values({ attempt: state.attempt, ...allocation, reservationId: null, state: "reserving", committed: 0, released: 0 })
        .returning({ id: holdings.id })
        .get();
      this.addStep("reserve", holding.id, allocation.qty, `${state.orderId}:a${state.attempt}:reserve:${allocation.sku}@${allocation.location}`, now);
    }
  }

  /**
   * Runs pending steps until none is left or one cannot reach its object,
   * deciding after each round what follows (reserved, or compensation).
   * Then brings the order index up to date and sets the alarm.
   */
  private async drive(cause: string): Promise<void> {
    let stalled = false;
    for (;;) {
      this.transaction(() => this.advance(cause, Date.now()));
      const pending = this.db.select().from(sagaSteps).where(eq(sagaSteps.state, "pending")).orderBy(asc(sagaSteps.seq)).all();
      if (pending.length === 0 || stalled) break;
      // Set with no await since the writes that made these steps pending, so it commits with them:
      // if this instance dies during the calls below, the alarm makes them again.
      await this.ctx.storage.setAlarm(Date.now() + sagaCheckMs);
      const state = this.state()!;
      const outcomes = await Promise.all(pending.map((step) => this.runStep(state, step)));
      stalled = outcomes.includes("retry");
    }
    const indexed = await this.publishIndex();
    // A queue that refuses does not fail the order: the outbox records exceptions instead.
    const flushed = await this.outbox.flush();
    await this.scheduleAlarm(stalled || !indexed || !flushed);
  }

  /** Decides the end of a reservation attempt once every reserve step has its answer. */
  private advance(cause: string, now: number): void {
    const state = this.state();
    if (!state || state.status !== "received") return;
    const attempt = this.db.select().from(holdings).where(eq(holdings.attempt, state.attempt)).all();
    if (attempt.some((h) => h.state === "reserving")) return;
    const refused = attempt.filter((h) => h.state === "refused");
    if (refused.length === 0) {
      const locations = [...new Set(attempt.map((h) => h.location))];
      this.transition("reserved", "reserved", cause, now, { locations, split: locations.length > 1 });
      const { base, ref } = this.eventOf();
      this.outbox.stage({ ...base, type: "order.reserved", data: { ...ref, allocations: attempt.map(({ sku, location, qty }) => ({ sku, location, qty })) } }, now);
      return;
    }
    let released = 0;
    for (const holding of attempt.filter((h) => h.state === "held")) {
      const qty = holding.qty - holding.committed - holding.released;
      this.db.update(holdings).set({ state: "compensated", released: holding.released + qty }).where(eq(holdings.id, holding.id)).run();
      this.addStep("release", holding.id, qty, `${state.orderId}:a${state.attempt}:compensate:${holding.id}`, now);
      released += 1;
    }
    this.fallShort(state, this.shortagesOf(attempt), "compensation", now, released);
  }

  /** The attempt fell short: backordered or in exception as the tenant's policy says, and a `backorder` exception. */
  private fallShort(state: State, shortages: Shortage[], cause: "shortage" | "compensation", now: number, released: number): void {
    const to = state.shortagePolicy === "exception" ? "in_exception" : "backordered";
    this.db.update(orderState).set({ shortages }).where(eq(orderState.id, 1)).run();
    this.transition(to, to, cause, now, { attempt: state.attempt, released, short: shortages.map((s) => `${s.sku}: ${s.requested} requested, ${s.available} available`) });
    this.addStep("record_exception", null, 0, `backorder:${state.orderId}:a${state.attempt}`, now);
  }

  private shortagesOf(attempt: Holding[]): Shortage[] {
    const bySku = new Map<string, Shortage>();
    for (const holding of attempt) {
      const shortage = bySku.get(holding.sku) ?? { sku: holding.sku, requested: 0, available: 0 };
      shortage.requested += holding.qty;
      shortage.available += holding.state === "refused" ? this.refusedAvailable(holding) : holding.qty;
      bySku.set(holding.sku, shortage);
    }
    return [...bySku.values()].filter((s) => s.available < s.requested);
  }

  private refusedAvailable(holding: Holding): number {
    const step = this.db.select().from(sagaSteps).where(and(eq(sagaSteps.kind, "reserve"), eq(sagaSteps.holdingId, holding.id))).get();
    const available = step?.failure?.available;
    return typeof available === "number" ? Math.min(available, holding.qty) : 0;
  }

  /** Makes one call of the saga log and records its answer; "retry" when the object could not be reached. */
  private async runStep(state: State, step: Step): Promise<StepOutcome> {
    const idempotency = { key: step.key, requestHash: step.key };
    try {
      if (step.kind === "record_exception") {
        await this.env.EXCEPTION_QUEUE.getByName(state.tenantId).record([this.backorderException(state)]);
        return this.settleStep(step, "done");
      }
      const holding = this.db.select().from(holdings).where(eq(holdings.id, step.holdingId!)).get()!;
      const sku = this.skuObject(state.tenantId, holding.sku);
      const scope = { tenantId: state.tenantId, sku: holding.sku };
      if (step.kind === "reserve") {
        const reserve = { qty: step.qty, channel: state.channel, rules: state.rules, location: holding.location, ttlSeconds: holdTtlSeconds, reference: `order:${state.orderId}` };
        const { outcome } = await sku.reserve(scope, reserve, idempotency);
        return this.transaction(() => {
          if (outcome.ok) {
            this.db.update(holdings).set({ state: "held", reservationId: outcome.reservation.id }).where(eq(holdings.id, holding.id)).run();
            return this.settleStep(step, "done");
          }
          this.db.update(holdings).set({ state: "refused" }).where(eq(holdings.id, holding.id)).run();
          return this.settleStep(step, "failed", { code: outcome.code, ...outcome.extra });
        });
      }
      const { outcome } =
        step.kind === "commit"
          ? await sku.commit(scope, holding.reservationId!, state.channel, idempotency, step.qty)
          : await sku.release(scope, holding.reservationId!, state.channel, idempotency, step.qty);
      // A reservation that is no longer active has given its units back already: nothing left to release.
      if (outcome.ok || (step.kind === "release" && outcome.code === "reservation_not_active")) return this.settleStep(step, "done");
      return this.transaction(() => {
        this.recordEvent(state.status, state.status, `${step.kind}_failed`, "saga", Date.now(), { sku: holding.sku, location: holding.location, qty: step.qty, code: outcome.code });
        return this.settleStep(step, "failed", { code: outcome.code });
      });
    } catch (error) {
      // Still pending: the alarm tries again under the same key. The last error stays visible on the step.
      this.db.update(sagaSteps).set({ tries: sql`${sagaSteps.tries} + 1`, failure: { code: "unreachable", error: String(error) } }).where(eq(sagaSteps.seq, step.seq)).run();
      return "retry";
    }
  }

  private settleStep(step: Step, to: "done" | "failed", failure: schema.StepFailure | null = null): StepOutcome {
    this.db.update(sagaSteps).set({ state: to, failure, tries: step.tries + 1 }).where(eq(sagaSteps.seq, step.seq)).run();
    return to;
  }

  /**
   * The single place where an order reports a shortage to the tenant's
   * exception queue. One exception per order: a retry that falls short
   * again (its replay) refreshes that one instead of opening another.
   */
  private backorderException(state: State): ExceptionDraft {
    const current = this.state()!;
    return {
      naturalKey: `backorder:${state.orderId}`,
      type: "backorder",
      subject: `order:${state.orderId}`,
      correlationId: state.externalId,
      payload: {
        orderId: state.orderId,
        channel: state.channel,
        externalId: state.externalId,
        status: current.shortagePolicy === "exception" ? "in_exception" : "backordered",
        attempt: current.attempt,
        shortages: current.shortages,
      },
    };
  }

  /** Runs one fulfilment or cancellation: settle pending work, decide and record it in one transaction, then make its calls. */
  private async operate(
    scope: OrderScope,
    onlyChannel: string | null,
    idempotency: IdempotencyInput | undefined,
    decide: (state: State, now: number) => Result<object>,
  ): Promise<OrderOutcome> {
    return this.serialized(async () => {
      const known = this.state();
      if (!known || (onlyChannel !== null && known.channel !== onlyChannel)) return { outcome: fail("not_found", `No order ${scope.orderId}`), replayed: false };
      this.checkScope(scope);
      await this.drive("request");
      const now = Date.now();
      const result = await this.decide(() =>
        runIdempotent(this.db, idempotency, now, (): Result<{ order: Order }> => {
          const decided = decide(this.state()!, now);
          return decided.ok ? { ok: true, order: this.view() } : decided;
        }),
      );
      await this.drive("request");
      return result;
    });
  }

  private recordFulfillment(state: State, request: FulfillmentRequest, now: number): Result<object> {
    const closed = this.refuseUnlessOpen(state);
    if (closed) return closed;
    const wanted = demandOf(request.lines);
    const sources = new Map<string, Holding[]>();
    for (const { sku, qty } of wanted) {
      const here = this.heldHoldings(sku).filter((h) => h.location === request.location);
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
    const operation = this.nextOperation(state);
    for (const { sku, qty } of wanted) {
      this.takeUnits(sources.get(sku)!, qty, "commit", operation, now);
      this.db.update(skuUnits).set({ fulfilled: sql`${skuUnits.fulfilled} + ${qty}` }).where(eq(skuUnits.sku, sku)).run();
    }
    const detail: EventDetail = { operation, location: request.location, lines: wanted.map(({ sku, qty }) => `${sku} × ${qty}`) };
    if (request.carrier) detail.carrier = request.carrier;
    if (request.tracking) detail.tracking = request.tracking;
    this.transition(this.statusAfterUnits(state.status), "fulfillment", "request", now, detail);
    const { base, ref } = this.eventOf();
    const shipped = { location: request.location, lines: wanted.map(({ sku, qty }) => ({ sku, qty })), carrier: request.carrier ?? null, tracking: request.tracking ?? null };
    this.outbox.stage({ ...base, type: "order.fulfilled", data: { ...ref, ...shipped } }, now);
    return { ok: true };
  }

  private recordCancellation(state: State, request: CancelOrderRequest, now: number): Result<object> {
    // Cancelling a whole cancelled order again is a no-op: a channel may well say it twice.
    if (state.status === "cancelled" && request.lines === undefined) return { ok: true };
    const closed = this.refuseUnlessOpen(state);
    if (closed) return closed;
    const units = this.units();
    const wanted = request.lines ? demandOf(request.lines) : openDemand(units);
    for (const { sku, qty } of wanted) {
      const row = units.find((u) => u.sku === sku);
      if (!row) return fail("validation_failed", `Order ${state.orderId} has no line of ${sku}`, { sku });
      const open = row.ordered - row.fulfilled - row.cancelled;
      if (qty > open) return fail("conflict", `Order ${state.orderId} has ${open} open units of ${sku}; ${qty} cannot be cancelled`, { sku, open, requested: qty });
    }
    const operation = this.nextOperation(state);
    for (const { sku, qty } of wanted) {
      // The last allocated (lowest priority) units go first.
      this.takeUnits(this.heldHoldings(sku).reverse(), qty, "release", operation, now);
      this.db.update(skuUnits).set({ cancelled: sql`${skuUnits.cancelled} + ${qty}` }).where(eq(skuUnits.sku, sku)).run();
    }
    this.transition(this.statusAfterUnits(state.status), "cancellation", "request", now, { operation, reason: request.reason, lines: wanted.map(({ sku, qty }) => `${sku} × ${qty}`) });
    const { base, ref } = this.eventOf();
    this.outbox.stage({ ...base, type: "order.cancelled", data: { ...ref, lines: wanted.map(({ sku, qty }) => ({ sku, qty })), reason: request.reason } }, now);
    return { ok: true };
  }

  private refuseUnlessOpen(state: State): Result<object> | null {
    if (state.status === "received") return fail("conflict", `Order ${state.orderId} is still being reserved; retry shortly`);
    if (state.status === "fulfilled" || state.status === "cancelled") return fail("conflict", `Order ${state.orderId} is ${state.status}: nothing is open`);
    return null;
  }

  /** Takes `qty` held units from `sources` in order, each with its commit or release step. */
  private takeUnits(sources: Holding[], qty: number, kind: "commit" | "release", operation: number, now: number): void {
    let remaining = qty;
    for (const holding of sources) {
      const take = Math.min(remainingOf(holding), remaining);
      if (take === 0) continue;
      remaining -= take;
      const set = kind === "commit" ? { committed: holding.committed + take } : { released: holding.released + take };
      this.db.update(holdings).set(set).where(eq(holdings.id, holding.id)).run();
      this.addStep(kind, holding.id, take, `${holding.reservationId}:op${operation}:${kind}`, now);
      if (remaining === 0) break;
    }
  }

  private heldHoldings(sku: string): Holding[] {
    return this.db
      .select()
      .from(holdings)
      .where(and(eq(holdings.sku, sku), eq(holdings.state, "held")))
      .orderBy(asc(holdings.id))
      .all()
      .filter((h) => remainingOf(h) > 0);
  }

  private nextOperation(state: State): number {
    this.db.update(orderState).set({ operations: state.operations + 1 }).where(eq(orderState.id, 1)).run();
    return state.operations + 1;
  }

  /** The status the order's units imply once no attempt is in flight. */
  private statusAfterUnits(current: OrderStatus): OrderStatus {
    const units = this.units();
    const open = units.reduce((total, u) => total + u.ordered - u.fulfilled - u.cancelled, 0);
    const fulfilled = units.reduce((total, u) => total + u.fulfilled, 0);
    if (open === 0) return fulfilled > 0 ? "fulfilled" : "cancelled";
    return fulfilled > 0 ? "partially_fulfilled" : current;
  }

  /** What every event of the order carries: the order as it is now, after the change that the event reports. */
  private eventOf() {
    const state = this.state()!;
    return {
      base: { tenantId: state.tenantId, subject: `order:${state.orderId}` },
      ref: { orderId: state.orderId, channel: state.channel, externalId: state.externalId, status: state.status },
    };
  }

  private transition(to: OrderStatus, type: string, cause: string, now: number, detail?: EventDetail): void {
    const state = this.state()!;
    this.recordEvent(state.status, to, type, cause, now, detail);
    this.db.update(orderState).set({ status: to }).where(eq(orderState.id, 1)).run();
  }

  /** Every change of the order is an event, and each one moves the version the index follows. */
  private recordEvent(from: OrderStatus | null, to: OrderStatus, type: string, cause: string, now: number, detail?: EventDetail): void {
    this.db.insert(orderEvents).values({ at: now, type, from, to, cause, detail: detail ?? null }).run();
    this.db.update(orderState).set({ version: sql`${orderState.version} + 1`, updatedAt: now }).where(eq(orderState.id, 1)).run();
  }

  private addStep(kind: Step["kind"], holdingId: number | null, qty: number, key: string, now: number): void {
    this.db.insert(sagaSteps).values({ kind, holdingId, qty, key, state: "pending", failure: null, tries: 0, createdAt: now }).run();
  }

  /** Publishes the order's status to the tenant's list; false if the index could not be reached. */
  private async publishIndex(): Promise<boolean> {
    const state = this.state();
    if (!state || state.indexedVersion >= state.version) return true;
    try {
      await this.env.ORDER_INDEX.getByName(state.tenantId).publish({
        orderId: state.orderId,
        channel: state.channel,
        externalId: state.externalId,
        status: state.status,
        version: state.version,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
      });
    } catch {
      return false;
    }
    this.db.update(orderState).set({ indexedVersion: state.version }).where(eq(orderState.id, 1)).run();
    return true;
  }

  /** Soon (with backoff) while work is pending, else when the oldest idempotency record is due for pruning. */
  private async scheduleAlarm(pending: boolean): Promise<void> {
    let wanted: number | null = null;
    if (pending) {
      const tries = this.db.select({ tries: sql<number>`max(${sagaSteps.tries})` }).from(sagaSteps).where(eq(sagaSteps.state, "pending")).get()?.tries ?? 0;
      wanted = Date.now() + Math.min(maxRetryMs, 1_000 * 2 ** Math.min(tries, 20));
    } else {
      const oldest = oldestIdempotencyKey(this.db);
      if (oldest !== null) wanted = oldest + idempotencyRetentionMs;
    }
    if (wanted === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(wanted);
  }

  private view(): Order {
    const state = this.state()!;
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
      delivery: state.request.delivery,
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

  private state(): State | undefined {
    return this.db.select().from(orderState).where(eq(orderState.id, 1)).get();
  }

  private units() {
    return this.db.select().from(skuUnits).orderBy(asc(skuUnits.sku)).all();
  }

  private checkScope(scope: OrderScope): void {
    const state = this.state()!;
    if (state.tenantId !== scope.tenantId || state.orderId !== scope.orderId) {
      throw new Error(`Order object of ${state.tenantId}/${state.orderId} addressed as ${scope.tenantId}/${scope.orderId}`);
    }
  }

  private skuObject(tenantId: string, sku: string) {
    return this.env.SKU_INVENTORY.getByName(`${tenantId}/${sku}`);
  }

  /**
   * Writes a decision (the order change and the saga steps it wants) in one
   * transaction and, with no await in between so that both commit together,
   * arms the alarm that makes those steps if this instance dies first.
   */
  private async decide<T>(run: () => T): Promise<T> {
    const result = this.transaction(run);
    await this.ctx.storage.setAlarm(Date.now() + sagaCheckMs);
    return result;
  }

  private transaction<T>(run: () => T): T {
    return this.ctx.storage.transactionSync(run);
  }

  private serialized<T>(run: () => Promise<T>): Promise<T> {
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function remainingOf(holding: Holding): number {
  return holding.qty - holding.committed - holding.released;
}

/** The units of each SKU neither fulfilled nor cancelled. */
function openDemand(units: { sku: string; ordered: number; fulfilled: number; cancelled: number }[]): Demand[] {
  return units.map((u) => ({ sku: u.sku, qty: u.ordered - u.fulfilled - u.cancelled })).filter((d) => d.qty > 0);
}
