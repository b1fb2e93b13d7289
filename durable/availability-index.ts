import { and, asc, eq, gt, inArray, max, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { channelAvailable, leaseCovered, locationAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { AvailabilityChanges, ChannelAvailability } from "../shared/schemas/availability.ts";
import type { StoreStock } from "../shared/schemas/catalog.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { ShardForwarder } from "./availability-forwarder.ts";
import { EventOutbox } from "./event-outbox.ts";
import migrations from "./migrations/availability-index/migrations.js";
import { channelConnection, parseName, type TenantIdentity } from "./objects.ts";
import { chunks } from "./paging.ts";
import * as schema from "./schema/availability-index.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { channelWatchers, locationWatchers, skuFigures, channelRules, channelAvailability, locationStock } = schema;

/** How soon the alarm flushes events again after the queue and the exception queue both failed. */
const eventRetryMs = 5_000;

/** How soon the alarm copies figures to the read shards again after a shard could not be reached. */
const forwardRetryMs = 1_000;

/** Pages of figures a publish copies to the read shards before it answers; more (a backfill) is left to the alarm. */
const forwardPagesPerPublish = 2;

/** One location's figure of one SKU, as the store feed carries it. */
export interface LocationStockChange extends StoreStock {
  seq: number;
}

/**
 * The availability read model of one tenant: what each channel may sell of
 * each SKU, fed by the SKU objects (coalesced, newest version wins) so that a
 * marketplace poll never wakes the SKU objects. Every change of a channel's
 * figure gets the next sequence number, which orders the change feed, and
 * an `availability.changed` event staged in the same transaction.
 */
export class AvailabilityIndex extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly outbox: EventOutbox;
  private readonly forwarder: ShardForwarder;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** The last change-feed sequence number given out. */
  private readonly meta = singleRow(this.db, schema.indexMeta);
  /** The connections of each channel, and of each mapped location, read once (undefined: not read yet). */
  private watchers: { channels: Map<string, string[]>; locations: Map<string, string[]> } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
    this.statements = prepareStatements(this.db);
    this.outbox = new EventOutbox(this.db, env);
    this.forwarder = new ShardForwarder(this.db, env, this.identity.tenantId);
  }

  protected override async onStart(): Promise<void> {
    this.backfillLocationStock();
    // A new tenant's shards are told they are complete at once; an existing tenant's get its figures first.
    if (this.forwarder.behind()) await this.wakeBy(this.now());
  }

  /** Called by a SKU object with its figures at `version`; older versions are ignored. */
  async publishSku(sku: string, version: number, figures: StockFigures[]): Promise<void> {
    const now = this.now();
    const changed = new Set<string>();
    const changedLocations = new Set<string>();
    this.transaction(() => {
      const current = this.db.select({ version: skuFigures.version }).from(skuFigures).where(eq(skuFigures.sku, sku)).get();
      if (current && current.version >= version) return;
      this.db
        .insert(skuFigures)
        .values({ sku, version, locations: figures, updatedAt: now })
        .onConflictDoUpdate({ target: skuFigures.sku, set: { version, locations: figures, updatedAt: now } })
        .run();
      for (const rules of this.db.select().from(channelRules).all()) if (this.recompute(rules.channel, rules, sku, figures, now)) changed.add(rules.channel);
      for (const stock of figures) if (this.recordLocationStock(sku, stock, now)) changedLocations.add(stock.location);
    });
    await this.flushEvents();
    await this.forwardToShards(forwardPagesPerPublish);
    await this.nudgeWatchers(changed, changedLocations);
  }

  /**
   * Of `skus`, those some SKU object has published figures for: what the
   * inventory knows, read without waking (or creating) the SKU objects. It
   * trails a SKU's first movement by the publish delay.
   */
  async inventoried(skus: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const chunk of chunks([...new Set(skus)])) {
      found.push(...this.db.select({ sku: skuFigures.sku }).from(skuFigures).where(inArray(skuFigures.sku, chunk)).all().map((row) => row.sku));
    }
    return found;
  }

  /** Called when a channel's rules change: every SKU's figure for it is recomputed. */
  async putChannel(channel: string, rules: ChannelRules): Promise<void> {
    const now = this.now();
    this.transaction(() => {
      this.db
        .insert(channelRules)
        .values({ channel, ...rules })
        .onConflictDoUpdate({ target: channelRules.channel, set: { ...rules } })
        .run();
      for (const row of this.db.select().from(skuFigures).all()) this.recompute(channel, rules, row.sku, row.locations, now);
    });
    await this.flushEvents();
    await this.forwardToShards();
    await this.nudgeWatchers(new Set([channel]));
  }

  /** A connection starts (or, `watching` false, stops) publishing `channel`'s availability; it is nudged once at once, to catch up. */
  async watch(channel: string, connectionId: string, watching: boolean): Promise<void> {
    if (watching) this.db.insert(channelWatchers).values({ channel, connectionId }).onConflictDoNothing().run();
    else this.db.delete(channelWatchers).where(and(eq(channelWatchers.channel, channel), eq(channelWatchers.connectionId, connectionId))).run();
    this.watchers = undefined;
    if (watching) await this.nudgeWatchers(new Set([channel]));
  }

  /**
   * The Shelfsync locations whose own stock a connection publishes (its
   * `locations.byLocation`; none when it stops): it is nudged when their
   * figures change, and once at once if it watches any.
   */
  async watchLocations(connectionId: string, locations: string[]): Promise<void> {
    this.transaction(() => {
      this.db.delete(locationWatchers).where(eq(locationWatchers.connectionId, connectionId)).run();
      for (const location of new Set(locations)) this.db.insert(locationWatchers).values({ location, connectionId }).run();
    });
    this.watchers = undefined;
    if (locations.length > 0) await channelConnection(this.env, this.identity.tenantId, connectionId).nudge();
  }

  /** Flushes events a refused send (and a failed exception record) left staged. */
  protected override async onAlarm(): Promise<number | null> {
    const flushed = await this.outbox.flush();
    // More pages to copy: at once; a shard that could not be reached: after a pause.
    const forwardAt = await this.forwarder.forward(forwardPagesPerPublish * 5).then(
      (done) => (done ? Number.POSITIVE_INFINITY : this.now()),
      () => this.now() + forwardRetryMs,
    );
    const next = Math.min(flushed ? Number.POSITIVE_INFINITY : this.now() + eventRetryMs, forwardAt);
    return Number.isFinite(next) ? next : null;
  }

  async getAvailability(channel: string, skus: string[]): Promise<ChannelAvailability[]> {
    const rows: ChannelAvailability[] = [];
    for (const chunk of chunks(skus)) {
      const found = this.db
        .select()
        .from(channelAvailability)
        .where(and(eq(channelAvailability.channel, channel), inArray(channelAvailability.sku, chunk)))
        .all();
      for (const row of found) rows.push({ sku: row.sku, channel, available: row.available, updatedAt: new Date(row.updatedAt).toISOString() });
    }
    return rows;
  }

  async changes(channel: string, after: number, limit: number): Promise<AvailabilityChanges> {
    const rows = this.db
      .select()
      .from(channelAvailability)
      .where(and(eq(channelAvailability.channel, channel), gt(channelAvailability.seq, after)))
      .orderBy(asc(channelAvailability.seq))
      .limit(limit + 1)
      .all();
    const page = rows.slice(0, limit);
    const last = page.length > 0 ? page[page.length - 1]!.seq : after;
    return {
      channel,
      changes: page.map((row) => ({ sku: row.sku, available: row.available, seq: row.seq, updatedAt: new Date(row.updatedAt).toISOString() })),
      nextCursor: String(last),
      hasMore: rows.length > limit,
    };
  }

  /** What changed at one location since `after`, oldest first: each SKU once, with its latest figures. */
  async stockChanges(location: string, after: number, limit: number): Promise<{ changes: LocationStockChange[]; hasMore: boolean }> {
    const rows = this.db
      .select()
      .from(locationStock)
      .where(and(eq(locationStock.location, location), gt(locationStock.seq, after)))
      .orderBy(asc(locationStock.seq))
      .limit(limit + 1)
      .all();
    return {
      changes: rows.slice(0, limit).map((row) => ({ sku: row.sku, location, onHand: row.onHand, available: row.available, leased: row.leased, seq: row.seq, updatedAt: new Date(row.updatedAt).toISOString() })),
      hasMore: rows.length > limit,
    };
  }

  /** Returns whether the location's figures of the SKU changed. */
  private recordLocationStock(sku: string, stock: StockFigures, now: number): boolean {
    const available = locationAvailable(stock);
    const leased = leaseCovered(stock);
    const { location, onHand } = stock;
    const current = this.statements.locationFigures.get({ location, sku });
    if (current && current.onHand === onHand && current.available === available && current.leased === leased) return false;
    // A sequence of its own per location, off the channels' counter; rows are never deleted, so it only grows.
    const seq = (this.statements.lastLocationSeq.get({ location })?.seq ?? 0) + 1;
    this.statements.putLocationFigures.run({ location, sku, onHand, available, leased, seq, updatedAt: now });
    return true;
  }

  /**
   * The per-location figures arrived with migration 0001: an index that
   * already holds SKU figures fills them once from those, so a store's first
   * feed has every SKU and not only those that moved since.
   */
  private backfillLocationStock(): void {
    if (this.db.select({ sku: locationStock.sku }).from(locationStock).limit(1).get()) return;
    if (!this.db.select({ sku: skuFigures.sku }).from(skuFigures).limit(1).get()) return;
    this.ctx.storage.transactionSync(() => {
      for (const row of this.db.select().from(skuFigures).all()) {
        for (const stock of row.locations) this.recordLocationStock(row.sku, stock, row.updatedAt);
      }
    });
  }

  /**
   * Copies the changed figures to the read shards before answering, so a
   * publish is readable from them when it returns; what is left (a shard
   * that could not be reached, a backfill longer than `pages`) the alarm
   * copies.
   */
  private async forwardToShards(pages?: number): Promise<void> {
    const wakeAt = await this.forwarder.forward(pages).then(
      (done) => (done ? null : this.now()),
      () => this.now() + forwardRetryMs,
    );
    await this.wakeBy(wakeAt);
  }

  private async flushEvents(): Promise<void> {
    if (!(await this.outbox.flush())) await this.wakeBy(this.now() + eventRetryMs);
  }

  /**
   * Tells the connections of each changed channel to read its change feed,
   * and those that map a changed location to read that location's.
   * A nudge that fails is not retried here: the connection reads its feeds on
   * its own alarm too, so a lost nudge delays it, never loses a change.
   */
  private async nudgeWatchers(channels: Set<string>, locations: Set<string> = new Set()): Promise<void> {
    if (channels.size === 0 && locations.size === 0) return;
    if (!this.watchers) {
      const byChannel = new Map<string, string[]>();
      const byLocation = new Map<string, string[]>();
      for (const { channel, connectionId } of this.db.select().from(channelWatchers).all()) byChannel.set(channel, [...(byChannel.get(channel) ?? []), connectionId]);
      for (const { location, connectionId } of this.db.select().from(locationWatchers).all()) byLocation.set(location, [...(byLocation.get(location) ?? []), connectionId]);
      this.watchers = { channels: byChannel, locations: byLocation };
    }
    const { channels: byChannel, locations: byLocation } = this.watchers;
    const connections = new Set([...channels].flatMap((channel) => byChannel.get(channel) ?? []));
    for (const location of locations) for (const id of byLocation.get(location) ?? []) connections.add(id);
    await Promise.allSettled([...connections].map((id) => channelConnection(this.env, this.identity.tenantId, id).nudge()));
  }

  /** Returns whether the channel's figure for the SKU changed. */
  private recompute(channel: string, rules: ChannelRules, sku: string, figures: StockFigures[], now: number): boolean {
    const available = channelAvailable(rules, figures);
    const current = this.db
      .select({ available: channelAvailability.available })
      .from(channelAvailability)
      .where(and(eq(channelAvailability.channel, channel), eq(channelAvailability.sku, sku)))
      .get();
    if (current && current.available === available) return false;
    const seq = this.nextSeq();
    this.db
      .insert(channelAvailability)
      .values({ channel, sku, available, seq, updatedAt: now })
      .onConflictDoUpdate({ target: [channelAvailability.channel, channelAvailability.sku], set: { available, seq, updatedAt: now } })
      .run();
    this.outbox.stage({ type: "availability.changed", tenantId: this.identity.tenantId, subject: `sku:${sku}@${channel}`, data: { sku, channel, available, seq } }, now);
    return true;
  }

  private nextSeq(): number {
    const seq = (this.meta.get()?.lastSeq ?? 0) + 1;
    this.meta.put({ lastSeq: seq });
    return seq;
  }
}

