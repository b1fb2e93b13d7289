import { eq } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { childTraceparent, traceIdOf } from "../shared/tracing.ts";
import type { StockFigures } from "../shared/inventory-math.ts";
import { demandOf, routeOrder, type Demand, type RoutePlan } from "../shared/order-routing.ts";
import type { CancelOrderRequest, CreateOrderRequest, FulfillmentRequest, Order, Shortage, ShortagePolicy } from "../shared/schemas/orders.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { EventOutbox } from "./event-outbox.ts";
import type { Idempotent, IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/order-process/migrations.js";
import { catalogStore, exceptionQueue, orderIndex, parseName, skuObject, tenantRegistry, type OrderIdentity } from "./objects.ts";
import { OrderOperations } from "./order-operations.ts";
import { OrderRecord, openDemand, type Holding, type OrderState, type SagaStep } from "./order-record.ts";
import * as schema from "./schema/order-process.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

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
 * Operations run one at a time (`serialized`): an await on another object
 * must not let a second one interleave. The stored order is ./order-record.ts,
 * fulfilment and cancellation decisions ./order-operations.ts. Events
 * (created, reserved, fulfilled, cancelled) are staged in the outbox in the
 * transaction of the change and handed to the queue after it.
 */
export class OrderProcess extends ShelfsyncObject<typeof schema, OrderIdentity> {
  private readonly order: OrderRecord;
  private readonly outbox: EventOutbox;
  private readonly operations: OrderOperations;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.order });
    this.order = new OrderRecord(this.db);
    this.outbox = new EventOutbox(this.db, env);
    this.operations = new OrderOperations(this.order, (draft, now) => this.outbox.stage(draft, now));
  }

  /** Admits the order and reserves it; an order already admitted answers as it now is. */
  /** `traceparent`: the order's trace; an order that comes without one (a connector's) starts its own. */
  async submit(request: CreateOrderRequest, traceparent: string = childTraceparent(null)): Promise<SubmitAnswer> {
    return this.serialized(async () => {
      const replayed = this.order.state() !== undefined;
      if (!replayed) {
        const begun = await this.begin(request, traceparent);
        if (!begun.ok) return begun;
      }
      await this.drive("request");
      return { ok: true, order: this.order.view(), replayed };
    });
  }

  async get(onlyChannel: string | null): Promise<Result<{ order: Order }>> {
    const state = this.order.state();
    if (!state || (onlyChannel !== null && state.channel !== onlyChannel)) return this.noOrder();
    return { ok: true, order: this.order.view() };
  }

  /**
   * Whose points the order moves: the customer it was linked to, or, while
   * none is, the contact the channel sent (null: no order here).
   */
  async customerLink(): Promise<{ customerId: string | null; contact: CreateOrderRequest["customer"] } | null> {
    const state = this.order.state();
    return state ? { customerId: state.customerId, contact: state.request.customer ?? {} } : null;
  }

  /** Links the order to a customer once: the first link stays, and is what this answers. */
  async linkCustomer(customerId: string): Promise<string> {
    return this.transaction(() => {
      const state = this.order.current();
      if (state.customerId !== null) return state.customerId;
      this.db.update(schema.orderState).set({ customerId }).where(eq(schema.orderState.id, state.id)).run();
      return customerId;
    });
  }

  async fulfill(request: FulfillmentRequest, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<OrderOutcome> {
    return this.operate(onlyChannel, idempotency, (state, now) => this.operations.fulfill(state, request, now));
  }

  async cancel(request: CancelOrderRequest, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<OrderOutcome> {
    return this.operate(onlyChannel, idempotency, (state, now) => this.operations.cancel(state, request, now));
  }

  /** A new reservation attempt for a backordered or in-exception order's open units. */
  async retry(): Promise<SubmitAnswer> {
    return this.serialized(async () => {
      if (!this.order.state()) return this.noOrder();
      await this.drive("request");
      const current = this.order.current();
      if (current.status !== "backordered" && current.status !== "in_exception") {
        return fail("conflict", `Order ${current.orderId} is ${current.status}; only a backordered or in-exception order is retried`);
      }
      const routing = await this.route(current.request, openDemand(this.order.units()), false);
      if (!routing.ok) return routing;
      const now = this.now();
      await this.decide(() => {
        const attempt = current.attempt + 1;
        this.order.updateState({ attempt, rules: routing.rules, shortagePolicy: routing.shortagePolicy });
        this.order.transition("received", "retry", "request", now, { attempt });
        this.planAttempt(routing, now);
      });
      await this.drive("request");
      return { ok: true, order: this.order.view(), replayed: false };
    });
  }

  /** Finishes (or compensates) what a crash or an unreachable object left pending. */
  protected override async onAlarm(): Promise<number | null> {
    return this.serialized(async () => {
      if (!this.order.state()) return null;
      return this.drive("alarm");
    });
  }

  private noOrder() {
    return fail("not_found", `No order ${this.identity.orderId}`);
  }

  /**
   * Routes the order and records it with its plan, without calling any
   * object that it changes: afterwards the saga log holds every step to
   * take, and the alarm is set to take them if this instance dies.
   */
  private async begin(request: CreateOrderRequest, traceparent: string): Promise<Result<object>> {
    const routing = await this.route(request, demandOf(request.lines), true);
    if (!routing.ok) return routing;
    const now = this.now();
    await this.decide(() => {
      this.db
        .insert(schema.orderState)
        .values({
          id: 1,
          ...this.identity,
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
          traceparent,
          createdAt: now,
          updatedAt: now,
        })
        .run();
      for (const { sku, qty } of routing.demand) this.db.insert(schema.skuUnits).values({ sku, ordered: qty, fulfilled: 0, cancelled: 0 }).run();
      this.order.recordEvent(null, "received", "received", "request", now, { lines: request.lines.length, delivery: request.delivery.type });
      const { base, ref } = this.order.eventOf();
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
  private async route(request: CreateOrderRequest, demand: Demand[], refuseUnknown: boolean): Promise<Result<Routing>> {
    const { tenantId } = this.identity;
    const [channels, settings, inventories] = await Promise.all([
      tenantRegistry(this.env, tenantId).listChannels(),
      orderIndex(this.env, tenantId).getSettings(),
      Promise.all(demand.map(({ sku }) => skuObject(this.env, tenantId, sku).getInventory())),
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
      const resolved = await catalogStore(this.env, tenantId).resolveCodes(uninventoried);
      const unknown = uninventoried.filter((sku) => !(resolved[sku]?.known && resolved[sku].sku === sku));
      if (unknown.length > 0) return fail("unknown_sku", `Neither the catalog nor the inventory knows ${unknown.join(", ")}`, { skus: unknown });
    }
    return { ok: true, rules, shortagePolicy: settings.shortagePolicy, demand, plan: routeOrder({ rules, pickup, demand, stocks }) };
  }

  /** Writes the current attempt's holdings and reserve steps, or, if routing found a shortage, its outcome. */
  private planAttempt(routing: Routing, now: number): void {
    const state = this.order.current();
    if (!routing.plan.ok) {
      this.fallShort(state, routing.plan.shortages, "shortage", now, 0);
      return;
    }
    for (const allocation of routing.plan.allocations) {
      const holding = this.db
        .insert(schema.holdings)
        .values({ attempt: state.attempt, ...allocation, reservationId: null, state: "reserving", committed: 0, released: 0 })
        .returning({ id: schema.holdings.id })
        .get();
      this.order.addStep("reserve", holding.id, allocation.qty, `${state.orderId}:a${state.attempt}:reserve:${allocation.sku}@${allocation.location}`, now);
    }
  }

  /**
   * Runs pending steps until none is left or one cannot reach its object,
   * deciding after each round what follows (reserved, or compensation).
   * Then brings the order index up to date and sets the alarm; returns when
   * the alarm should next look.
   */
  private async drive(cause: string): Promise<number | null> {
    let stalled = false;
    for (;;) {
      this.transaction(() => this.advance(cause, this.now()));
      const pending = this.order.pendingSteps();
      if (pending.length === 0 || stalled) break;
      // Set with no await since the writes that made these steps pending, so it commits with them:
      // if this instance dies during the calls below, the alarm makes them again.
      await this.wakeAt(this.now() + sagaCheckMs);
      const state = this.order.current();
      const outcomes = await Promise.all(pending.map((step) => this.runStep(state, step)));
      stalled = outcomes.includes("retry");
    }
    const indexed = await this.publishIndex();
    // A queue that refuses does not fail the order: the outbox records exceptions instead.
    const flushed = await this.outbox.flush();
    // Soon (with backoff) while work is pending, else only for pruning idempotency records.
    const next = stalled || !indexed || !flushed ? this.now() + Math.min(maxRetryMs, 1_000 * 2 ** Math.min(this.order.mostTries(), 20)) : null;
    await this.wakeAt(next);
    return next;
  }

  /** Decides the end of a reservation attempt once every reserve step has its answer. */
  private advance(cause: string, now: number): void {
    const state = this.order.state();
    if (!state || state.status !== "received") return;
    const attempt = this.order.holdingsOf(state.attempt);
    if (attempt.some((h) => h.state === "reserving")) return;
    const refused = attempt.filter((h) => h.state === "refused");
    if (refused.length === 0) {
      const locations = [...new Set(attempt.map((h) => h.location))];
      this.order.transition("reserved", "reserved", cause, now, { locations, split: locations.length > 1 });
      const { base, ref } = this.order.eventOf();
      this.outbox.stage({ ...base, type: "order.reserved", data: { ...ref, allocations: attempt.map(({ sku, location, qty }) => ({ sku, location, qty })) } }, now);
      return;
    }
    let released = 0;
    for (const holding of attempt.filter((h) => h.state === "held")) {
      const qty = holding.qty - holding.committed - holding.released;
      this.order.updateHolding(holding.id, { state: "compensated", released: holding.released + qty });
      this.order.addStep("release", holding.id, qty, `${state.orderId}:a${state.attempt}:compensate:${holding.id}`, now);
      released += 1;
    }
    this.fallShort(state, this.shortagesOf(attempt), "compensation", now, released);
  }

  /** The attempt fell short: backordered or in exception as the tenant's policy says, and a `backorder` exception. */
  private fallShort(state: OrderState, shortages: Shortage[], cause: "shortage" | "compensation", now: number, released: number): void {
    const to = state.shortagePolicy === "exception" ? "in_exception" : "backordered";
    this.order.updateState({ shortages });
    this.order.transition(to, to, cause, now, { attempt: state.attempt, released, short: shortages.map((s) => `${s.sku}: ${s.requested} requested, ${s.available} available`) });
    this.order.addStep("record_exception", null, 0, `backorder:${state.orderId}:a${state.attempt}`, now);
  }

  private shortagesOf(attempt: Holding[]): Shortage[] {
    const bySku = new Map<string, Shortage>();
    for (const holding of attempt) {
      const shortage = bySku.get(holding.sku) ?? { sku: holding.sku, requested: 0, available: 0 };
      shortage.requested += holding.qty;
      shortage.available += holding.state === "refused" ? this.order.refusedAvailable(holding) : holding.qty;
      bySku.set(holding.sku, shortage);
    }
    return [...bySku.values()].filter((s) => s.available < s.requested);
  }

  /** Makes one call of the saga log and records its answer; "retry" when the object could not be reached. */
  private async runStep(state: OrderState, step: SagaStep): Promise<StepOutcome> {
    const idempotency = { key: step.key, requestHash: step.key };
    try {
      if (step.kind === "record_exception") {
        await exceptionQueue(this.env, state.tenantId).record([this.order.backorderException()]);
        return this.order.settleStep(step, "done");
      }
      const holding = this.order.holding(step.holdingId!)!;
      const sku = skuObject(this.env, state.tenantId, holding.sku);
      if (step.kind === "reserve") {
        const reserve = { qty: step.qty, channel: state.channel, rules: state.rules, location: holding.location, ttlSeconds: holdTtlSeconds, reference: `order:${state.orderId}`, traceId: traceIdOf(state.traceparent) };
        const { outcome } = await sku.reserve(reserve, idempotency);
        return this.transaction(() => {
          if (outcome.ok) {
            this.order.updateHolding(holding.id, { state: "held", reservationId: outcome.reservation.id });
            return this.order.settleStep(step, "done");
          }
          this.order.updateHolding(holding.id, { state: "refused" });
          return this.order.settleStep(step, "failed", { code: outcome.code, ...outcome.extra });
        });
      }
      const { outcome } =
        step.kind === "commit"
          ? await sku.commit(holding.reservationId!, state.channel, idempotency, step.qty, traceIdOf(state.traceparent))
          : await sku.release(holding.reservationId!, state.channel, idempotency, step.qty, traceIdOf(state.traceparent));
      // A reservation that is no longer active has given its units back already: nothing left to release.
      if (outcome.ok || (step.kind === "release" && outcome.code === "reservation_not_active")) return this.order.settleStep(step, "done");
      return this.transaction(() => {
        this.order.recordEvent(state.status, state.status, `${step.kind}_failed`, "saga", this.now(), { sku: holding.sku, location: holding.location, qty: step.qty, code: outcome.code });
        return this.order.settleStep(step, "failed", { code: outcome.code });
      });
    } catch (error) {
      // Still pending: the alarm tries again under the same key. The last error stays visible on the step.
      this.order.failedTry(step, error);
      return "retry";
    }
  }

  /** Runs one fulfilment or cancellation: settle pending work, decide and record it in one transaction, then make its calls. */
  private async operate(onlyChannel: string | null, idempotency: IdempotencyInput | undefined, decide: (state: OrderState, now: number) => Result<object>): Promise<OrderOutcome> {
    return this.serialized(async () => {
      const known = this.order.state();
      if (!known || (onlyChannel !== null && known.channel !== onlyChannel)) return { outcome: this.noOrder(), replayed: false };
      await this.drive("request");
      const now = this.now();
      const result = await this.decide(() =>
        this.idempotent(idempotency, now, (): Result<{ order: Order }> => {
          const decided = decide(this.order.current(), now);
          return decided.ok ? { ok: true, order: this.order.view() } : decided;
        }),
      );
      await this.drive("request");
      return result;
    });
  }

  /** Publishes the order's status to the tenant's list; false if the index could not be reached. */
  private async publishIndex(): Promise<boolean> {
    const state = this.order.state();
    if (!state || state.indexedVersion >= state.version) return true;
    try {
      const { orderId, channel, externalId, status, version, createdAt, updatedAt } = state;
      await orderIndex(this.env, state.tenantId).publish({ orderId, channel, externalId, status, version, createdAt, updatedAt });
    } catch {
      return false;
    }
    this.order.updateState({ indexedVersion: state.version });
    return true;
  }

  /**
   * Writes a decision (the order change and the saga steps it wants) in one
   * transaction and, with no await in between so that both commit together,
   * arms the alarm that makes those steps if this instance dies first.
   */
  private async decide<T>(run: () => T): Promise<T> {
    const result = this.transaction(run);
    await this.wakeAt(this.now() + sagaCheckMs);
    return result;
  }
}
