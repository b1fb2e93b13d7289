import type { ChannelAvailability } from "../shared/schemas/availability.ts";
import migrations from "./migrations/availability-shard/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/availability-shard.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

/** One channel's figure of one SKU as the index forwards it: `seq` is its number in the index's change feed. */
export interface ForwardedFigure {
  channel: string;
  sku: string;
  available: number;
  seq: number;
  updatedAt: number;
}

/**
 * One of a tenant's availability read shards (docs/decisions/0042): the
 * channel figures of the SKUs whose name falls in its shard, copied from
 * the tenant's AvailabilityIndex, which stays the one writer (its change
 * feed, its events). Polls and bulk reads go to the shards, so a tenant's
 * read rate is not bounded by one object. A shard answers only once the
 * index has forwarded its whole feed to every shard (`ready`); until then
 * the caller reads the index.
 */
export class AvailabilityShard extends ShelfsyncObject<typeof schema, TenantIdentity & { shard: number }> {
  private readonly meta = singleRow(this.db, schema.shardMeta);
  /** Read once: whether the shard answers reads. */
  private ready: boolean | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.availabilityShard });
  }

  /** Stores figures; one older than the figure held (a forward sent again) changes nothing. */
  async put(figures: ForwardedFigure[]): Promise<void> {
    if (figures.length === 0) return;
    // One statement for the lot: the rows travel as one JSON parameter.
    this.ctx.storage.sql.exec(
      `INSERT INTO channel_availability (channel, sku, available, seq, updated_at)
       SELECT value ->> 'channel', value ->> 'sku', value ->> 'available', value ->> 'seq', value ->> 'updatedAt' FROM json_each(?) WHERE true
       ON CONFLICT (channel, sku) DO UPDATE SET available = excluded.available, seq = excluded.seq, updated_at = excluded.updated_at
       WHERE excluded.seq > channel_availability.seq`,
      JSON.stringify(figures),
    );
  }

  /** From now on the shard answers reads: the index forwarded every figure it had. */
  async markReady(): Promise<void> {
    this.meta.put({ ready: true });
    this.ready = true;
  }

  /** What `channel` may sell of those of `skus` that have figures; null while the shard is not ready (read the index). */
  async read(channel: string, skus: string[]): Promise<ChannelAvailability[] | null> {
    this.ready ??= this.meta.get()?.ready ?? false;
    if (!this.ready) return null;
    const rows = this.ctx.storage.sql.exec<{ sku: string; available: number; updated_at: number }>(
      "SELECT sku, available, updated_at FROM channel_availability WHERE channel = ? AND sku IN (SELECT value FROM json_each(?))",
      channel,
      JSON.stringify(skus),
    );
    return rows.toArray().map((row) => ({ sku: row.sku, channel, available: row.available, updatedAt: new Date(row.updated_at).toISOString() }));
  }
}
