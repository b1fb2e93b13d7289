import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, gt, lte, min } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import { allocateFromPool, channelAvailable, locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { LedgerEntry, LedgerEntryType, LedgerPage, Reservation, SkuInventory as SkuInventoryView } from "../shared/schemas/inventory.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { oldestIdempotencyKey, pruneIdempotencyKeys, idempotencyRetentionMs, runIdempotent, type Idempotent, type IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/sku-inventory/migrations.js";
import * as schema from "./schema/sku-inventory.ts";

const { skuMeta, locationStock, reservations, reservationAllocations, ledger } = schema;

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
  private scheduledAlarm: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  async setStock(scope: SkuScope, input: SetStockInput, idempotency?: IdempotencyInput): Promise<Idempotent<InventoryResult>> {
    return this.mutate(scope, idempotency, (now, key): InventoryResult => {
      const current = this.stockAt(input.location);
      const safetyStock = input.safetyStock ?? current.safetyStock;
      this.db
        .insert(locationStock)
        .values({ location: input.location, onHand: input.onHand, safetyStock, reserved: 0 })
        .onConflictDoUpdate({ target: locationStock.location, set: { onHand: input.onHand, safetyStock } })
        .run();
      this.appendLedger(now, key, {
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
    return this.mutate(scope, idempotency, (now, key): InventoryResult => {
      const current = this.stockAt(input.location);
      if (current.onHand + input.delta < 0) {
        return fail("negative_on_hand", `Adjusting by ${input.delta} would leave ${current.onHand + input.delta} on hand at ${input.location}`, { onHand: current.onHand });
      }
      this.db
        .insert(locationStock)
        .values({ location: input.location, onHand: current.onHand + input.delta, safetyStock: current.safetyStock, reserved: current.reserved })
        .onConflictDoUpdate({ target: locationStock.location, set: { onHand: current.onHand + input.delta } })
        .run();
      this.appendLedger(now, key, { type: "adjustment", location: input.location, onHandDelta: input.delta, reason: input.reason, reference: input.reference });
      return { ok: true, inventory: this.inventoryView(scope.sku) };
    });
  }

  async reserve(scope: SkuScope, input: ReserveInput, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult>> {
    return this.mutate(scope, idempotency, (now, key): ReservationResult => {
      const stocks = this.allStock();
      const channelMay = channelAvailable(input.rules, stocks);
      let allocations: { location: string; qty: number }[];
      if (input.location !== undefined) {
        if (!input.rules.locations.includes(input.location)) {
          return fail("location_not_in_channel", `Location ${input.location} is not in the pool of channel ${input.channel}`);
        }
        const available = Math.min(channelMay, locationAvailable(this.stockAt(input.location)));
        if (input.qty > available) return insufficient(input.qty, available, input.location);
        allocations = [{ location: input.location, qty: input.qty }];
      } else {
        if (input.qty > channelMay) return insufficient(input.qty, channelMay);
        allocations = allocateFromPool(input.rules, stocks, input.qty);
      }
      const id = newId("res");
      this.db
        .insert(reservations)
        .values({ id, channel: input.channel, qty: input.qty, status: "active", reference: input.reference, createdAt: now, expiresAt: now + input.ttlSeconds * 1000 })
        .run();
      for (const [position, allocation] of allocations.entries()) {
        this.db.insert(reservationAllocations).values({ reservationId: id, position, ...allocation }).run();
        this.changeReserved(allocation.location, allocation.qty);
        this.appendLedger(now, key, { type: "reservation", location: allocation.location, reservedDelta: allocation.qty, reference: input.reference, reservationId: id });
      }
      return { ok: true, reservation: this.reservationView(scope.sku, id)! };
    });
  }

  async commit(scope: SkuScope, reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult>> {
    return this.close(scope, reservationId, onlyChannel, "committed", idempotency);
  }

  async release(scope: SkuScope, reservationId: string, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<Idempotent<ReservationResult>> {
    return this.close(scope, reservationId, onlyChannel, "released", idempotency);
  }

  async getReservation(scope: SkuScope, reservationId: string, onlyChannel: string | null): Promise<ReservationResult> {
    this.expireDueNow(scope);
    const reservation = this.reservationView(scope.sku, reservationId);
    if (!reservation || (onlyChannel !== null && reservation.channel !== onlyChannel)) {
      return fail("not_found", `No reservation ${reservationId} for SKU ${scope.sku}`);
    }
    return { ok: true, reservation };
  }

  async getInventory(scope: SkuScope): Promise<InventoryResult> {
    this.expireDueNow(scope);
    // A SKU exists once something moved it; a refused first write leaves it unknown.
    if ((this.meta()?.version ?? 0) === 0) return fail("not_found", `No inventory recorded for SKU ${scope.sku}`);
    return { ok: true, inventory: this.inventoryView(scope.sku) };
  }

  async getLedger(scope: SkuScope, after: number, limit: number): Promise<LedgerPage> {
    this.expireDueNow(scope);
    const rows = this.db.select().from(ledger).where(gt(ledger.seq, after)).orderBy(asc(ledger.seq)).limit(limit + 1).all();
    const page = rows.slice(0, limit);
    return {
      entries: page.map(toLedgerEntry),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  override async alarm(): Promise<void> {
    this.scheduledAlarm = null;
    const meta = this.meta();
    if (!meta) return;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.expireDue(now);
      pruneIdempotencyKeys(this.db, now);
    });
    await this.publishAvailability();
    await this.scheduleAlarm();
  }

  /** Pushes the current per-location figures to the tenant's availability read model. */
  private async publishAvailability(): Promise<void> {
    const meta = this.meta();
    if (!meta || meta.publishedVersion >= meta.version) return;
    const figures = this.allStock();
    await this.env.AVAILABILITY_INDEX.getByName(meta.tenantId).publishSku(meta.sku, meta.version, figures);
    this.db.update(skuMeta).set({ publishedVersion: meta.version }).where(and(eq(skuMeta.id, 1), lte(skuMeta.publishedVersion, meta.version))).run();
  }

  private async close(
    scope: SkuScope,
    reservationId: string,
    onlyChannel: string | null,
    status: "committed" | "released",
    idempotency?: IdempotencyInput,
  ): Promise<Idempotent<ReservationResult>> {
    return this.mutate(scope, idempotency, (now, key): ReservationResult => {
      const reservation = this.db.select().from(reservations).where(eq(reservations.id, reservationId)).get();
      if (!reservation || (onlyChannel !== null && reservation.channel !== onlyChannel)) {
        return fail("not_found", `No reservation ${reservationId} for SKU ${scope.sku}`);
      }
      if (reservation.status !== "active") {
        return fail("reservation_not_active", `Reservation ${reservationId} is ${reservation.status}`, { status: reservation.status });
      }
      this.closeReservation(now, key, reservationId, status);
      return { ok: true, reservation: this.reservationView(scope.sku, reservationId)! };
    });
  }

  private closeReservation(now: number, key: string | null, reservationId: string, status: "committed" | "released" | "expired"): void {
    const reservation = this.db.select().from(reservations).where(eq(reservations.id, reservationId)).get()!;
    this.db.update(reservations).set({ status, closedAt: now }).where(eq(reservations.id, reservationId)).run();
    const allocations = this.db.select().from(reservationAllocations).where(eq(reservationAllocations.reservationId, reservationId)).all();
    const type: LedgerEntryType = status === "committed" ? "commit" : status === "released" ? "release" : "expiry";
    for (const allocation of allocations) {
      this.changeReserved(allocation.location, -allocation.qty);
      // A commit turns the promise into a stock decrease at the same location.
      if (status === "committed") {
        this.db.update(locationStock).set({ onHand: this.stockAt(allocation.location).onHand - allocation.qty }).where(eq(locationStock.location, allocation.location)).run();
      }
      this.appendLedger(now, key, {
        type,
        location: allocation.location,
        onHandDelta: status === "committed" ? -allocation.qty : 0,
        reservedDelta: -allocation.qty,
        reference: reservation.reference,
        reservationId,
      });
    }
  }

  /**
   * Runs one write: identity check, due expiries, the idempotency record and
   * the effect in one transaction; then makes sure an alarm will publish it.
   */
  private async mutate<T extends Result<object>>(
    scope: SkuScope,
    idempotency: IdempotencyInput | undefined,
    effect: (now: number, idempotencyKey: string | null) => T,
  ): Promise<Idempotent<T>> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync(() => {
      this.claimIdentity(scope);
      this.expireDue(now);
      return runIdempotent(this.db, idempotency, now, () => effect(now, idempotency?.key ?? null));
    });
    await this.scheduleAlarm();
    return result;
  }

  private claimIdentity(scope: SkuScope): void {
    const meta = this.meta();
    if (!meta) {
      this.db.insert(skuMeta).values({ id: 1, tenantId: scope.tenantId, sku: scope.sku, version: 0, publishedVersion: 0 }).run();
    } else if (meta.tenantId !== scope.tenantId || meta.sku !== scope.sku) {
      throw new Error(`SKU object of ${meta.tenantId}/${meta.sku} addressed as ${scope.tenantId}/${scope.sku}`);
    }
  }

  private expireDueNow(scope: SkuScope): void {
    const meta = this.meta();
    if (!meta) return;
    if (meta.tenantId !== scope.tenantId || meta.sku !== scope.sku) {
      throw new Error(`SKU object of ${meta.tenantId}/${meta.sku} addressed as ${scope.tenantId}/${scope.sku}`);
    }
    const now = Date.now();
    const due = this.db.select({ id: reservations.id }).from(reservations).where(and(eq(reservations.status, "active"), lte(reservations.expiresAt, now))).limit(1).get();
    if (due) this.ctx.storage.transactionSync(() => this.expireDue(now));
  }

  /** Expires every active reservation whose TTL has passed; its units come back. */
  private expireDue(now: number): void {
    const due = this.db
      .select({ id: reservations.id })
      .from(reservations)
      .where(and(eq(reservations.status, "active"), lte(reservations.expiresAt, now)))
      .all();
    for (const { id } of due) this.closeReservation(now, null, id, "expired");
  }

  /**
   * One alarm serves three purposes: publishing to the read model (coalesced:
   * at most one publish per delay), expiring reservations, pruning old
   * idempotency records. It is set to the earliest of them.
   */
  private async scheduleAlarm(): Promise<void> {
    const meta = this.meta();
    if (!meta) return;
    const now = Date.now();
    const publishAt = now + Number(this.env.AVAILABILITY_PUBLISH_DELAY_MS);
    const dirty = meta.version > meta.publishedVersion;
    // Under load an alarm is almost always already due soon enough: skip the queries.
    if (dirty && this.scheduledAlarm != null && this.scheduledAlarm <= publishAt) return;
    const candidates: number[] = [];
    if (dirty) candidates.push(publishAt);
    const nextExpiry = this.db.select({ at: min(reservations.expiresAt) }).from(reservations).where(eq(reservations.status, "active")).get()?.at;
    if (nextExpiry != null) candidates.push(nextExpiry);
    const oldestKey = oldestIdempotencyKey(this.db);
    if (oldestKey !== null) candidates.push(oldestKey + idempotencyRetentionMs);
    if (candidates.length === 0) return;
    const wanted = Math.min(...candidates);
    if (this.scheduledAlarm === undefined) this.scheduledAlarm = await this.ctx.storage.getAlarm();
    if (this.scheduledAlarm === null || this.scheduledAlarm > wanted) {
      await this.ctx.storage.setAlarm(wanted);
      this.scheduledAlarm = wanted;
    }
  }

  private meta() {
    return this.db.select().from(skuMeta).where(eq(skuMeta.id, 1)).get();
  }

  private stockAt(location: string): StockFigures {
    return this.db.select().from(locationStock).where(eq(locationStock.location, location)).get() ?? { location, onHand: 0, safetyStock: 0, reserved: 0 };
  }

  private allStock(): StockFigures[] {
    return this.db.select().from(locationStock).orderBy(asc(locationStock.location)).all();
  }

  private changeReserved(location: string, delta: number): void {
    const current = this.stockAt(location);
    this.db
      .insert(locationStock)
      .values({ location, onHand: 0, safetyStock: 0, reserved: delta })
      .onConflictDoUpdate({ target: locationStock.location, set: { reserved: current.reserved + delta } })
      .run();
  }

  private appendLedger(now: number, idempotencyKey: string | null, entry: LedgerDraft): void {
    this.db
      .insert(ledger)
      .values({
        type: entry.type,
        location: entry.location,
        onHandDelta: entry.onHandDelta ?? 0,
        reservedDelta: entry.reservedDelta ?? 0,
        safetyStockDelta: entry.safetyStockDelta ?? 0,
        reason: entry.reason ?? null,
        reference: entry.reference ?? null,
        reservationId: entry.reservationId ?? null,
        idempotencyKey,
        at: now,
      })
      .run();
    const meta = this.meta()!;
    this.db.update(skuMeta).set({ version: meta.version + 1 }).where(eq(skuMeta.id, 1)).run();
  }

  private inventoryView(sku: string): SkuInventoryView {
    const stocks = this.allStock();
    const locations = stocks.map((stock) => ({ ...stock, available: locationAvailable(stock) }));
    const sum = (pick: (s: (typeof locations)[number]) => number) => locations.reduce((total, s) => total + pick(s), 0);
    return {
      sku,
      version: this.meta()?.version ?? 0,
      locations,
      totals: { onHand: sum((s) => s.onHand), safetyStock: sum((s) => s.safetyStock), reserved: sum((s) => s.reserved), available: sum((s) => s.available) },
    };
  }

  private reservationView(sku: string, id: string): Reservation | null {
    const row = this.db.select().from(reservations).where(eq(reservations.id, id)).get();
    if (!row) return null;
    const allocations = this.db
      .select({ location: reservationAllocations.location, qty: reservationAllocations.qty })
      .from(reservationAllocations)
      .where(eq(reservationAllocations.reservationId, id))
      .orderBy(asc(reservationAllocations.position))
      .all();
    return {
      id: row.id,
      sku,
      channel: row.channel,
      qty: row.qty,
      status: row.status,
      allocations,
      reference: row.reference,
      createdAt: new Date(row.createdAt).toISOString(),
      expiresAt: new Date(row.expiresAt).toISOString(),
      closedAt: row.closedAt === null ? null : new Date(row.closedAt).toISOString(),
    };
  }
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
