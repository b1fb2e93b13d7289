import { eq, lt, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { availabilityIndex } from "../objects.ts";
import * as schema from "../schema/channel-connection.ts";

const { remoteSkus, locationCursors, poolTarget } = schema;

/** Change-feed entries read per page, and pages per run of the alarm. */
const feedPage = 1_000;
const feedPagesPerRun = 20;

export interface TargetFeedsOptions {
  db: DrizzleSqliteDODatabase<typeof schema>;
  /** The object's SQLite transaction. */
  transaction: <T>(run: () => T) => T;
  index: ReturnType<typeof availabilityIndex>;
  /** How far the channel's feed was read: kept on the connection's row. */
  poolCursor: { get(): number; set(cursor: number): void };
}

/**
 * What a channel connection reads before it pushes: its channel's
 * availability change feed into the pool target's rows, and each mapped
 * location's stock feed into that location's, by cursor, so that changes
 * coalesce in `remote_skus` (the latest value of a target and SKU wins).
 */
export class TargetFeeds {
  constructor(private readonly options: TargetFeedsOptions) {}

  /** Reads the feed of every target: the channel's if the pool is mapped, and each mapped location's. */
  async read(current: typeof schema.connection.$inferSelect): Promise<void> {
    if (current.locations.pool !== undefined) await this.readChannel(current.channel);
    for (const location of Object.keys(current.locations.byLocation ?? {})) await this.readLocation(location);
  }

  /** Reads the channel's changes after the cursor into the pool target's rows: the latest value of a SKU wins. */
  private async readChannel(channel: string): Promise<void> {
    const { index } = this.options;
    for (let page = 0; page < feedPagesPerRun; page++) {
      const cursor = this.options.poolCursor.get();
      const { changes, nextCursor, hasMore } = await index.changes(channel, cursor, feedPage);
      this.options.transaction(() => {
        for (const change of changes) this.want(poolTarget, change.sku, change.available, change.seq, Date.parse(change.updatedAt));
        this.options.poolCursor.set(Number(nextCursor));
      });
      if (!hasMore) return;
    }
  }

  /**
   * Reads a mapped location's stock changes after its cursor into that
   * location's target: its own available units (on hand less safety stock
   * less reservations, never below 0), no channel rule applied.
   */
  private async readLocation(location: string): Promise<void> {
    const { index } = this.options;
    for (let page = 0; page < feedPagesPerRun; page++) {
      const cursor = this.options.db.select({ cursor: locationCursors.cursor }).from(locationCursors).where(eq(locationCursors.location, location)).get()?.cursor ?? 0;
      const { changes, hasMore } = await index.stockChanges(location, cursor, feedPage);
      if (changes.length === 0) return;
      this.options.transaction(() => {
        for (const change of changes) this.want(location, change.sku, change.available, change.seq, Date.parse(change.updatedAt));
        const last = changes[changes.length - 1]!.seq;
        this.options.db.insert(locationCursors).values({ location, cursor: last }).onConflictDoUpdate({ target: locationCursors.location, set: { cursor: last } }).run();
      });
      if (!hasMore) return;
    }
  }

  /** Shelfsync wants `available` for the SKU at `target` from change `seq` on: pending unless the remote confirmed that value. */
  private want(target: string, sku: string, available: number, seq: number, changedAt: number): void {
    // A SKU the remote lacks, or already looked up, is so for every target: a new target's row starts with what the others know.
    const known = this.options.db.select({ remoteId: remoteSkus.remoteId, unmapped: remoteSkus.unmapped }).from(remoteSkus).where(eq(remoteSkus.sku, sku)).limit(1).get();
    this.options.db
      .insert(remoteSkus)
      .values({ target, sku, wanted: available, wantedSeq: seq, changedAt, remoteId: known?.remoteId ?? null, unmapped: known?.unmapped ?? false, remote: null, confirmedAt: null, pending: true })
      .onConflictDoUpdate({
        target: [remoteSkus.target, remoteSkus.sku],
        set: { wanted: available, wantedSeq: seq, changedAt, pending: sql`${remoteSkus.remote} IS NOT ${available}` },
        setWhere: lt(remoteSkus.wantedSeq, seq),
      })
      .run();
  }
}