/** The per-location feed's statements, built once: a publish runs them for every location of the SKU. */
function prepareStatements(db: DrizzleSqliteDODatabase<typeof schema>) {
  const location = sql.placeholder("location");
  const sku = sql.placeholder("sku");
  const figures = { onHand: sql.placeholder("onHand"), available: sql.placeholder("available"), leased: sql.placeholder("leased"), seq: sql.placeholder("seq"), updatedAt: sql.placeholder("updatedAt") };
  const inserted = (column: { name: string }) => sql.raw(`excluded."${column.name}"`);
  return {
    locationFigures: db
      .select({ onHand: locationStock.onHand, available: locationStock.available, leased: locationStock.leased })
      .from(locationStock)
      .where(and(eq(locationStock.location, location), eq(locationStock.sku, sku)))
      .prepare(),
    lastLocationSeq: db.select({ seq: max(locationStock.seq) }).from(locationStock).where(eq(locationStock.location, location)).prepare(),
    putLocationFigures: db
      .insert(locationStock)
      .values({ location, sku, ...figures })
      .onConflictDoUpdate({
        target: [locationStock.location, locationStock.sku],
        set: { onHand: inserted(locationStock.onHand), available: inserted(locationStock.available), leased: inserted(locationStock.leased), seq: inserted(locationStock.seq), updatedAt: inserted(locationStock.updatedAt) },
      })
      .prepare(),
  };
}
