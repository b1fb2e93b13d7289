import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import { allocateFromPool, channelAvailable, locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { AdjustmentRequest, CreateReservationRequest, InventoryView, LedgerPage, Reservation, SetStockRequest } from "../shared/schemas/inventory.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { GroupCommit } from "./group-commit.ts";
import type { Idempotent, IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/sku-inventory/migrations.js";
import { availabilityIndex, parseName, type SkuIdentity } from "./objects.ts";
import { seqPage } from "./paging.ts";
import * as schema from "./schema/sku-inventory.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { SkuState, toLedgerEntry, toReservation, type Mutation, type ReservationRow, type SkuMeta } from "./sku-state.ts";
import { leavesReservationsShort, shortReservations, type StoreMovement, type StoreMovementOutcome, type StoreMovementsResult, type UncoveredReservations } from "./store-movements.ts";

/** A snapshot of one location's figures, as `PUT /v1/inventory/{sku}/locations/{location}` sends it. */
export type SetStockInput = SetStockRequest & { location: string };

/** Units written off at a location without moving any figure (a damaged return that never re-entered onHand). */
export type WriteOffInput = Omit<AdjustmentRequest, "delta"> & { qty: number };

/** A reservation request with the channel's rules as the tenant registry holds them at the time of the request. */
export type ReserveInput = CreateReservationRequest & { rules: ChannelRules };

/** One ERP stock count: what was physically at the location at `asOf` (epoch ms), under the key of its import row. */
export interface StockCount {
  key: string;
  location: string;
  onHand: number;
  asOf: number;
  reference: string;
}

/** applied: onHand is now the count plus what moved after it; already: this key was applied before; stale: a newer count is in. */
export interface StockCountOutcome {
  key: string;
  outcome: "applied" | "already" | "stale";
  /** For stale: the as-of time of the count already applied (epoch ms). */
  appliedAsOf?: number;
}

export type InventoryResult = Result<{ inventory: InventoryView }>;
export type ReservationResult = Result<{ reservation: Reservation }>;

/**
 * The single writer of one tenant's SKU (named `<tenant>/<sku>`): every
 * reservation, commit, release and stock movement of that SKU runs here, one
 * at a time, each in one SQLite transaction with its ledger entries and its
 * idempotency record. That is what keeps stock from being promised twice.
 * Writes share durable commits (./group-commit.ts); the stored state and its
 * ledger live in ./sku-state.ts.
 */
export class SkuInventory extends ShelfsyncObject<typeof schema, SkuIdentity> {
  private readonly state: SkuState;
  private readonly commits: GroupCommit<Idempotent<Result<object>>>;
  /**
   * Never later than the earliest active reservation's expiry (null: none
   * active; undefined: not read yet). Lets a write skip the expiry query.
   */
  private nextExpiry: number | null | undefined;
  /** Whether the read model lacks a movement (undefined: not read yet). */
  private unpublished: boolean | undefined;
  /** Whether the object's figures have a row yet (its first write makes it). */
  private hasMeta = false;
  /** Whether a write of the pending group moved stock. */
  private movedInGroup = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.sku });
    this.state = new SkuState(this.db);
    this.commits = new GroupCommit(
      (run) => this.transaction(run),
      () => this.afterGroupCommit(),
    );
  }

  async setStock(input: SetStockInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(idempotency, (mutation): InventoryResult => {
      const current = this.state.stockAt(input.location);
      const safetyStock = input.safetyStock ?? current.safetyStock;
      const draft = { type: "snapshot" as const, onHandDelta: input.onHand - current.onHand, safetyStockDelta: safetyStock - current.safetyStock, reference: input.reference ?? null };
      this.state.putStock({ ...current, onHand: input.onHand, safetyStock }, draft, mutation);
      return { ok: true, inventory: this.state.view(this.identity.sku) };
    });
  }

  async adjust(input: AdjustmentRequest, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(idempotency, (mutation): InventoryResult => {
      const current = this.state.stockAt(input.location);
      if (current.onHand + input.delta < 0) {
        return fail("negative_on_hand", `Adjusting by ${input.delta} would leave ${current.onHand + input.delta} on hand at ${input.location}`, { onHand: current.onHand });
      }
      const draft = { type: "adjustment" as const, onHandDelta: input.delta, reason: input.reason, reference: input.reference };
      this.state.putStock({ ...current, onHand: current.onHand + input.delta }, draft, mutation);
      return { ok: true, inventory: this.state.view(this.identity.sku) };
    });
  }

  /** Records units written off: a `write_off` ledger entry with delta 0, reason "<reason>: <qty> units". */
  async writeOff(input: WriteOffInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(idempotency, (mutation): InventoryResult => {
      this.state.appendLedger(mutation, { type: "write_off", location: input.location, reason: `${input.reason}: ${input.qty} units`, reference: input.reference });
      return { ok: true, inventory: this.state.view(this.identity.sku) };
    });
  }

  async reserve(input: ReserveInput, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult>> {
    return this.mutate(idempotency, (mutation): ReservationResult => {
      const stocks = this.state.allStock();
      const channelMay = channelAvailable(input.rules, stocks);
      let allocations: { location: string; qty: number }[];
      if (input.location !== undefined) {
        if (!input.rules.locations.includes(input.location)) {
          return fail("location_not_in_channel", `Location ${input.location} is not in the pool of channel ${input.channel}`);
        }
        const here = stocks.find((stock) => stock.location === input.location);
        const available = Math.min(channelMay, here ? locationAvailable(here) : 0);
        if (input.qty > available) return insufficient(input.qty, available, input.location);
        allocations = [{ location: input.location, qty: input.qty }];
      } else {
        if (input.qty > channelMay) return insufficient(input.qty, channelMay);
        allocations = allocateFromPool(input.rules, stocks, input.qty);
      }
      const row: ReservationRow = {
        id: newId("res"),
        channel: input.channel,
        qty: input.qty,
        status: "active",
        reference: input.reference,
        allocations,
        createdAt: mutation.now,
        expiresAt: mutation.now + input.ttlSeconds * 1000,
        closedAt: null,
      };
      this.state.insertReservation(row, mutation);
      if (this.nextExpiry !== undefined && (this.nextExpiry === null || row.expiresAt < this.nextExpiry)) this.nextExpiry = row.expiresAt;
      return { ok: true, reservation: toReservation(this.identity.sku, row) };
    });
  }

  /**
   * Commits the reservation; with `qty` less than it holds, only that many
   * units (taken from its allocations in order) and the rest stays active.
   */
  async commit(reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput, qty?: number): Promise<Idempotent<ReservationResult>> {
    return this.close(reservationId, onlyChannel, "committed", idempotency, qty);
  }

  /** Releases the reservation; with `qty` less than it holds, only that many units, as for `commit`. */
  async release(reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput, qty?: number): Promise<Idempotent<ReservationResult>> {
    return this.close(reservationId, onlyChannel, "released", idempotency, qty);
  }

  /**
   * Applies a store's POS movements in order, each once for good: a key that
   * is already in the ledger (not only in the 24-hour idempotency records)
   * changes nothing, so a store may replay after any delay. Never refused:
   * the units already left the shop, so onHand may go below zero. A sale that
   * leaves reservations at the store uncovered reports them.
   */
  async applyStoreMovements(movements: StoreMovement[]): Promise<StoreMovementsResult> {
    const { outcome } = await this.mutate(undefined, (mutation): StoreMovementsResult => ({
      ok: true,
      outcomes: movements.map((movement) => this.applyStoreMovement(mutation, movement)),
    }));
    return outcome;
  }

  /**
   * Applies ERP stock counts in order. A count says what was at the location
   * at its as-of time, so onHand becomes the count plus every movement that
   * happened after that time (POS lines by when they happened at the till,
   * everything else by when it was recorded): sales racing the count are
   * kept on top of it, never wiped. A count not newer than the last one
   * applied there is ignored. With `mustExist`, a SKU nothing was recorded
   * of is refused (unknown_sku) and left as it was. docs/decisions/0023-stock-counts-as-of.md.
   */
  async applyCounts(counts: StockCount[], options: { mustExist: boolean }): Promise<Result<{ outcomes: StockCountOutcome[] }>> {
    // A SKU the catalog does not know is counted only if stock of it was recorded: a typo must not make a SKU.
    if (options.mustExist && this.state.version() === 0) return fail("unknown_sku", `No inventory recorded for SKU ${this.identity.sku}`);
    const { outcome } = await this.mutate(undefined, (mutation): Result<{ outcomes: StockCountOutcome[] }> => ({
      ok: true,
      outcomes: counts.map((count) => this.applyCount(mutation, count)),
    }));
    return outcome;
  }

  async getReservation(reservationId: string, onlyChannel: string | null): Promise<ReservationResult> {
    this.expireDueNow();
    const row = this.state.reservation(reservationId);
    if (!row || (onlyChannel !== null && row.channel !== onlyChannel)) return this.noReservation(reservationId);
    return { ok: true, reservation: toReservation(this.identity.sku, row) };
  }

  async getInventory(): Promise<InventoryResult> {
    this.expireDueNow();
    const inventory = this.state.view(this.identity.sku);
    // A SKU exists once something moved it; a refused first write leaves it unknown.
    if (inventory.version === 0) return fail("not_found", `No inventory recorded for SKU ${this.identity.sku}`);
    return { ok: true, inventory };
  }

  /** A page of the ledger; with `location`, only that location's entries (a store key's view). */
  async getLedger(after: number, limit: number, location?: string): Promise<LedgerPage> {
    this.expireDueNow();
    const { page, nextCursor } = seqPage(this.state.ledgerAfter(after, limit + 1, location), limit);
    return { entries: page.map(toLedgerEntry), nextCursor };
  }

  /** Expires what is due, then publishes to the read model. */
  protected override async onAlarm(): Promise<number | null> {
    const meta = this.state.meta();
    if (!meta) return null;
    const mutation = this.mutation(null);
    this.transaction(() => this.expireDue(mutation));
    await this.publishAvailability(meta);
    return this.alarmWanted();
  }

  protected override onRollback(): void {
    this.nextExpiry = undefined;
    this.unpublished = undefined;
    this.hasMeta = false;
  }

  /** Pushes the current per-location figures to the tenant's availability read model. */
  private async publishAvailability(meta: SkuMeta): Promise<void> {
    const version = this.state.version();
    if (version <= meta.publishedVersion) {
      this.unpublished = false;
      return;
    }
    await availabilityIndex(this.env, this.identity.tenantId).publishSku(this.identity.sku, version, this.state.allStock());
    this.state.markPublished(version);
    // Writes may have landed while the publish was in flight.
    this.unpublished = this.state.version() > version;
  }

  private async close(
    reservationId: string,
    onlyChannel: string | null,
    status: "committed" | "released",
    idempotency?: IdempotencyInput,
    qty?: number,
  ): Promise<Idempotent<ReservationResult>> {
    return this.mutate(idempotency, (mutation): ReservationResult => {
      const row = this.state.reservation(reservationId);
      if (!row || (onlyChannel !== null && row.channel !== onlyChannel)) return this.noReservation(reservationId);
      if (row.status !== "active") {
        return fail("reservation_not_active", `Reservation ${reservationId} is ${row.status}`, { reservationStatus: row.status });
      }
      if (qty !== undefined && qty > row.qty) {
        return fail("conflict", `Reservation ${reservationId} holds ${row.qty} units, not ${qty}`, { held: row.qty });
      }
      const closed = qty !== undefined && qty < row.qty ? this.state.closePart(row, status, qty, mutation) : this.state.closeReservation(row, status, mutation);
      return { ok: true, reservation: toReservation(this.identity.sku, closed) };
    });
  }

  private noReservation(reservationId: string) {
    return fail("not_found", `No reservation ${reservationId} for SKU ${this.identity.sku}`);
  }

  private applyCount(mutation: Mutation, count: StockCount): StockCountOutcome {
    const mark = this.state.countAt(count.location);
    if (mark?.key === count.key) return { key: count.key, outcome: "already" };
    if (mark && count.asOf <= mark.asOf) return { key: count.key, outcome: "stale", appliedAsOf: mark.asOf };
    const movedSince = this.state.onHandMovedAfter(count.location, count.asOf);
    const current = this.state.stockAt(count.location);
    const onHand = count.onHand + movedSince;
    mutation.idempotencyKey = count.key;
    const reason = `count of ${count.onHand} as of ${new Date(count.asOf).toISOString()}, ${movedSince >= 0 ? "+" : ""}${movedSince} moved since`;
    this.state.putStock({ ...current, onHand }, { type: "snapshot", onHandDelta: onHand - current.onHand, reason, reference: count.reference }, mutation);
    this.state.putCount({ location: count.location, asOf: count.asOf, key: count.key });
    return { key: count.key, outcome: "applied" };
  }

  private applyStoreMovement(mutation: Mutation, movement: StoreMovement): StoreMovementOutcome {
    const done = this.state.hasPosEntry(movement.key);
    let after: StockFigures | null = null;
    if (!done) {
      const count = this.state.countAt(movement.location);
      // A line that happened before the last count there is already in that count: recorded, but it moves nothing.
      const counted = count !== undefined && movement.occurredAt <= count.asOf;
      const onHandDelta = counted ? 0 : movement.type === "pos_sale" ? -movement.qty : movement.qty;
      const reason = counted ? `${movement.reason}; ${movement.qty} units already in the count as of ${new Date(count.asOf).toISOString()}` : movement.reason;
      const current = this.state.stockAt(movement.location);
      after = { ...current, onHand: current.onHand + onHandDelta };
      // The ledger row carries the movement's key: it is the "applied for good" record.
      mutation.idempotencyKey = movement.key;
      this.state.putStock(after, { type: movement.type, onHandDelta, reason, reference: movement.reference, occurredAt: movement.occurredAt }, mutation);
    }
    if (movement.type !== "pos_sale") return { key: movement.key, applied: !done, short: null };
    return { key: movement.key, applied: !done, short: this.uncoveredAt(after ?? this.state.stockAt(movement.location)) };
  }

  /** `stock`: the location's figures as they stand now. */
  private uncoveredAt(stock: StockFigures): UncoveredReservations | null {
    // Most sales leave every reservation covered: skip the reservations query.
    if (!leavesReservationsShort(stock)) return null;
    return shortReservations(stock, this.state.activeReservations());
  }

  /** Queues one write for the next group commit, decided in arrival order against the state its predecessors left. */
  private mutate<T extends Result<object>>(idempotency: IdempotencyInput | undefined, effect: (mutation: Mutation) => T): Promise<Idempotent<T>> {
    return this.commits.submit(() => {
      const mutation = this.mutation(idempotency?.key ?? null);
      this.ensureMeta();
      this.expireDue(mutation);
      const result = this.idempotent(idempotency, mutation.now, () => effect(mutation));
      this.movedInGroup ||= mutation.moved;
      return result;
    }) as Promise<Idempotent<T>>;
  }

  private async afterGroupCommit(): Promise<void> {
    const moved = this.movedInGroup;
    this.movedInGroup = false;
    if (moved) this.unpublished = true;
    // Cheap under load: the figures it needs are kept in memory, and an alarm already due soon enough is left alone.
    await this.wakeBy(this.alarmWanted());
  }

  /**
   * One alarm serves three purposes: publishing to the read model (coalesced:
   * at most one publish per delay), expiring reservations, and (in the base
   * class) pruning old idempotency records. This is the first of the two here.
   */
  private alarmWanted(): number | null {
    if (this.unpublished === undefined) {
      const meta = this.state.meta();
      if (!meta) return null;
      this.unpublished = this.state.version() > meta.publishedVersion;
    }
    const publishAt = this.unpublished ? this.now() + Number(this.env.AVAILABILITY_PUBLISH_DELAY_MS) : Number.POSITIVE_INFINITY;
    const wanted = Math.min(publishAt, this.earliestExpiry());
    return Number.isFinite(wanted) ? wanted : null;
  }

  private mutation(idempotencyKey: string | null): Mutation {
    return { now: this.now(), idempotencyKey, moved: false };
  }

  private ensureMeta(): void {
    if (this.hasMeta) return;
    if (!this.state.meta()) this.state.createMeta(this.identity.tenantId, this.identity.sku);
    this.hasMeta = true;
  }

  /** A read expires what is due itself, so that it never shows a reservation past its TTL as active. */
  private expireDueNow(): void {
    if (this.earliestExpiry() > this.now()) return;
    const mutation = this.mutation(null);
    this.transaction(() => this.expireDue(mutation));
  }

  /** Expires every active reservation whose TTL has passed; its units come back. */
  private expireDue(mutation: Mutation): void {
    if (this.earliestExpiry() > mutation.now) return;
    for (const row of this.state.dueReservations(mutation.now)) this.state.closeReservation(row, "expired", mutation);
    this.nextExpiry = undefined;
  }

  private earliestExpiry(): number {
    if (this.nextExpiry === undefined) this.nextExpiry = this.state.earliestExpiry();
    return this.nextExpiry ?? Number.POSITIVE_INFINITY;
  }
}

function insufficient(requested: number, available: number, location?: string) {
  const where = location ? ` at ${location}` : "";
  return fail("insufficient_stock", `Requested ${requested}, ${available} available${where}`, { requested, available });
}
