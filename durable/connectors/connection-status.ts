import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { histogramPercentile } from "../../shared/lag-histogram.ts";
import type { ConnectionStatus } from "../../shared/schemas/connections.ts";
import * as schema from "../schema/channel-connection.ts";

const { remoteSkus, activity, confirmLags, locationCursors, poolTarget } = schema;

/** What the status counts as "the last hour", and how long activity is kept for it. */
const activityRetentionMs = 60 * 60_000;

/** The first minute counted as "the last hour": the 59 whole minutes before the current one, and the current one. */
function firstMinuteOfHour(now: number): number {
  return Math.floor(now / 60_000) - 59;
}

/** Drops activity and sync-lag counts older than the status reads. */
export function pruneActivity(db: DrizzleSqliteDODatabase<typeof schema>, now: number): void {
  db.delete(activity).where(lt(activity.at, now - activityRetentionMs)).run();
  db.delete(confirmLags).where(lt(confirmLags.minute, firstMinuteOfHour(now))).run();
}

/**
 * A channel connection's status, read from its own storage: what is
 * pending (per target), its budget, the last hour's writes, confirmations and
 * throttled answers, and the sync lag from the per-minute histogram. A few
 * indexed reads however busy the connection is.
 */
export function connectionStatus(db: DrizzleSqliteDODatabase<typeof schema>, current: typeof schema.connection.$inferSelect, connectionId: string, now: number): ConnectionStatus {
  const hourAgo = now - activityRetentionMs;
  const pending = db
    .select({ skus: sql<number>`count(distinct ${remoteSkus.sku})`, oldest: sql<number | null>`min(${remoteSkus.changedAt})` })
    .from(remoteSkus)
    .where(and(eq(remoteSkus.pending, true), eq(remoteSkus.unmapped, false)))
    .get()!;
  const pendingByTarget = new Map(
    db
      .select({ target: remoteSkus.target, skus: sql<number>`count(*)` })
      .from(remoteSkus)
      .where(and(eq(remoteSkus.pending, true), eq(remoteSkus.unmapped, false)))
      .groupBy(remoteSkus.target)
      .all()
      .map((row) => [row.target, row.skus]),
  );
  const mapped = Object.keys(current.locations.byLocation ?? {});
  const cursors = new Map(db.select().from(locationCursors).all().map((row) => [row.location, row.cursor]));
  const total = (kind: (typeof activity.$inferSelect)["kind"], since: number) =>
    db.select({ n: sql<number>`coalesce(sum(${activity.amount}), 0)` }).from(activity).where(and(eq(activity.kind, kind), gte(activity.at, since))).get()!.n;
  const lags = db
    .select({ bucket: confirmLags.bucket, count: sql<number>`sum(${confirmLags.count})` })
    .from(confirmLags)
    .where(gte(confirmLags.minute, firstMinuteOfHour(now)))
    .groupBy(confirmLags.bucket)
    .all();
  const confirmed = lags.reduce((sum, row) => sum + row.count, 0);
  const bucket = current.bucket;
  return {
    id: connectionId,
    state: current.state,
    pending: {
      skus: pending.skus,
      oldestAgeSeconds: pending.oldest === null ? null : Math.max(0, (now - pending.oldest) / 1000),
      pool: pendingByTarget.get(poolTarget) ?? 0,
      byLocation: Object.fromEntries(mapped.map((location) => [location, pendingByTarget.get(location) ?? 0])),
    },
    budget: {
      limit: bucket?.maximumAvailable ?? null,
      remaining: bucket ? Math.floor(Math.min(bucket.maximumAvailable, bucket.currentlyAvailable + (bucket.restoreRate * (now - bucket.at)) / 1000)) : null,
      restoreRate: bucket?.restoreRate ?? null,
      usedLastMinute: total("cost", now - 60_000),
    },
    lastHour: { remoteWrites: total("write", hourAgo), skusConfirmed: confirmed, throttled: total("throttled", hourAgo) },
    syncLagMs: { p50: histogramPercentile(lags, 0.5), p99: histogramPercentile(lags, 0.99), samples: confirmed },
    lastError: current.lastError === null ? null : { at: new Date(current.lastErrorAt!).toISOString(), message: current.lastError },
    cursor: String(current.cursor),
    locationCursors: Object.fromEntries(mapped.map((location) => [location, String(cursors.get(location) ?? 0)])),
  };
}
