import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { channelAvailable, type StockFigures } from "../shared/inventory-math.ts";
import type { AvailabilityChanges, ChannelAvailability } from "../shared/schemas/availability.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import migrations from "./migrations/availability-index/migrations.js";
import * as schema from "./schema/availability-index.ts";

const { indexMeta, skuFigures, channelRules, channelAvailability } = schema;

/**
 * The availability read model of one tenant: what each channel may sell of
 * each SKU, fed by the SKU objects (coalesced, newest version wins) so that a
 * marketplace poll never wakes the SKU objects. Every change of a channel's
 * figure gets the next sequence number, which orders the change feed.
 */
export class AvailabilityIndex extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  /** Called by a SKU object with its figures at `version`; older versions are ignored. */
  async publishSku(sku: string, version: number, figures: StockFigures[]): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const current = this.db.select({ version: skuFigures.version }).from(skuFigures).where(eq(skuFigures.sku, sku)).get();
      if (current && current.version >= version) return;
      this.db
        .insert(skuFigures)
        .values({ sku, version, locations: figures, updatedAt: now })
        .onConflictDoUpdate({ target: skuFigures.sku, set: { version, locations: figures, updatedAt: now } })
        .run();
      for (const rules of this.db.select().from(channelRules).all()) this.recompute(rules.channel, rules, sku, figures, now);
    });
  }

  /** Called when a channel's rules change: every SKU's figure for it is recomputed. */
  async putChannel(channel: string, rules: ChannelRules): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.db
        .insert(channelRules)
        .values({ channel, ...rules })
        .onConflictDoUpdate({ target: channelRules.channel, set: { ...rules } })
        .run();
      for (const row of this.db.select().from(skuFigures).all()) this.recompute(channel, rules, row.sku, row.locations, now);
    });
  }

  async getAvailability(channel: string, skus: string[]): Promise<ChannelAvailability[]> {
    const rows: ChannelAvailability[] = [];
    // Durable Object SQLite allows at most 100 bound parameters per statement.
    for (let start = 0; start < skus.length; start += 90) {
      const chunk = skus.slice(start, start + 90);
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

  private recompute(channel: string, rules: ChannelRules, sku: string, figures: StockFigures[], now: number): void {
    const available = channelAvailable(rules, figures);
    const current = this.db
      .select({ available: channelAvailability.available })
      .from(channelAvailability)
      .where(and(eq(channelAvailability.channel, channel), eq(channelAvailability.sku, sku)))
      .get();
    if (current && current.available === available) return;
    const seq = this.nextSeq();
    this.db
      .insert(channelAvailability)
      .values({ channel, sku, available, seq, updatedAt: now })
      .onConflictDoUpdate({ target: [channelAvailability.channel, channelAvailability.sku], set: { available, seq, updatedAt: now } })
      .run();
  }

  private nextSeq(): number {
    const meta = this.db.select().from(indexMeta).where(eq(indexMeta.id, 1)).get();
    const seq = (meta?.lastSeq ?? 0) + 1;
    this.db
      .insert(indexMeta)
      .values({ id: 1, lastSeq: seq })
      .onConflictDoUpdate({ target: indexMeta.id, set: { lastSeq: seq } })
      .run();
    return seq;
  }
}
