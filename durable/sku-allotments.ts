import { and, eq, gt, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { newId } from "../shared/ids.ts";
import { locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { HotSku, ShardHolding, Units } from "../shared/schemas/allotments.ts";
import type { InventoryView } from "../shared/schemas/inventory.ts";
import * as schema from "./schema/sku-inventory.ts";
import type { Mutation, SkuState } from "./sku-state.ts";

const { hotChannels, allotments, allotmentTransfers, shardCommits, locationStock } = schema;

export type HotChannelRow = typeof hotChannels.$inferSelect;
export type TransferRow = typeof allotmentTransfers.$inferSelect;

/** One shard commit as the shard reports it. */
export interface ShardCommit {
  reservationId: string;
  reference: string;
  units: Units;
}

/**
 * The SKU object's side of its flash sales (docs/decisions/0029): which
 * channels are hot, how many units each shard holds, and the transfers
 * between them. Units allotted to a shard count in the location's
 * `reserved`, so nothing else sells them; every change has its ledger entry.
 *
 * Invariant: a location's `reserved` = the active reservations' allocations
 * there + the units allotted to shards there.
 */
export class SkuAllotments {
  constructor(
    private readonly db: DrizzleSqliteDODatabase<typeof schema>,
    private readonly state: SkuState,
  ) {}

  /** The hot channels as stored, read once: every pool reservation asks (null: read again). */
  private hotByChannel: Map<string, HotChannelRow> | null = null;

  hot(channel: string): HotChannelRow | undefined {
    this.hotByChannel ??= new Map(this.db.select().from(hotChannels).all().map((row) => [row.channel, row]));
    return this.hotByChannel.get(channel);
  }

  hotChannels(): HotChannelRow[] {
    return this.db.select().from(hotChannels).all();
  }

  markHot(row: HotChannelRow): void {
    this.db.insert(hotChannels).values(row).run();
    this.hotByChannel = null;
  }

  cool(channel: string): void {
    this.db.delete(hotChannels).where(eq(hotChannels.channel, channel)).run();
    this.hotByChannel = null;
  }

  /** A transaction rolled back: what is remembered of the stored state is read again. */
  forget(): void {
    this.hotByChannel = null;
  }

  /** Units allotted and not back, per channel, shard and location (rows with units only). */
  allotted(channel?: string): (typeof allotments.$inferSelect)[] {
    const where = channel === undefined ? gt(allotments.qty, 0) : and(eq(allotments.channel, channel), gt(allotments.qty, 0));
    return this.db.select().from(allotments).where(where).all();
  }

  /** Whether any unit is allotted to any shard: only then does the SKU need its shards' figures. */
  anyAllotted(): boolean {
    return this.db.select({ qty: allotments.qty }).from(allotments).where(gt(allotments.qty, 0)).limit(1).get() !== undefined;
  }

  /**
   * Debits `units` here for shard `shard`: they leave the location's
   * available (held in `reserved`) in this transaction. The transfer stays
   * pending until the shard has credited it.
   */
  debitToShard(channel: string, shard: number, units: Units, mutation: Mutation): TransferRow {
    const transfer: TransferRow = { id: newId("tra"), channel, shard, direction: "out", allocations: units, status: "pending", at: mutation.now };
    this.db.insert(allotmentTransfers).values(transfer).run();
    for (const { location, qty } of units) {
      this.moveAllotment(channel, shard, location, qty);
      this.moveReserved(location, qty, 0);
      this.state.appendLedger(mutation, { type: "allotment", location, reservedDelta: qty, reason: `to ${channel} shard ${shard}`, reference: transfer.id });
    }
    return transfer;
  }

  /** Applies a shard's give-back once: its units are this object's to sell again. False if the transfer was applied before. */
  creditFromShard(transferId: string, channel: string, shard: number, units: Units, mutation: Mutation): boolean {
    if (this.transfer(transferId)) return false;
    this.db.insert(allotmentTransfers).values({ id: transferId, channel, shard, direction: "in", allocations: units, status: "done", at: mutation.now }).run();
    for (const { location, qty } of units) {
      this.moveAllotment(channel, shard, location, -qty);
      this.moveReserved(location, -qty, 0);
      this.state.appendLedger(mutation, { type: "allotment_return", location, reservedDelta: -qty, reason: `from ${channel} shard ${shard}`, reference: transferId });
    }
    return true;
  }

  /** Applies a shard reservation's commit once: its units leave onHand and the shard's allotment. */
  applyCommit(channel: string, shard: number, commit: ShardCommit, mutation: Mutation): void {
    if (this.db.select().from(shardCommits).where(eq(shardCommits.reservationId, commit.reservationId)).get()) return;
    this.db.insert(shardCommits).values({ reservationId: commit.reservationId, at: mutation.now }).run();
    for (const { location, qty } of commit.units) {
      this.moveAllotment(channel, shard, location, -qty);
      this.moveReserved(location, -qty, -qty);
      this.state.appendLedger(mutation, { type: "commit", location, onHandDelta: -qty, reservedDelta: -qty, reference: commit.reference, reservationId: commit.reservationId });
    }
  }

  /**
   * The SKU's flash sales: each hot channel, and any channel whose shards
   * still hold units after cooling, with every shard's allotted, free and
   * reserved units (asked of the shards through `holdingOf`).
   */
  async view(sku: string, holdingOf: (channel: string, shard: number) => Promise<ShardHolding>): Promise<HotSku> {
    const channels = new Map<string, { shards: number; since: number | null; autoRate: number | null }>(this.hotChannels().map((row) => [row.channel, { shards: row.shards, since: row.since, autoRate: row.autoRate }]));
    for (const row of this.allotted()) {
      const known = channels.get(row.channel);
      if (!known) channels.set(row.channel, { shards: row.shard + 1, since: null, autoRate: null });
      else if (known.since === null) known.shards = Math.max(known.shards, row.shard + 1);
    }
    const views: HotSku["channels"] = [];
    for (const [channel, { shards, since, autoRate }] of [...channels].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const holdings = await Promise.all(Array.from({ length: shards }, (_, shard) => holdingOf(channel, shard)));
      const allotted = this.allotted(channel);
      const units = (parts: Units) => parts.reduce((sum, part) => sum + part.qty, 0);
      views.push({
        channel,
        shards,
        since: since === null ? null : new Date(since).toISOString(),
        autoRate,
        allotments: holdings.map((holding) => ({
          shard: holding.shard,
          allotted: units(allotted.filter((row) => row.shard === holding.shard)),
          free: units(holding.free),
          reserved: units(holding.held),
          freeAt: holding.free,
        })),
      });
    }
    return { sku, channels: views };
  }

  transfer(id: string): TransferRow | undefined {
    return this.db.select().from(allotmentTransfers).where(eq(allotmentTransfers.id, id)).get();
  }

  pendingTransfers(): TransferRow[] {
    return this.db.select().from(allotmentTransfers).where(eq(allotmentTransfers.status, "pending")).all();
  }

  transferDone(id: string): void {
    this.db.update(allotmentTransfers).set({ status: "done" }).where(eq(allotmentTransfers.id, id)).run();
  }

  /**
   * Locations where reservations and allotments together exceed what is
   * there (a snapshot or a store sale took units the shards hold), with the
   * units to take back from the shards there.
   */
  shortfalls(): { location: string; qty: number }[] {
    const allottedAt = new Map<string, number>();
    for (const row of this.allotted()) allottedAt.set(row.location, (allottedAt.get(row.location) ?? 0) + row.qty);
    const short: { location: string; qty: number }[] = [];
    for (const [location, allotted] of allottedAt) {
      const stock = this.state.stockAt(location);
      const uncovered = stock.reserved - Math.max(0, stock.onHand - stock.safetyStock);
      if (uncovered > 0) short.push({ location, qty: Math.min(uncovered, allotted) });
    }
    return short;
  }

  private moveAllotment(channel: string, shard: number, location: string, qty: number): void {
    this.db
      .insert(allotments)
      .values({ channel, shard, location, qty })
      .onConflictDoUpdate({ target: [allotments.channel, allotments.shard, allotments.location], set: { qty: sql`${allotments.qty} + ${qty}` } })
      .run();
  }

  private moveReserved(location: string, reservedDelta: number, onHandDelta: number): void {
    this.db
      .update(locationStock)
      .set({ reserved: sql`${locationStock.reserved} + ${reservedDelta}`, onHand: sql`${locationStock.onHand} + ${onHandDelta}` })
      .where(eq(locationStock.location, location))
      .run();
  }
}

/**
 * Splits units as evenly as possible over `shards` shards, location by location.
 *
 * @example
 * splitOver([{ location: "a", qty: 5 }], 2) // [[{ location: "a", qty: 3 }], [{ location: "a", qty: 2 }]]
 */
export function splitOver(units: Units, shards: number): Units[] {
  const total = units.reduce((sum, part) => sum + part.qty, 0);
  const parts: Units[] = Array.from({ length: shards }, () => []);
  let index = 0;
  for (let shard = 0; shard < shards; shard += 1) {
    let want = Math.floor(total / shards) + (shard < total % shards ? 1 : 0);
    while (want > 0 && index < units.length) {
      const source = units[index]!;
      const take = Math.min(source.qty, want);
      const last = parts[shard]!.at(-1);
      if (last?.location === source.location) last.qty += take;
      else parts[shard]!.push({ location: source.location, qty: take });
      want -= take;
      units = units.map((part, i) => (i === index ? { ...part, qty: part.qty - take } : part));
      if (units[index]!.qty === 0) index += 1;
    }
  }
  return parts;
}

/**
 * The SKU's figures as a reader should see them: units allotted to shards
 * count as reserved only where a shard reservation holds them; free ones (and
 * ones in flight between objects) are available again.
 */
export function figuresWithShards(stocks: StockFigures[], allotted: { location: string; qty: number }[], holdings: ShardHolding[]): StockFigures[] {
  const delta = new Map<string, number>();
  for (const row of allotted) delta.set(row.location, (delta.get(row.location) ?? 0) - row.qty);
  for (const holding of holdings) for (const part of holding.held) delta.set(part.location, (delta.get(part.location) ?? 0) + part.qty);
  return stocks.map((stock) => ({ ...stock, reserved: stock.reserved + (delta.get(stock.location) ?? 0) }));
}

export function viewOf(view: InventoryView, figures: StockFigures[]): InventoryView {
  const locations = figures.map((stock) => ({ ...stock, leased: stock.leased ?? 0, available: locationAvailable(stock) }));
  const sum = (pick: (s: (typeof locations)[number]) => number) => locations.reduce((total, s) => total + pick(s), 0);
  return {
    ...view,
    locations,
    totals: { onHand: sum((s) => s.onHand), safetyStock: sum((s) => s.safetyStock), reserved: sum((s) => s.reserved), leased: sum((s) => s.leased), available: sum((s) => s.available) },
  };
}
