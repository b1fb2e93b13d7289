import { and, asc, eq, getTableColumns, gt, lte, max, min, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { InventoryView, LedgerEntry, LedgerEntryType, Reservation } from "../shared/schemas/inventory.ts";
import * as schema from "./schema/sku-inventory.ts";

const { skuMeta, locationStock, reservations, ledger, isPosEntry, locationCounts, locationLeases } = schema;

export type ReservationRow = typeof reservations.$inferSelect;
export type SkuMeta = typeof skuMeta.$inferSelect;
export type CloseStatus = "committed" | "released" | "expired";
export type CountMark = typeof locationCounts.$inferSelect;
export type LeaseRow = typeof locationLeases.$inferSelect;

/** What one write knows while it runs inside its transaction. */
export interface Mutation {
  now: number;
  idempotencyKey: string | null;
  /** The trace of the change, written on its ledger entries (null: untraced). */
  traceId: string | null;
  /** Whether it appended to the ledger, so the read model must hear of it. */
  moved: boolean;
}

export interface LedgerDraft {
  type: LedgerEntryType;
  location: string;
  onHandDelta?: number;
  reservedDelta?: number;
  safetyStockDelta?: number;
  leasedDelta?: number;
  reason?: string | null;
  reference?: string | null;
  reservationId?: string | null;
  /** When it happened, if not when it is recorded. */
  occurredAt?: number | null;
}

const closingEntry: Record<CloseStatus, LedgerEntryType> = { committed: "commit", released: "release", expired: "expiry" };

/**
 * The stored state of one SKU object: per-location figures, reservations and
 * the append-only ledger. Every change of a figure goes through here with its
 * ledger entry, so the ledger always explains the figures.
 *
 * Invariant: a location's `reserved` equals the sum of the active
 * reservations' allocations there; it only changes through reservations.
 */
export class SkuState {
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(private readonly db: DrizzleSqliteDODatabase<typeof schema>) {
    this.statements = prepareStatements(db);
  }

  meta(): SkuMeta | undefined {
    return this.db.select().from(skuMeta).where(eq(skuMeta.id, 1)).get();
  }

  createMeta(tenantId: string, sku: string): void {
    this.db.insert(skuMeta).values({ id: 1, tenantId, sku, publishedVersion: 0 }).run();
  }

  markPublished(version: number): void {
    this.db.update(skuMeta).set({ publishedVersion: version }).where(and(eq(skuMeta.id, 1), lte(skuMeta.publishedVersion, version))).run();
  }

  /** Counts a change in a flash sale's shards: the read model must be published again. */
  countShardMove(): void {
    this.db.update(skuMeta).set({ shardMoves: sql`${skuMeta.shardMoves} + 1` }).where(eq(skuMeta.id, 1)).run();
  }

  /**
   * The version the read model is published at: the SKU's version plus the
   * shard changes counted, so that it grows with either (no flash sale: the
   * SKU's version).
   */
  publishVersion(): number {
    return this.version() + (this.meta()?.shardMoves ?? 0);
  }

  /** The SKU's version: the sequence number of its latest ledger entry, 0 before any. */
  version(): number {
    return this.db.select({ seq: max(ledger.seq) }).from(ledger).get()?.seq ?? 0;
  }

  stockAt(location: string): StockFigures {
    return this.statements.stockAt.get({ location }) ?? { location, onHand: 0, safetyStock: 0, reserved: 0, leased: 0 };
  }

  allStock(): StockFigures[] {
    return this.statements.allStock.all();
  }

  /** Sets a location's onHand and safetyStock (creating its row) with the entry that explains it; `reserved` is only changed by reservations. */
  putStock(stock: StockFigures, draft: Omit<LedgerDraft, "location">, mutation: Mutation): void {
    this.db
      .insert(locationStock)
      .values(stock)
      .onConflictDoUpdate({ target: locationStock.location, set: { onHand: stock.onHand, safetyStock: stock.safetyStock } })
      .run();
    this.appendLedger(mutation, { ...draft, location: stock.location });
  }

  lease(location: string): LeaseRow | undefined {
    return this.statements.leaseAt.get({ location });
  }

  allLeases(): LeaseRow[] {
    return this.db.select().from(locationLeases).orderBy(asc(locationLeases.location)).all();
  }

  putLease(row: LeaseRow): void {
    this.db.insert(locationLeases).values(row).onConflictDoUpdate({ target: locationLeases.location, set: row }).run();
  }

  deleteLease(location: string): void {
    this.db.delete(locationLeases).where(eq(locationLeases.location, location)).run();
  }

  /** Sets the units a store's lease holds at its location (creating its row), with a `lease` entry; nothing when they are unchanged. */
  putLeased(location: string, leased: number, reason: string, mutation: Mutation): void {
    const current = this.stockAt(location);
    if ((current.leased ?? 0) === leased) return;
    this.db
      .insert(locationStock)
      .values({ ...current, leased })
      .onConflictDoUpdate({ target: locationStock.location, set: { leased } })
      .run();
    this.appendLedger(mutation, { type: "lease", location, leasedDelta: leased - (current.leased ?? 0), reason });
  }

  /**
   * Units the store sold at the location (POS sales, by when they happened
   * at the till) since `since`, and when the first of them happened.
   */
  salesSince(location: string, since: number): { units: number; first: number | null } {
    const row = this.db
      .select({ units: sql<number | null>`-sum(${ledger.onHandDelta})`, first: sql<number | null>`min(coalesce(${ledger.occurredAt}, ${ledger.at}))` })
      .from(ledger)
      .where(and(eq(ledger.location, location), eq(ledger.type, "pos_sale"), sql`coalesce(${ledger.occurredAt}, ${ledger.at}) >= ${since}`))
      .get();
    return { units: row?.units ?? 0, first: row?.first ?? null };
  }

  /** Whether a POS movement's key already moved stock: the ledger keeps them for good. */
  hasPosEntry(key: string): boolean {
    return this.statements.posEntry.get({ key }) !== undefined;
  }

  /** The latest stock count applied at the location, if any. */
  countAt(location: string): CountMark | undefined {
    return this.statements.countAt.get({ location });
  }

  putCount(mark: CountMark): void {
    this.db.insert(locationCounts).values(mark).onConflictDoUpdate({ target: locationCounts.location, set: { asOf: mark.asOf, key: mark.key } }).run();
  }

  /**
   * The units that movements which happened after `asOf` moved at the
   * location (when they happened: `occurred_at`, else when recorded), less
   * snapshots, which set figures rather than move them.
   */
  onHandMovedAfter(location: string, asOf: number): number {
    const row = this.db
      .select({ moved: sql<number | null>`sum(${ledger.onHandDelta})` })
      .from(ledger)
      .where(and(eq(ledger.location, location), sql`${ledger.type} <> 'snapshot'`, sql`coalesce(${ledger.occurredAt}, ${ledger.at}) > ${asOf}`))
      .get();
    return row?.moved ?? 0;
  }

  reservation(id: string): ReservationRow | undefined {
    return this.db.select().from(reservations).where(eq(reservations.id, id)).get();
  }

  /** Reservations of `status` taken after the one whose rowid is `after`, in the order they were taken, each with its rowid (the cursor). */
  reservationsAfter(status: ReservationRow["status"], after: number, limit: number): (ReservationRow & { seq: number })[] {
    return this.db
      .select({ ...getTableColumns(reservations), seq: sql<number>`rowid` })
      .from(reservations)
      .where(and(eq(reservations.status, status), sql`rowid > ${after}`))
      .orderBy(sql`rowid`)
      .limit(limit)
      .all();
  }

  activeReservations(): ReservationRow[] {
    return this.db.select().from(reservations).where(eq(reservations.status, "active")).all();
  }

  /** Records a new reservation and holds its allocations; every allocated location has a row, since it had units available. */
  insertReservation(row: ReservationRow, mutation: Mutation): void {
    this.statements.insertReservation.run(row);
    for (const allocation of row.allocations) {
      this.statements.addReserved.run(allocation);
      this.appendLedger(mutation, { type: "reservation", location: allocation.location, reservedDelta: allocation.qty, reference: row.reference, reservationId: row.id });
    }
  }

  /** Closes the whole reservation; a commit turns its promise into a stock decrease at the same locations. */
  closeReservation(row: ReservationRow, status: CloseStatus, mutation: Mutation): ReservationRow {
    this.db.update(reservations).set({ status, closedAt: mutation.now }).where(eq(reservations.id, row.id)).run();
    for (const allocation of row.allocations) this.unreserve(row, allocation.location, allocation.qty, status, mutation);
    return { ...row, status, closedAt: mutation.now };
  }

  /** Commits or releases `qty` of an active reservation's units, from its allocations in order; it stays active with the rest. */
  closePart(row: ReservationRow, status: "committed" | "released", qty: number, mutation: Mutation): ReservationRow {
    const left: { location: string; qty: number }[] = [];
    let remaining = qty;
    for (const allocation of row.allocations) {
      const take = Math.min(allocation.qty, remaining);
      remaining -= take;
      if (allocation.qty > take) left.push({ location: allocation.location, qty: allocation.qty - take });
      if (take > 0) this.unreserve(row, allocation.location, take, status, mutation);
    }
    const updated = { ...row, qty: row.qty - qty, allocations: left };
    this.db.update(reservations).set({ qty: updated.qty, allocations: left }).where(eq(reservations.id, row.id)).run();
    return updated;
  }

  /** Active reservations whose TTL has passed at `now`. */
  dueReservations(now: number): ReservationRow[] {
    return this.db
      .select()
      .from(reservations)
      .where(and(eq(reservations.status, "active"), lte(reservations.expiresAt, now)))
      .all();
  }

  /** The earliest expiry among active reservations, or null when none is active. */
  earliestExpiry(): number | null {
    return this.db.select({ at: min(reservations.expiresAt) }).from(reservations).where(eq(reservations.status, "active")).get()?.at ?? null;
  }

  /** Ledger entries after `after`, oldest first; only `location`'s when given. */
  ledgerAfter(after: number, limit: number, location?: string) {
    const where = location === undefined ? gt(ledger.seq, after) : and(gt(ledger.seq, after), eq(ledger.location, location));
    return this.db.select().from(ledger).where(where).orderBy(asc(ledger.seq)).limit(limit).all();
  }

  appendLedger(mutation: Mutation, entry: LedgerDraft): void {
    this.statements.insertLedger.run({
      type: entry.type,
      location: entry.location,
      onHandDelta: entry.onHandDelta ?? 0,
      reservedDelta: entry.reservedDelta ?? 0,
      safetyStockDelta: entry.safetyStockDelta ?? 0,
      leasedDelta: entry.leasedDelta ?? 0,
      reason: entry.reason ?? null,
      reference: entry.reference ?? null,
      reservationId: entry.reservationId ?? null,
      idempotencyKey: mutation.idempotencyKey,
      at: mutation.now,
      occurredAt: entry.occurredAt ?? null,
      traceId: mutation.traceId,
    });
    mutation.moved = true;
  }

  view(sku: string): InventoryView {
    const locations = this.allStock().map((stock) => ({ ...stock, leased: stock.leased ?? 0, available: locationAvailable(stock) }));
    const sum = (pick: (s: (typeof locations)[number]) => number) => locations.reduce((total, s) => total + pick(s), 0);
    return {
      sku,
      version: this.version(),
      locations,
      totals: { onHand: sum((s) => s.onHand), safetyStock: sum((s) => s.safetyStock), reserved: sum((s) => s.reserved), leased: sum((s) => s.leased), available: sum((s) => s.available) },
    };
  }

  private unreserve(row: ReservationRow, location: string, qty: number, status: CloseStatus, mutation: Mutation): void {
    const onHandDelta = status === "committed" ? -qty : 0;
    this.db
      .update(locationStock)
      .set({ reserved: sql`${locationStock.reserved} - ${qty}`, onHand: sql`${locationStock.onHand} + ${onHandDelta}` })
      .where(eq(locationStock.location, location))
      .run();
    this.appendLedger(mutation, { type: closingEntry[status], location, onHandDelta, reservedDelta: -qty, reference: row.reference, reservationId: row.id });
  }
}

/** The statements of the hot paths (reservations, POS movements), built once: drizzle query building costs more than SQLite runs them. */
function prepareStatements(db: DrizzleSqliteDODatabase<typeof schema>) {
  const placeholders = <K extends string>(...names: K[]) => Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as unknown as Record<K, ReturnType<typeof sql.placeholder>>;
  return {
    posEntry: db.select({ seq: ledger.seq }).from(ledger).where(and(eq(ledger.idempotencyKey, sql.placeholder("key")), isPosEntry)).prepare(),
    stockAt: db.select().from(locationStock).where(eq(locationStock.location, sql.placeholder("location"))).prepare(),
    leaseAt: db.select().from(locationLeases).where(eq(locationLeases.location, sql.placeholder("location"))).prepare(),
    countAt: db.select().from(locationCounts).where(eq(locationCounts.location, sql.placeholder("location"))).prepare(),
    allStock: db.select().from(locationStock).orderBy(asc(locationStock.location)).prepare(),
    insertReservation: db
      .insert(reservations)
      .values(placeholders("id", "channel", "qty", "status", "reference", "allocations", "createdAt", "expiresAt", "closedAt"))
      .prepare(),
    addReserved: db
      .update(locationStock)
      .set({ reserved: sql`${locationStock.reserved} + ${sql.placeholder("qty")}` })
      .where(eq(locationStock.location, sql.placeholder("location")))
      .prepare(),
    insertLedger: db
      .insert(ledger)
      .values(placeholders("type", "location", "onHandDelta", "reservedDelta", "safetyStockDelta", "leasedDelta", "reason", "reference", "reservationId", "idempotencyKey", "at", "occurredAt", "traceId"))
      .prepare(),
  };
}

export function toReservation(sku: string, row: ReservationRow): Reservation {
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

export function toLedgerEntry(row: typeof ledger.$inferSelect): LedgerEntry {
  return {
    seq: row.seq,
    type: row.type,
    location: row.location,
    delta: row.onHandDelta,
    reservedDelta: row.reservedDelta,
    safetyStockDelta: row.safetyStockDelta,
    leasedDelta: row.leasedDelta,
    reason: row.reason,
    reference: row.reference,
    reservationId: row.reservationId,
    idempotencyKey: row.idempotencyKey,
    at: new Date(row.at).toISOString(),
    traceId: row.traceId,
  };
}
