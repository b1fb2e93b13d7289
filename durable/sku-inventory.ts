// Over 400 lines on purpose: a Durable Object's RPC methods must be members of its class, and this is the
// one object per tenant × SKU. The logic behind them lives by concept in sku-state.ts (stock, reservations,
// ledger), sku-allotments.ts (flash sales), store-movements.ts and store-exceptions.ts; what stays here is the
// RPC surface, the group commit and the alarm that tie them together.
import { AutoHotWatch, autoHotCheckEveryMs, autoHotMinimumMs, autoHotRateWindowMs } from "./sku-auto-hot.ts";
import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import { allocateFromPool, channelAvailable, locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { AdjustmentRequest, CreateReservationRequest, InventoryView, LedgerPage, Reservation, ReservationPage, ReservationStatus, SetStockRequest } from "../shared/schemas/inventory.ts";
import type { AutoHot, ChannelRules } from "../shared/schemas/tenancy.ts";
import type { HotSku, Units } from "../shared/schemas/allotments.ts";
import { GroupCommit } from "./group-commit.ts";
import type { Idempotent, IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/sku-inventory/migrations.js";
import { allotmentShard, availabilityIndex, parseName, type SkuIdentity } from "./objects.ts";
import { seqPage } from "./paging.ts";
import * as schema from "./schema/sku-inventory.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { figuresWithShards, SkuAllotments, splitOver, viewOf, type ShardCommit, type TransferRow } from "./sku-allotments.ts";
import { SkuLeases, type LeaseSpec, type LeaseState } from "./sku-leases.ts";
import { SkuState, toLedgerEntry, toReservation, type Mutation, type ReservationRow, type SkuMeta } from "./sku-state.ts";
import { leavesReservationsShort, shortReservations, type StoreMovement, type StoreMovementOutcome, type StoreMovementsResult, type UncoveredReservations } from "./store-movements.ts";

/** A snapshot of one location's figures, as `PUT /v1/inventory/{sku}/locations/{location}` sends it. */
export type SetStockInput = SetStockRequest & { location: string };

/** Units written off at a location without moving any figure (a damaged return that never re-entered onHand). */
export type WriteOffInput = Omit<AdjustmentRequest, "delta"> & { qty: number };

/** A reservation request with the channel's rules as the tenant registry holds them at the time of the request. */
/** `traceId`: the trace of the order or request that asks, written on the reservation's ledger entries. */
export type ReserveInput = CreateReservationRequest & { rules: ChannelRules; traceId?: string | null };

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
export type HotSkuResult = Result<{ hot: HotSku }>;
/** A pool reservation of a channel the SKU is hot for: the route sends it to one of these shards. */
export type HotAnswer = { hot: { shards: number } };
/** A grant to a shard that borrows: how many units were credited to it (0: none left anywhere), or the channel is not hot. */
export type ShardGrant = { ok: true; qty: number; generation: number } | { ok: false; code: "not_hot" };

/** How soon a transfer to a shard that could not be delivered is sent again. */
const transferRetryMs = 1_000;

/**
 * The single writer of one tenant's SKU (named `<tenant>/<sku>`): every
 * reservation, commit, release and stock movement of that SKU runs here, one
 * at a time, each in one SQLite transaction with its ledger entries and its
 * idempotency record. That is what keeps stock from being promised twice.
 * Writes share durable commits (./group-commit.ts); the stored state and its
 * ledger live in ./sku-state.ts.
 *
 * Why one long file: every method here decides in this object's serialized
 * order (group commits, `serialized`, the alarm), which is the invariant.
 * What can stand apart does: flash-sale bookkeeping (./sku-allotments.ts,
 * ./sku-auto-hot.ts), leases (./sku-leases.ts), store movements' types
 * (./store-movements.ts).
 */
export class SkuInventory extends ShelfsyncObject<typeof schema, SkuIdentity> {
  private readonly state: SkuState;
  private readonly allotments: SkuAllotments;
  private readonly leases: SkuLeases;
  private readonly autoHot = new AutoHotWatch();
  /** Whether a transfer to a shard waits to be credited there (undefined: not read yet). */
  private transfersPending: boolean | undefined;
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
    this.allotments = new SkuAllotments(this.db, this.state);
    this.leases = new SkuLeases(this.state);
    this.commits = new GroupCommit(
      (run) => this.transaction(run),
      () => this.afterGroupCommit(),
    );
  }

  async setStock(input: SetStockInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.withShards(this.mutate(idempotency, (mutation): InventoryResult => {
      const current = this.state.stockAt(input.location);
      const safetyStock = input.safetyStock ?? current.safetyStock;
      const draft = { type: "snapshot" as const, onHandDelta: input.onHand - current.onHand, safetyStockDelta: safetyStock - current.safetyStock, reference: input.reference ?? null };
      this.state.putStock({ ...current, onHand: input.onHand, safetyStock }, draft, mutation);
      return { ok: true, inventory: this.state.view(this.identity.sku) };
    }));
  }

  async adjust(input: AdjustmentRequest, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.withShards(this.mutate(idempotency, (mutation): InventoryResult => {
      const current = this.state.stockAt(input.location);
      if (current.onHand + input.delta < 0) {
        return fail("negative_on_hand", `Adjusting by ${input.delta} would leave ${current.onHand + input.delta} on hand at ${input.location}`, { onHand: current.onHand });
      }
      const draft = { type: "adjustment" as const, onHandDelta: input.delta, reason: input.reason, reference: input.reference };
      this.state.putStock({ ...current, onHand: current.onHand + input.delta }, draft, mutation);
      return { ok: true, inventory: this.state.view(this.identity.sku) };
    }));
  }

  /** Records units written off: a `write_off` ledger entry with delta 0, reason "<reason>: <qty> units". */
  async writeOff(input: WriteOffInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(idempotency, (mutation): InventoryResult => {
      this.state.appendLedger(mutation, { type: "write_off", location: input.location, reason: `${input.reason}: ${input.qty} units`, reference: input.reference });
      return { ok: true, inventory: this.state.view(this.identity.sku) };
    });
  }

  /**
   * `reserve`, except that a pool reservation of a channel the SKU is hot for
   * is not served here: the answer names the shards (the reservation route
   * sends it to one of them), and nothing is recorded under its
   * Idempotency-Key. So the route need not ask the tenant's registry whether
   * a SKU is hot before each reservation.
   */
  async reserveUnlessHot(input: ReserveInput, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult> | HotAnswer> {
    if (input.location !== undefined) return this.reserve(input, idempotency);
    const hotNow = (): HotAnswer | null => {
      const hot = this.allotments.hot(input.channel);
      return hot ? { hot: { shards: hot.shards } } : null;
    };
    const hot = hotNow();
    if (hot) return hot;
    const autoHot = this.autoHot.counted(input.channel, input.rules, this.now());
    await this.reclaimFromCooledShards(input);
    // A sale that started while this waited for its group (the rate's own, or the tenant's) serves it from its shards.
    const answer = await this.mutate(idempotency, (mutation) => this.decideReservation(input, mutation), hotNow);
    if (autoHot) this.startSale(input.channel, autoHot, input.rules);
    return answer;
  }

  async reserve(input: ReserveInput, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult>> {
    if (input.location === undefined) await this.reclaimFromCooledShards(input);
    else await this.reclaimAtLocation(input.location, input.qty);
    return this.mutate(idempotency, (mutation) => this.decideReservation(input, mutation));
  }

  /**
   * A reservation at a location (an order's line) that the units there do
   * not cover because a flash sale's shards hold them: free units there come
   * back from the shards first, as a shard borrows from its siblings, so an
   * order is not refused while units remain. Only on that path: a
   * reservation that fits, or a SKU without allotments, asks no shard.
   */
  private async reclaimAtLocation(location: string, qty: number): Promise<void> {
    const short = () => qty - locationAvailable(this.state.stockAt(location));
    if (!this.allotments.anyAllotted() || short() <= 0) return;
    await this.serialized(async () => {
      for (const row of this.allotments.allotted().filter((row) => row.location === location)) {
        const need = short();
        if (need <= 0) break;
        const back = await allotmentShard(this.env, this.identity.tenantId, this.identity.sku, row.channel, row.shard).giveBack(need, location);
        if (back) this.allotmentTransaction((mutation) => this.allotments.creditFromShard(back.transferId, row.channel, row.shard, back.units, mutation));
      }
    });
  }

  /** Takes the reservation if the units are there, in the write's group commit. */
  private decideReservation(input: ReserveInput, mutation: Mutation): ReservationResult {
    mutation.traceId = input.traceId ?? null;
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
  }

  /**
   * Commits the reservation; with `qty` less than it holds, only that many
   * units (taken from its allocations in order) and the rest stays active.
   */
  async commit(reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput, qty?: number, traceId?: string | null): Promise<Idempotent<ReservationResult>> {
    return this.close(reservationId, onlyChannel, "committed", idempotency, qty, traceId);
  }

  /** Releases the reservation; with `qty` less than it holds, only that many units, as for `commit`. */
  async release(reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput, qty?: number, traceId?: string | null): Promise<Idempotent<ReservationResult>> {
    return this.close(reservationId, onlyChannel, "released", idempotency, qty, traceId);
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
    // A sale of units a flash sale's shards hold free takes them back from the shards; what stays short is reported.
    if (!outcome.ok || !(await this.reclaimShortfalls())) return outcome;
    return { ok: true, outcomes: outcome.outcomes.map((entry, i) => (entry.short ? { ...entry, short: this.uncoveredAt(this.state.stockAt(movements[i]!.location)) } : entry)) };
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
    await this.reclaimShortfalls();
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
    if (!this.allotments.anyAllotted()) return { ok: true, inventory };
    return { ok: true, inventory: await this.shardAwareView() };
  }

  /**
   * Marks the SKU hot for `channel` (a flash sale, docs/decisions/0029): the
   * units the channel may have now are split over `shards` allotment shards,
   * which serve its pool reservations. Marking it again with the same number
   * of shards changes nothing. `autoRate`: the channel's autoHot rate, when
   * the sale starts by itself (it then ends by itself too: decision 0043).
   */
  async markHot(channel: string, shards: number, rules: ChannelRules, autoRate: number | null = null): Promise<HotSkuResult> {
    return this.serialized(async () => {
      await this.alarmBeforeTransfers();
      const outcome = this.allotmentTransaction((mutation): Result<object> => {
        const current = this.allotments.hot(channel);
        if (current) return current.shards === shards ? { ok: true } : fail("conflict", `SKU ${this.identity.sku} is hot for ${channel} with ${current.shards} shards; cool it first`, { shards: current.shards });
        if (this.allotments.allotted(channel).some((row) => row.shard >= shards)) {
          return fail("conflict", `Shards of an earlier sale of ${channel} still hold units; wait until they have given them back`);
        }
        this.allotments.markHot({ channel, shards, since: mutation.now, autoRate });
        const stocks = this.state.allStock();
        const units = allocateFromPool(rules, stocks, channelAvailable(rules, stocks));
        splitOver(units, shards).forEach((part, shard) => {
          if (part.length > 0) this.allotments.debitToShard(channel, shard, part, mutation);
        });
        return { ok: true };
      });
      if (!outcome.ok) return outcome;
      await this.pushTransfers();
      return { ok: true, hot: await this.hotView() };
    });
  }

  /**
   * Cools `channel`'s sale: every shard gives its free units back now; units
   * its open reservations hold come back as they are released or expire.
   */
  async cool(channel: string): Promise<HotSkuResult> {
    return this.serialized(async () => {
      const hot = this.allotments.hot(channel);
      const holding = new Set(this.allotments.allotted(channel).map((row) => row.shard));
      if (!hot && holding.size === 0) return fail("not_found", `SKU ${this.identity.sku} is not hot for ${channel}`);
      this.allotmentTransaction(() => this.allotments.cool(channel));
      for (let shard = 0; shard < (hot?.shards ?? 0); shard += 1) holding.add(shard);
      for (const shard of holding) {
        const back = await allotmentShard(this.env, this.identity.tenantId, this.identity.sku, channel, shard).cool(hot?.since ?? Number.MAX_SAFE_INTEGER);
        if (back) this.allotmentTransaction((mutation) => this.allotments.creditFromShard(back.transferId, channel, shard, back.units, mutation));
      }
      await this.pushTransfers();
      await this.wakeBy(this.alarmWanted());
      return { ok: true, hot: await this.hotView() };
    });
  }

  /**
   * A pool reservation this object cannot cover while shards of the
   * channel's cooled sale still hold units: reservations there past their
   * TTL (whose shard's alarm has not rung yet) give their units back first,
   * so that a refusal means nothing is free. Only on that path: a
   * reservation that fits, or a channel without allotments, asks no shard.
   */
  private async reclaimFromCooledShards(input: ReserveInput): Promise<void> {
    if (channelAvailable(input.rules, this.state.allStock()) >= input.qty || this.allotments.hot(input.channel)) return;
    const holding = new Set(this.allotments.allotted(input.channel).map((row) => row.shard));
    if (holding.size === 0) return;
    await this.serialized(async () => {
      if (this.allotments.hot(input.channel)) return;
      for (const shard of holding) {
        const backs = await allotmentShard(this.env, this.identity.tenantId, this.identity.sku, input.channel, shard).cooledGiveBacks();
        for (const back of backs) this.allotmentTransaction((mutation) => this.allotments.creditFromShard(back.transferId, input.channel, shard, back.units, mutation));
      }
    });
  }

  /**
   * Marks the SKU hot for `channel` by itself: its pool reservations reached
   * the channel's autoHot rate. This reservation and those queued before the
   * marking are served here; the next ones by the shards.
   */
  private startSale(channel: string, autoHot: AutoHot, rules: ChannelRules): void {
    void this.markHot(channel, autoHot.shards, rules, autoHot.reservationsPerSecond)
      .then(async (outcome) => {
        if (!outcome.ok) throw new Error(outcome.code);
        this.autoHot.nextCheck = undefined;
        await this.wakeBy(this.alarmWanted());
      })
      .catch((error: unknown) => console.error(JSON.stringify({ level: "warn", message: "flash sale did not start by itself", sku: this.identity.sku, channel, reason: error instanceof Error ? error.message : String(error) })))
      .finally(() => this.autoHot.started(channel));
  }

  /** Cools each sale that started by itself and whose shards' rate fell below a quarter of the rate that started it. */
  private async coolSalesThatCooled(): Promise<void> {
    const now = this.now();
    if (this.autoCheckAt() === null || this.autoCheckAt()! > now) return;
    for (const row of this.allotments.hotChannels()) {
      if (row.autoRate === null) continue;
      const since = now - autoHotRateWindowMs;
      const counts = await Promise.all(Array.from({ length: row.shards }, (_, shard) => allotmentShard(this.env, this.identity.tenantId, this.identity.sku, row.channel, shard).reservationsSince(since)));
      const reserved = counts.reduce((sum, n) => sum + n, 0);
      if (AutoHotWatch.cooled(row.since, row.autoRate, reserved, now)) await this.cool(row.channel);
    }
    this.autoHot.nextCheck = this.allotments.hotChannels().some((row) => row.autoRate !== null) ? now + autoHotCheckEveryMs : null;
  }

  /** When sales that started by themselves are checked next (null: none runs). */
  private autoCheckAt(): number | null {
    if (this.autoHot.nextCheck === undefined) {
      const auto = this.allotments.hotChannels().filter((row) => row.autoRate !== null);
      this.autoHot.nextCheck = auto.length === 0 ? null : Math.max(this.now(), Math.min(...auto.map((row) => row.since + autoHotMinimumMs)));
    }
    return this.autoHot.nextCheck;
  }

  /** The channels the SKU is hot for (and shards that still hold units), with each shard's units. */
  async getHot(): Promise<HotSkuResult> {
    return { ok: true, hot: await this.hotView() };
  }

  /**
   * A shard borrows: it needs `want` more units. Granted from units no shard
   * holds (within the channel's rules), after taking free units back from the
   * other shards if those are too few, plus a fair share of what is left so
   * that the shard does not come back at once. 0: nothing is left anywhere.
   */
  async grantToShard(channel: string, shard: number, want: number, rules: ChannelRules): Promise<ShardGrant> {
    return this.serialized(async () => {
      const hot = this.allotments.hot(channel);
      if (!hot || shard >= hot.shards) return { ok: false, code: "not_hot" };
      // Reservations past their TTL give their units back before anything is counted.
      this.allotmentTransaction(() => undefined);
      let may = channelAvailable(rules, this.state.allStock());
      for (let sibling = 0; sibling < hot.shards && may < want; sibling += 1) {
        if (sibling === shard) continue;
        const back = await allotmentShard(this.env, this.identity.tenantId, this.identity.sku, channel, sibling).giveBack(want - may, null);
        if (back) this.allotmentTransaction((mutation) => this.allotments.creditFromShard(back.transferId, channel, sibling, back.units, mutation));
        may = channelAvailable(rules, this.state.allStock());
      }
      const qty = Math.min(may, Math.max(want, Math.ceil(may / hot.shards)));
      if (qty <= 0) return { ok: true, qty: 0, generation: hot.since };
      await this.alarmBeforeTransfers();
      const transfer = this.allotmentTransaction((mutation) => this.allotments.debitToShard(channel, shard, allocateFromPool(rules, this.state.allStock(), qty), mutation));
      await this.pushTransfer(transfer);
      await this.wakeBy(this.alarmWanted());
      return { ok: true, qty, generation: hot.since };
    });
  }

  /** A shard's give-back, applied once by its transfer id (the shard sends it until this answers). */
  async receiveFromShard(transferId: string, channel: string, shard: number, units: Units): Promise<void> {
    this.allotmentTransaction((mutation) => this.allotments.creditFromShard(transferId, channel, shard, units, mutation));
    await this.wakeBy(this.alarmWanted());
  }

  /** Commits made at a shard: their units leave onHand (each once, by reservation id) with a commit entry in the ledger. */
  async applyShardCommits(channel: string, shard: number, commits: ShardCommit[]): Promise<void> {
    this.allotmentTransaction((mutation) => {
      for (const commit of commits) this.allotments.applyCommit(channel, shard, commit, mutation);
    });
    await this.wakeBy(this.alarmWanted());
  }

  /** A shard's reservations changed: the read model needs the shards' figures again. */
  async shardMoved(): Promise<void> {
    this.transaction(() => {
      this.ensureMeta();
      this.state.countShardMove();
    });
    this.unpublished = true;
    await this.wakeBy(this.alarmWanted());
  }

  /** Sets the lease of the store at `location` (docs/decisions/0033): its units leave every channel's availability there. */
  async setLease(location: string, spec: LeaseSpec, suspended: boolean): Promise<Result<{ lease: LeaseState }>> {
    // A lease of a SKU nothing was recorded of would make one: a typo must not.
    if (this.state.version() === 0) return fail("not_found", `No inventory recorded for SKU ${this.identity.sku}`);
    const { outcome } = await this.mutate(undefined, (mutation) => ({ ok: true as const, lease: this.leases.set(location, spec, suspended, mutation) }));
    return outcome;
  }

  /** Ends the lease at `location`; false when there was none. */
  async endLease(location: string): Promise<boolean> {
    const { outcome } = await this.mutate(undefined, (mutation) => ({ ok: true as const, ended: this.leases.remove(location, mutation) }));
    if (!outcome.ok) throw new Error(outcome.detail); // no idempotency key, so never a conflict
    return outcome.ended;
  }

  /** The store at `location` fell silent (suspended: the lease holds nothing) or was heard from again. */
  async suspendLease(location: string, suspended: boolean): Promise<void> {
    await this.mutate(undefined, (mutation) => {
      this.leases.suspend(location, suspended, mutation);
      return { ok: true as const };
    });
  }

  async getLease(location: string): Promise<LeaseState | null> {
    this.expireDueNow();
    return this.leases.view(location);
  }

  /** A page of the ledger; with `location`, only that location's entries (a store key's view). */
  /** The SKU's reservations of `status`, in the order they were taken, by cursor; a channel's key sees its own channel's only. Flash-sale shards' reservations are not here (GET …/hot counts them). */
  async listReservations(status: ReservationStatus, after: number, limit: number, onlyChannel: string | null): Promise<ReservationPage> {
    this.expireDueNow();
    const rows = this.state.reservationsAfter(status, after, limit + 1);
    const { page, nextCursor } = seqPage(rows, limit);
    return { reservations: page.filter((row) => onlyChannel === null || row.channel === onlyChannel).map((row) => toReservation(this.identity.sku, row)), nextCursor };
  }

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
    await this.pushTransfers();
    await this.reclaimShortfalls();
    await this.coolSalesThatCooled();
    await this.publishAvailability(meta);
    return this.alarmWanted();
  }

  protected override onRollback(): void {
    this.nextExpiry = undefined;
    this.unpublished = undefined;
    this.transfersPending = undefined;
    this.hasMeta = false;
    this.allotments.forget();
    this.autoHot.nextCheck = undefined;
  }

  /** Pushes the current per-location figures to the tenant's availability read model. */
  private async publishAvailability(meta: SkuMeta): Promise<void> {
    const version = this.state.publishVersion();
    if (version <= meta.publishedVersion) {
      this.unpublished = false;
      return;
    }
    // Units free in a flash sale's shards are on offer: publish what shard reservations hold, not what is allotted.
    const figures = this.allotments.anyAllotted() ? await this.figuresWithShards() : this.state.allStock();
    await availabilityIndex(this.env, this.identity.tenantId).publishSku(this.identity.sku, version, figures);
    this.state.markPublished(version);
    // Writes may have landed while the publish was in flight.
    this.unpublished = this.state.publishVersion() > version;
  }

  /** Runs `effect` in a transaction of its own (not a group commit): the allotment work that awaits shards between its steps. */
  private allotmentTransaction<T>(effect: (mutation: Mutation) => T): T {
    const mutation = this.mutation(null);
    const result = this.transaction(() => {
      this.ensureMeta();
      this.expireDue(mutation);
      return effect(mutation);
    });
    if (mutation.moved) this.unpublished = true;
    this.transfersPending = undefined;
    return result;
  }

  /**
   * Sets the alarm before a transfer is debited here: if the object dies
   * before the shard is credited, the alarm still rings and sends it.
   */
  private async alarmBeforeTransfers(): Promise<void> {
    await this.wakeBy(this.now() + transferRetryMs);
  }

  /** Sends every transfer to a shard that has not been credited there yet. */
  private async pushTransfers(): Promise<void> {
    for (const transfer of this.allotments.pendingTransfers()) await this.pushTransfer(transfer);
  }

  /** Credits a transfer at its shard (idempotent there by id), then marks it done; if the shard cannot be reached, the alarm sends it again. */
  private async pushTransfer(transfer: TransferRow): Promise<void> {
    const generation = this.allotments.hot(transfer.channel)?.since ?? null;
    try {
      await allotmentShard(this.env, this.identity.tenantId, this.identity.sku, transfer.channel, transfer.shard).credit(transfer.id, transfer.allocations, generation);
    } catch {
      this.transfersPending = true;
      return;
    }
    this.transaction(() => this.allotments.transferDone(transfer.id));
    this.transfersPending = undefined;
  }

  /**
   * Where a snapshot or a store sale left reservations and allotments above
   * what is there, takes free units back from the shards at that location.
   * Returns whether anything was allotted (so shortages are worth reading again).
   */
  private async reclaimShortfalls(): Promise<boolean> {
    if (!this.allotments.anyAllotted()) return false;
    await this.serialized(async () => {
      for (const short of this.allotments.shortfalls()) {
        let need = short.qty;
        for (const row of this.allotments.allotted().filter((row) => row.location === short.location)) {
          if (need <= 0) break;
          const back = await allotmentShard(this.env, this.identity.tenantId, this.identity.sku, row.channel, row.shard).giveBack(need, short.location);
          if (!back) continue;
          this.allotmentTransaction((mutation) => this.allotments.creditFromShard(back.transferId, row.channel, row.shard, back.units, mutation));
          need -= back.units.reduce((sum, part) => sum + part.qty, 0);
        }
      }
    });
    await this.wakeBy(this.alarmWanted());
    return true;
  }

  /** A write's answer shows the figures as GET does once a flash sale holds units; a shortfall it caused is taken back from the shards first. */
  private async withShards(write: Promise<Idempotent<InventoryResult>>): Promise<Idempotent<InventoryResult>> {
    const result = await write;
    if (!result.outcome.ok || result.replayed || !(await this.reclaimShortfalls())) return result;
    return { ...result, outcome: { ok: true, inventory: await this.shardAwareView() } };
  }

  private async shardAwareView() {
    const figures = await this.figuresWithShards();
    return viewOf(this.state.view(this.identity.sku), figures);
  }

  /** The SKU's figures with units free in shards (or in flight) as available and units their reservations hold as reserved. */
  private async figuresWithShards() {
    const shards = new Map<string, { channel: string; shard: number }>();
    for (const row of this.allotments.allotted()) shards.set(`${row.channel}/${row.shard}`, row);
    const holdings = await Promise.all([...shards.values()].map(({ channel, shard }) => allotmentShard(this.env, this.identity.tenantId, this.identity.sku, channel, shard).holding()));
    // Read after the shards answered, so that the figures and the allotments are of one moment here.
    return figuresWithShards(this.state.allStock(), this.allotments.allotted(), holdings.flat());
  }

  private hotView(): Promise<HotSku> {
    return this.allotments.view(this.identity.sku, (channel, shard) => allotmentShard(this.env, this.identity.tenantId, this.identity.sku, channel, shard).holding());
  }

  private async close(
    reservationId: string,
    onlyChannel: string | null,
    status: "committed" | "released",
    idempotency?: IdempotencyInput,
    qty?: number,
    traceId?: string | null,
  ): Promise<Idempotent<ReservationResult>> {
    return this.mutate(idempotency, (mutation): ReservationResult => {
      mutation.traceId = traceId ?? null;
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
      mutation.traceId = movement.traceId ?? null;
      this.state.putStock(after, { type: movement.type, onHandDelta, reason, reference: movement.reference, occurredAt: movement.occurredAt }, mutation);
      // The store is online (its sales arrive): a lease sized from its sales is sized again, at most hourly.
      // Its entry is the lease's, not the POS line's: it carries no key (movement already counts as moved).
      if (movement.type === "pos_sale") this.leases.afterSale(movement.location, { ...mutation, idempotencyKey: null });
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

  /**
   * Queues one write for the next group commit, decided in arrival order
   * against the state its predecessors left. `divert`, asked first (unless
   * the key already has an answer), may send the write elsewhere: its answer
   * is returned and nothing is recorded under the key.
   */
  private mutate<T extends Result<object>, D = never>(idempotency: IdempotencyInput | undefined, effect: (mutation: Mutation) => T, divert?: () => D | null): Promise<Idempotent<T> | D> {
    return this.commits.submit(() => {
      const mutation = this.mutation(idempotency?.key ?? null);
      this.ensureMeta();
      this.expireDue(mutation);
      const diverted = divert && !(idempotency && this.storedAnswer(idempotency)) ? divert() : null;
      if (diverted !== null) return diverted as unknown as Idempotent<Result<object>>;
      const result = this.idempotent(idempotency, mutation.now, () => effect(mutation));
      this.movedInGroup ||= mutation.moved;
      return result;
    }) as Promise<Idempotent<T> | D>;
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
      this.unpublished = this.state.publishVersion() > meta.publishedVersion;
    }
    if (this.transfersPending === undefined) this.transfersPending = this.allotments.pendingTransfers().length > 0;
    const publishAt = this.unpublished ? this.now() + Number(this.env.AVAILABILITY_PUBLISH_DELAY_MS) : Number.POSITIVE_INFINITY;
    const retryAt = this.transfersPending ? this.now() + transferRetryMs : Number.POSITIVE_INFINITY;
    const wanted = Math.min(publishAt, retryAt, this.earliestExpiry(), this.autoCheckAt() ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(wanted) ? wanted : null;
  }

  private mutation(idempotencyKey: string | null): Mutation {
    return { now: this.now(), idempotencyKey, traceId: null, moved: false };
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
