import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, gt, lte, max, min, sql } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import { allocateFromPool, channelAvailable, locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { LedgerEntry, LedgerEntryType, LedgerPage, Reservation, SkuInventory as SkuInventoryView } from "../shared/schemas/inventory.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { oldestIdempotencyKey, pruneIdempotencyKeys, idempotencyRetentionMs, runIdempotent, type Idempotent, type IdempotencyInput } from "./idempotency.ts";
import { seqPage } from "./paging.ts";
import migrations from "./migrations/sku-inventory/migrations.js";
import * as schema from "./schema/sku-inventory.ts";
import { leavesReservationsShort, shortReservations, type Shortage, type StoreMovement, type StoreMovementOutcome, type StoreMovementsResult } from "./store-movements.ts";

const { skuMeta, locationStock, reservations, ledger, isPosEntry } = schema;

export interface SkuScope {
  tenantId: string;
  sku: string;
}

export interface SetStockInput {
  location: string;
  onHand: number;
  safetyStock?: number;
  reference?: string;
}

export interface AdjustInput {
  location: string;
  delta: number;
  reason: string;
  reference: string;
}

export interface WriteOffInput {
  location: string;
  /** Units written off; recorded in the entry's reason, since no figure moves. */
  qty: number;
  reason: string;
  reference: string;
}

export interface ReserveInput {
  qty: number;
  channel: string;
  /** The channel's rules as the tenant registry holds them at the time of the request. */
  rules: ChannelRules;
  location?: string;
  ttlSeconds: number;
  reference: string;
}

export type InventoryResult = Result<{ inventory: SkuInventoryView }>;
export type ReservationResult = Result<{ reservation: Reservation }>;

/** What one write knows while it runs inside its transaction. */
interface Mutation {
  now: number;
  idempotencyKey: string | null;
  /** Whether it appended to the ledger, so the read model must hear of it. */
  moved: boolean;
}

interface QueuedWrite {
  scope: SkuScope;
  idempotency: IdempotencyInput | undefined;
  effect: (mutation: Mutation) => Result<object>;
  resolve: (value: Idempotent<Result<object>>) => void;
  reject: (error: unknown) => void;
}

interface LedgerDraft {
  type: LedgerEntryType;
  location: string;
  onHandDelta?: number;
  reservedDelta?: number;
  safetyStockDelta?: number;
  reason?: string | null;
  reference?: string | null;
  reservationId?: string | null;
}

/**
 * The single writer of one tenant's SKU: every reservation, commit, release and
 * stock movement of that SKU runs here, one at a time, each in one SQLite
 * transaction with its ledger entries and its idempotency record. That is what
 * keeps stock from being promised twice.
 *
 * Invariant: a location's `reserved` equals the sum of the active reservations'
 * allocations there; it only changes through reservations.
 */
export class SkuInventory extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** Tenant and SKU of this object, fixed by its first write. */
  private identity: SkuScope | undefined;
  private scheduledAlarm: number | null | undefined;
  /**
   * Never later than the earliest active reservation's expiry (null: none
   * active; undefined: not read yet). Lets a write skip the expiry query.
   */
  private nextExpiry: number | null | undefined;
  /** When the oldest idempotency record was written (null: none; undefined: not read yet). Lets the alarm skip the query. */
  private oldestKeyAt: number | null | undefined;
  /** Whether the read model lacks a movement (undefined: not read yet). */
  private unpublished: boolean | undefined;
  /** Writes waiting for the next group commit. */
  private readonly queuedWrites: QueuedWrite[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    this.statements = prepareStatements(this.db);
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  async setStock(scope: SkuScope, input: SetStockInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(scope, idempotency, (mutation): InventoryResult => {
      const current = this.stockAt(input.location);
      const safetyStock = input.safetyStock ?? current.safetyStock;
      this.db
        .insert(locationStock)
        .values({ location: input.location, onHand: input.onHand, safetyStock, reserved: 0 })
        .onConflictDoUpdate({ target: locationStock.location, set: { onHand: input.onHand, safetyStock } })
        .run();
      this.appendLedger(mutation, {
        type: "snapshot",
        location: input.location,
        onHandDelta: input.onHand - current.onHand,
        safetyStockDelta: safetyStock - current.safetyStock,
        reference: input.reference ?? null,
      });
      return { ok: true, inventory: this.inventoryView(scope.sku) };
    });
  }

  async adjust(scope: SkuScope, input: AdjustInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(scope, idempotency, (mutation): InventoryResult => {
      const current = this.stockAt(input.location);
      if (current.onHand + input.delta < 0) {
        return fail("negative_on_hand", `Adjusting by ${input.delta} would leave ${current.onHand + input.delta} on hand at ${input.location}`, { onHand: current.onHand });
      }
      this.db
        .insert(locationStock)
        .values({ location: input.location, onHand: current.onHand + input.delta, safetyStock: current.safetyStock, reserved: current.reserved })
        .onConflictDoUpdate({ target: locationStock.location, set: { onHand: current.onHand + input.delta } })
        .run();
      this.appendLedger(mutation, { type: "adjustment", location: input.location, onHandDelta: input.delta, reason: input.reason, reference: input.reference });
      return { ok: true, inventory: this.inventoryView(scope.sku) };
    });
  }

  /**
   * Records units written off at a location without moving any figure
   * (e.g. a damaged return that never re-entered onHand): a `write_off`
   * ledger entry with delta 0, reason "<reason>: <qty> units".
   */
  async writeOff(scope: SkuScope, input: WriteOffInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(scope, idempotency, (mutation): InventoryResult => {
      this.appendLedger(mutation, { type: "write_off", location: input.location, reason: `${input.reason}: ${input.qty} units`, reference: input.reference });
      return { ok: true, inventory: this.inventoryView(scope.sku) };
    });
  }

  async reserve(scope: SkuScope, input: ReserveInput, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult>> {
    return this.mutate(scope, idempotency, (mutation): ReservationResult => {
      const stocks = this.allStock();
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
      const row = {
        id: newId("res"),
        channel: input.channel,
        qty: input.qty,
        status: "active" as const,
        reference: input.reference,
        allocations,
        createdAt: mutation.now,
        expiresAt: mutation.now + input.ttlSeconds * 1000,
        closedAt: null,
      };
      this.statements.insertReservation.run(row);
      for (const allocation of allocations) {
        // Every allocated location has a row: it had units available.
        this.statements.addReserved.run(allocation);
        this.appendLedger(mutation, { type: "reservation", location: allocation.location, reservedDelta: allocation.qty, reference: input.reference, reservationId: row.id });
      }
      if (this.nextExpiry !== undefined && (this.nextExpiry === null || row.expiresAt < this.nextExpiry)) this.nextExpiry = row.expiresAt;
      return { ok: true, reservation: toReservation(scope.sku, row) };
    });
  }

  /**
   * Commits the reservation; with `qty` less than it holds, only that many
   * units (taken from its allocations in order) and the rest stays active.
   */
  async commit(scope: SkuScope, reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput, qty?: number): Promise<Idempotent<ReservationResult>> {
    return this.close(scope, reservationId, onlyChannel, "committed", idempotency, qty);
  }

  /** Releases the reservation; with `qty` less than it holds, only that many units, as for `commit`. */
  async release(scope: SkuScope, reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput, qty?: number): Promise<Idempotent<ReservationResult>> {
    return this.close(scope, reservationId, onlyChannel, "released", idempotency, qty);
  }

  /**
   * Applies a store's POS movements in order, each once for good: a key that
   * is already in the ledger (not only in the 24-hour idempotency records)
   * changes nothing, so a store may replay after any delay. Never refused:
   * the units already left the shop, so onHand may go below zero. A sale that
   * leaves reservations at the store uncovered reports them.
   */
  async applyStoreMovements(scope: SkuScope, movements: StoreMovement[]): Promise<StoreMovementsResult> {
    const { outcome } = await this.mutate(scope, undefined, (mutation): StoreMovementsResult => ({
      ok: true,
      outcomes: movements.map((movement) => this.applyStoreMovement(mutation, movement)),
    }));
    return outcome;
  }

  async getReservation(scope: SkuScope, reservationId: string, onlyChannel: string | null): Promise<ReservationResult> {
    this.expireDueNow(scope);
    const row = this.db.select().from(reservations).where(eq(reservations.id, reservationId)).get();
    if (!row || (onlyChannel !== null && row.channel !== onlyChannel)) {
      return fail("not_found", `No reservation ${reservationId} for SKU ${scope.sku}`);
    }
    return { ok: true, reservation: toReservation(scope.sku, row) };
  }

  async getInventory(scope: SkuScope): Promise<InventoryResult> {
    this.expireDueNow(scope);
    const inventory = this.inventoryView(scope.sku);
    // A SKU exists once something moved it; a refused first write leaves it unknown.
    if (inventory.version === 0) return fail("not_found", `No inventory recorded for SKU ${scope.sku}`);
    return { ok: true, inventory };
  }

  async getLedger(scope: SkuScope, after: number, limit: number): Promise<LedgerPage> {
    this.expireDueNow(scope);
    const rows = this.db.select().from(ledger).where(gt(ledger.seq, after)).orderBy(asc(ledger.seq)).limit(limit + 1).all();
    const { page, nextCursor } = seqPage(rows, limit);
    return { entries: page.map(toLedgerEntry), nextCursor };
  }

  override async alarm(): Promise<void> {
    this.scheduledAlarm = null;
    const meta = this.meta();
    if (!meta) return;
    const now = Date.now();
    const mutation: Mutation = { now, idempotencyKey: null, moved: false };
    this.transaction(() => {
      this.expireDue(mutation);
      const oldestKeyAt = this.oldestIdempotencyKeyAt();
      if (oldestKeyAt !== null && oldestKeyAt + idempotencyRetentionMs <= now) {
        pruneIdempotencyKeys(this.db, now);
        this.oldestKeyAt = undefined;
      }
    });
    await this.publishAvailability(meta);
    await this.scheduleAlarm(false);
  }

  /** Pushes the current per-location figures to the tenant's availability read model. */
  private async publishAvailability(meta: typeof skuMeta.$inferSelect): Promise<void> {
    const version = this.version();
    if (version <= meta.publishedVersion) {
      this.unpublished = false;
      return;
    }
    await this.env.AVAILABILITY_INDEX.getByName(meta.tenantId).publishSku(meta.tenantId, meta.sku, version, this.allStock());
    this.db.update(skuMeta).set({ publishedVersion: version }).where(and(eq(skuMeta.id, 1), lte(skuMeta.publishedVersion, version))).run();
    // Writes may have landed while the publish was in flight.
    this.unpublished = this.version() > version;
  }

  private async close(
    scope: SkuScope,
    reservationId: string,
    onlyChannel: string | null,
    status: "committed" | "released",
    idempotency?: IdempotencyInput,
    qty?: number,
  ): Promise<Idempotent<ReservationResult>> {
    return this.mutate(scope, idempotency, (mutation): ReservationResult => {
      const row = this.db.select().from(reservations).where(eq(reservations.id, reservationId)).get();
      if (!row || (onlyChannel !== null && row.channel !== onlyChannel)) {
        return fail("not_found", `No reservation ${reservationId} for SKU ${scope.sku}`);
      }
      if (row.status !== "active") {
        return fail("reservation_not_active", `Reservation ${reservationId} is ${row.status}`, { reservationStatus: row.status });
      }
      if (qty !== undefined && qty > row.qty) {
        return fail("conflict", `Reservation ${reservationId} holds ${row.qty} units, not ${qty}`, { held: row.qty });
      }
      if (qty !== undefined && qty < row.qty) {
        return { ok: true, reservation: toReservation(scope.sku, this.closePart(mutation, row, status, qty)) };
      }
      this.closeReservation(mutation, row, status);
      return { ok: true, reservation: toReservation(scope.sku, { ...row, status, closedAt: mutation.now }) };
    });
  }

  private applyStoreMovement(mutation: Mutation, movement: StoreMovement): StoreMovementOutcome {
    const done = this.statements.posEntry.get({ key: movement.key });
    let after: StockFigures | null = null;
    if (!done) {
      const onHandDelta = movement.type === "pos_sale" ? -movement.qty : movement.qty;
      const current = this.stockAt(movement.location);
      after = { ...current, onHand: current.onHand + onHandDelta };
      this.db
        .insert(locationStock)
        .values(after)
        .onConflictDoUpdate({ target: locationStock.location, set: { onHand: after.onHand } })
        .run();
      // The ledger row carries the movement's key: it is the "applied for good" record.
      mutation.idempotencyKey = movement.key;
      this.appendLedger(mutation, { type: movement.type, location: movement.location, onHandDelta, reason: movement.reason, reference: movement.reference });
    }
    if (movement.type !== "pos_sale") return { key: movement.key, applied: !done, short: null };
    return { key: movement.key, applied: !done, short: this.shortageAt(after ?? this.stockAt(movement.location)) };
  }

  /** `stock`: the location's figures as they stand now. */
  private shortageAt(stock: StockFigures): Shortage | null {
    // Most sales leave every reservation covered: skip the reservations query.
    if (!leavesReservationsShort(stock)) return null;
    return shortReservations(stock, this.db.select().from(reservations).where(eq(reservations.status, "active")).all());
  }

  private closeReservation(mutation: Mutation, row: typeof reservations.$inferSelect, status: "committed" | "released" | "expired"): void {
    this.db.update(reservations).set({ status, closedAt: mutation.now }).where(eq(reservations.id, row.id)).run();
    const type: LedgerEntryType = status === "committed" ? "commit" : status === "released" ? "release" : "expiry";
    for (const allocation of row.allocations) {
      // A commit turns the promise into a stock decrease at the same location.
      const onHandDelta = status === "committed" ? -allocation.qty : 0;
      this.db
        .update(locationStock)
        .set({ reserved: sql`${locationStock.reserved} - ${allocation.qty}`, onHand: sql`${locationStock.onHand} + ${onHandDelta}` })
        .where(eq(locationStock.location, allocation.location))
        .run();
      this.appendLedger(mutation, { type, location: allocation.location, onHandDelta, reservedDelta: -allocation.qty, reference: row.reference, reservationId: row.id });
    }
  }

  /** Commits or releases `qty` of an active reservation's units, from its allocations in order; it stays active with the rest. */
  private closePart(mutation: Mutation, row: typeof reservations.$inferSelect, status: "committed" | "released", qty: number): typeof reservations.$inferSelect {
    const type: LedgerEntryType = status === "committed" ? "commit" : "release";
    const left: { location: string; qty: number }[] = [];
    let remaining = qty;
    for (const allocation of row.allocations) {
      const take = Math.min(allocation.qty, remaining);
      remaining -= take;
      if (allocation.qty > take) left.push({ location: allocation.location, qty: allocation.qty - take });
      if (take === 0) continue;
      const onHandDelta = status === "committed" ? -take : 0;
      this.db
        .update(locationStock)
        .set({ reserved: sql`${locationStock.reserved} - ${take}`, onHand: sql`${locationStock.onHand} + ${onHandDelta}` })
        .where(eq(locationStock.location, allocation.location))
        .run();
      this.appendLedger(mutation, { type, location: allocation.location, onHandDelta, reservedDelta: -take, reference: row.reference, reservationId: row.id });
    }
    const updated = { ...row, qty: row.qty - qty, allocations: left };
    this.db.update(reservations).set({ qty: updated.qty, allocations: left }).where(eq(reservations.id, row.id)).run();
    return updated;
  }

  /**
   * Queues one write for the next group commit and resolves with its answer.
   * Writes that arrive while a commit is pending share it: each is still
   * decided in arrival order against the state its predecessors left, but
   * the durable commit (the expensive part) is paid once per group.
   */
  private mutate<T extends Result<object>>(scope: SkuScope, idempotency: IdempotencyInput | undefined, effect: (mutation: Mutation) => T): Promise<Idempotent<T>> {
    return new Promise((resolve, reject) => {
      this.queuedWrites.push({ scope, idempotency, effect, resolve: resolve as (value: Idempotent<Result<object>>) => void, reject });
      // A macrotask, so that writes delivered meanwhile join this group.
      if (this.queuedWrites.length === 1) setTimeout(() => void this.commitQueuedWrites(), 0);
    });
  }

  private async commitQueuedWrites(): Promise<void> {
    const group = this.queuedWrites.splice(0);
    let moved = false;
    const apply = (write: QueuedWrite) => {
      const mutation: Mutation = { now: Date.now(), idempotencyKey: write.idempotency?.key ?? null, moved: false };
      this.claimIdentity(write.scope);
      this.expireDue(mutation);
      const result = runIdempotent(this.db, write.idempotency, mutation.now, () => write.effect(mutation));
      // A new record is never older than one already kept; with none kept, it is now the oldest.
      if (write.idempotency && this.oldestKeyAt === null) this.oldestKeyAt = mutation.now;
      moved ||= mutation.moved;
      return result;
    };
    try {
      const results = this.transaction(() => group.map(apply));
      group.forEach((write, i) => write.resolve(results[i]!));
    } catch {
      // A fault in one write must not fail the others: one transaction each.
      for (const write of group) {
        try {
          write.resolve(this.transaction(() => apply(write)));
        } catch (error) {
          write.reject(error);
        }
      }
    }
    await this.scheduleAlarm(moved);
  }

  /** A SQLite transaction; if it fails, what this object remembers in memory is read again. */
  private transaction<T>(run: () => T): T {
    try {
      return this.ctx.storage.transactionSync(run);
    } catch (error) {
      this.identity = undefined;
      this.nextExpiry = undefined;
      this.unpublished = undefined;
      this.oldestKeyAt = undefined;
      throw error;
    }
  }

  /** Records the object's tenant and SKU on first use, and refuses any other. */
  private claimIdentity(scope: SkuScope): void {
    if (!this.identity) {
      const meta = this.meta();
      if (!meta) this.db.insert(skuMeta).values({ id: 1, tenantId: scope.tenantId, sku: scope.sku, publishedVersion: 0 }).run();
      this.identity = meta ? { tenantId: meta.tenantId, sku: meta.sku } : scope;
    }
    this.checkIdentity(scope);
  }

  private checkIdentity(scope: SkuScope): void {
    const { tenantId, sku } = this.identity!;
    if (tenantId !== scope.tenantId || sku !== scope.sku) {
      throw new Error(`SKU object of ${tenantId}/${sku} addressed as ${scope.tenantId}/${scope.sku}`);
    }
  }

  private expireDueNow(scope: SkuScope): void {
    if (!this.identity) {
      const meta = this.meta();
      if (!meta) return;
      this.identity = { tenantId: meta.tenantId, sku: meta.sku };
    }
    this.checkIdentity(scope);
    if (this.earliestExpiry() > Date.now()) return;
    const mutation: Mutation = { now: Date.now(), idempotencyKey: null, moved: false };
    this.transaction(() => this.expireDue(mutation));
  }

  /** Expires every active reservation whose TTL has passed; its units come back. */
  private expireDue(mutation: Mutation): void {
    if (this.earliestExpiry() > mutation.now) return;
    const due = this.db
      .select()
      .from(reservations)
      .where(and(eq(reservations.status, "active"), lte(reservations.expiresAt, mutation.now)))
      .all();
    for (const row of due) this.closeReservation(mutation, row, "expired");
    this.nextExpiry = undefined;
  }

  private earliestExpiry(): number {
    if (this.nextExpiry === undefined) {
      this.nextExpiry = this.db.select({ at: min(reservations.expiresAt) }).from(reservations).where(eq(reservations.status, "active")).get()?.at ?? null;
    }
    return this.nextExpiry ?? Number.POSITIVE_INFINITY;
  }

  /**
   * One alarm serves three purposes: publishing to the read model (coalesced:
   * at most one publish per delay), expiring reservations, pruning old
   * idempotency records. It is set to the earliest of them.
   */
  private async scheduleAlarm(moved: boolean): Promise<void> {
    if (moved) this.unpublished = true;
    if (this.unpublished === undefined) {
      const meta = this.meta();
      if (!meta) return;
      this.unpublished = this.version() > meta.publishedVersion;
    }
    const publishAt = Date.now() + Number(this.env.AVAILABILITY_PUBLISH_DELAY_MS);
    // Under load an alarm is almost always already due soon enough: skip the queries.
    if (this.unpublished && this.scheduledAlarm != null && this.scheduledAlarm <= publishAt) return;
    const candidates: number[] = [];
    if (this.unpublished) candidates.push(publishAt);
    const nextExpiry = this.earliestExpiry();
    if (Number.isFinite(nextExpiry)) candidates.push(nextExpiry);
    const oldestKey = this.oldestIdempotencyKeyAt();
    if (oldestKey !== null) candidates.push(oldestKey + idempotencyRetentionMs);
    if (candidates.length === 0) return;
    const wanted = Math.min(...candidates);
    if (this.scheduledAlarm === undefined) this.scheduledAlarm = await this.ctx.storage.getAlarm();
    if (this.scheduledAlarm === null || this.scheduledAlarm > wanted) {
      await this.ctx.storage.setAlarm(wanted);
      this.scheduledAlarm = wanted;
    }
  }

  private oldestIdempotencyKeyAt(): number | null {
    if (this.oldestKeyAt === undefined) this.oldestKeyAt = oldestIdempotencyKey(this.db);
    return this.oldestKeyAt;
  }

  private meta() {
    return this.db.select().from(skuMeta).where(eq(skuMeta.id, 1)).get();
  }

  /** The SKU's version: the sequence number of its latest ledger entry, 0 before any. */
  private version(): number {
    return this.db.select({ seq: max(ledger.seq) }).from(ledger).get()?.seq ?? 0;
  }

  private stockAt(location: string): StockFigures {
    return this.statements.stockAt.get({ location }) ?? { location, onHand: 0, safetyStock: 0, reserved: 0 };
  }

  private allStock(): StockFigures[] {
    return this.statements.allStock.all();
  }

  private appendLedger(mutation: Mutation, entry: LedgerDraft): void {
    const row: typeof ledger.$inferInsert = {
      type: entry.type,
      location: entry.location,
      onHandDelta: entry.onHandDelta ?? 0,
      reservedDelta: entry.reservedDelta ?? 0,
      safetyStockDelta: entry.safetyStockDelta ?? 0,
      reason: entry.reason ?? null,
      reference: entry.reference ?? null,
      reservationId: entry.reservationId ?? null,
      idempotencyKey: mutation.idempotencyKey,
      at: mutation.now,
    };
    this.statements.insertLedger.run(row);
    mutation.moved = true;
  }

  private inventoryView(sku: string): SkuInventoryView {
    const locations = this.allStock().map((stock) => ({ ...stock, available: locationAvailable(stock) }));
    const sum = (pick: (s: (typeof locations)[number]) => number) => locations.reduce((total, s) => total + pick(s), 0);
    return {
      sku,
      version: this.version(),
      locations,
      totals: { onHand: sum((s) => s.onHand), safetyStock: sum((s) => s.safetyStock), reserved: sum((s) => s.reserved), available: sum((s) => s.available) },
    };
  }
}

/** The statements of the hot paths (reservations, POS movements), built once: drizzle query building costs more than SQLite runs them. */
function prepareStatements(db: DrizzleSqliteDODatabase<typeof schema>) {
  return {
    posEntry: db.select({ seq: ledger.seq }).from(ledger).where(and(eq(ledger.idempotencyKey, sql.placeholder("key")), isPosEntry)).prepare(),
    stockAt: db.select().from(locationStock).where(eq(locationStock.location, sql.placeholder("location"))).prepare(),
    allStock: db.select().from(locationStock).orderBy(asc(locationStock.location)).prepare(),
    insertReservation: db
      .insert(reservations)
      .values({ id: sql.placeholder("id"), channel: sql.placeholder("channel"), qty: sql.placeholder("qty"), status: sql.placeholder("status"), reference: sql.placeholder("reference"), allocations: sql.placeholder("allocations"), createdAt: sql.placeholder("createdAt"), expiresAt: sql.placeholder("expiresAt"), closedAt: sql.placeholder("closedAt") })
      .prepare(),
    addReserved: db
      .update(locationStock)
      .set({ reserved: sql`${locationStock.reserved} + ${sql.placeholder("qty")}` })
      .where(eq(locationStock.location, sql.placeholder("location")))
      .prepare(),
    insertLedger: db
      .insert(ledger)
      .values({ type: sql.placeholder("type"), location: sql.placeholder("location"), onHandDelta: sql.placeholder("onHandDelta"), reservedDelta: sql.placeholder("reservedDelta"), safetyStockDelta: sql.placeholder("safetyStockDelta"), reason: sql.placeholder("reason"), reference: sql.placeholder("reference"), reservationId: sql.placeholder("reservationId"), idempotencyKey: sql.placeholder("idempotencyKey"), at: sql.placeholder("at") })
      .prepare(),
  };
}

function toReservation(sku: string, row: typeof reservations.$inferSelect): Reservation {
  return {
    id: row.id,
    sku,
    channel: row.channel,
    qty: row.qty,
    status: row.status,
    allocations: row.allocations,
    reference: row.reference,
    createdAt: new Date(row.createdAt).toISOString(),
    expiresAt: new Date(row.expiresAt).toISOString(),
    closedAt: row.closedAt === null ? null : new Date(row.closedAt).toISOString(),
  };
}

function insufficient(requested: number, available: number, location?: string) {
  const where = location ? ` at ${location}` : "";
  return fail("insufficient_stock", `Requested ${requested}, ${available} available${where}`, { requested, available });
}

function toLedgerEntry(row: typeof ledger.$inferSelect): LedgerEntry {
  return {
    seq: row.seq,
    type: row.type,
    location: row.location,
    delta: row.onHandDelta,
    reservedDelta: row.reservedDelta,
    safetyStockDelta: row.safetyStockDelta,
    reason: row.reason,
    reference: row.reference,
    reservationId: row.reservationId,
    idempotencyKey: row.idempotencyKey,
    at: new Date(row.at).toISOString(),
  };
}
