import { asc, eq, gt } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { ForwardedFigure } from "./availability-shard.ts";
import { availabilityShard, availabilityShardOf, availabilityShards } from "./objects.ts";
import * as schema from "./schema/availability-index.ts";

const { channelAvailability, indexMeta } = schema;

/** Figures of the change feed copied per page: one call per shard a page. */
const forwardPage = 2_000;

/**
 * Copies an AvailabilityIndex's channel figures to the tenant's read shards
 * (docs/decisions/0042), in change-feed order, from the number it last
 * copied up to: what changed since, each figure at its latest. The first
 * complete copy (every figure the index had: a new tenant's nothing, or an
 * existing tenant's whole feed after the shards were added) marks every
 * shard ready, and reads go to the shards from then on. Runs one at a time;
 * a shard that cannot be reached fails the run, which the index retries
 * (a figure sent twice is ignored by its seq).
 */
export class ShardForwarder {
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DrizzleSqliteDODatabase<typeof schema>,
    private readonly env: Env,
    private readonly tenantId: string,
  ) {}

  /** Whether anything is left to copy, or the shards were never told they are complete. */
  behind(): boolean {
    const meta = this.meta();
    return !meta?.shardsReady || meta.forwardedSeq < meta.lastSeq;
  }

  /** Copies up to `pages` pages after the last run; true when the shards hold every figure. Throws if a shard could not be reached. */
  forward(pages = Number.POSITIVE_INFINITY): Promise<boolean> {
    const run = this.running.then(() => this.copy(pages));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async copy(pages: number): Promise<boolean> {
    for (let page = 0; page < pages; page++) {
      const meta = this.meta();
      const after = meta?.forwardedSeq ?? 0;
      const rows = this.db.select().from(channelAvailability).where(gt(channelAvailability.seq, after)).orderBy(asc(channelAvailability.seq)).limit(forwardPage).all();
      if (rows.length === 0) {
        if (!meta?.shardsReady) await this.markReady(meta?.lastSeq ?? 0);
        return true;
      }
      const byShard = new Map<number, ForwardedFigure[]>();
      for (const row of rows) {
        const shard = availabilityShardOf(row.sku);
        const list = byShard.get(shard);
        if (list) list.push(row);
        else byShard.set(shard, [row]);
      }
      await Promise.all([...byShard].map(([shard, figures]) => availabilityShard(this.env, this.tenantId, shard).put(figures)));
      this.db.update(indexMeta).set({ forwardedSeq: rows[rows.length - 1]!.seq }).where(eq(indexMeta.id, 1)).run();
    }
    return !this.behind();
  }

  private meta() {
    return this.db.select().from(indexMeta).where(eq(indexMeta.id, 1)).get();
  }

  private async markReady(lastSeq: number): Promise<void> {
    await Promise.all(Array.from({ length: availabilityShards }, (_, shard) => availabilityShard(this.env, this.tenantId, shard).markReady()));
    this.db
      .insert(indexMeta)
      .values({ id: 1, lastSeq, shardsReady: true })
      .onConflictDoUpdate({ target: indexMeta.id, set: { shardsReady: true } })
      .run();
  }
}
