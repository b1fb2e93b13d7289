import { and, asc, eq, gte, lt, max, min } from "drizzle-orm";
import type { StoreHealth, StoreHealthDetail, StoreHealthReport } from "../shared/schemas/store-health.ts";
import migrations from "./migrations/store-health-board/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/store-health-board.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { storeHealth, healthSamples } = schema;

type HealthRow = typeof storeHealth.$inferSelect;

/** A store reporting keeps one sample this often; a change of status always makes one. */
export const sampleEveryMs = 5 * 60_000;

/** Samples are kept this long (the store detail shows the last 24 hours). */
const sampleRetentionMs = 48 * 3_600_000;

/** How far back a store's detail reads its samples. */
const detailWindowMs = 24 * 3_600_000;

/** A store silent this long is offline, unless the deployment says otherwise (STORE_OFFLINE_AFTER_MS). */
export const defaultOfflineAfterMs = 90_000;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const parsed = (at: string | null) => (at === null ? null : Date.parse(at));

/**
 * One per tenant: every store's health as its agent reports it (every 30 s
 * and on change), and whether the store is online. A store silent longer
 * than the offline bound is marked offline by the alarm, with the time it
 * fell silent; its next report brings it back. One object answers the
 * tenant's store list in one read, which the console's overview needs for
 * hundreds of stores; reports (a few a second for 500 stores) are small
 * writes to it.
 */
export class StoreHealthBoard extends ShelfsyncObject<typeof schema, TenantIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  private get offlineAfterMs(): number {
    const configured = Number(this.env.STORE_OFFLINE_AFTER_MS);
    return Number.isFinite(configured) && configured > 0 ? configured : defaultOfflineAfterMs;
  }

  async report(location: string, report: StoreHealthReport): Promise<StoreHealth> {
    const now = this.now();
    const row = this.transaction(() => {
      const current = this.db.select().from(storeHealth).where(eq(storeHealth.location, location)).get();
      const cameOnline = current?.status !== "online";
      const next: HealthRow = {
        location,
        status: "online",
        lastReportAt: now,
        onlineSince: cameOnline ? now : (current?.onlineSince ?? now),
        offlineSince: null,
        agentVersion: report.agentVersion,
        backlog: report.backlog,
        oldestPendingAt: parsed(report.oldestPendingAt),
        lastPushAt: parsed(report.lastPushAt),
        lastPullAt: parsed(report.lastPullAt),
        deadLetters: report.deadLetters,
      };
      this.db.insert(storeHealth).values(next).onConflictDoUpdate({ target: storeHealth.location, set: next }).run();
      if (cameOnline || this.lastSampleAt(location) <= now - sampleEveryMs) this.sample(next, now);
      return next;
    });
    await this.wakeBy(now + this.offlineAfterMs);
    return this.view(row, now);
  }

  /** Every store that ever reported, by location, and how long a store may be silent before it counts as offline. */
  async list(): Promise<{ stores: StoreHealth[]; offlineAfterMs: number }> {
    const now = this.now();
    const stores = this.db.select().from(storeHealth).orderBy(asc(storeHealth.location)).all().map((row) => this.view(row, now));
    return { stores, offlineAfterMs: this.offlineAfterMs };
  }

  /** One store's health and its samples of the last 24 hours; null when it never reported. */
  async detail(location: string): Promise<StoreHealthDetail | null> {
    const now = this.now();
    const row = this.db.select().from(storeHealth).where(eq(storeHealth.location, location)).get();
    if (!row) return null;
    const samples = this.db
      .select()
      .from(healthSamples)
      .where(and(eq(healthSamples.location, location), gte(healthSamples.at, now - detailWindowMs)))
      .orderBy(asc(healthSamples.at))
      .all();
    return {
      ...this.view(row, now),
      samples: samples.map((sample) => ({
        at: iso(sample.at)!,
        status: sample.status,
        backlog: sample.backlog,
        oldestPendingAgeSeconds: sample.oldestPendingAt === null ? null : Math.max(0, (sample.at - sample.oldestPendingAt) / 1000),
        deadLetters: sample.deadLetters,
      })),
    };
  }

  /** Marks offline every store silent past the bound (offline since its last report), and prunes old samples. */
  protected override async onAlarm(): Promise<number | null> {
    const now = this.now();
    const silentSince = now - this.offlineAfterMs;
    this.transaction(() => {
      const silent = this.db
        .select()
        .from(storeHealth)
        .where(and(eq(storeHealth.status, "online"), lt(storeHealth.lastReportAt, silentSince + 1)))
        .all();
      for (const row of silent) {
        const offline: HealthRow = { ...row, status: "offline", offlineSince: row.lastReportAt, onlineSince: null };
        this.db.update(storeHealth).set({ status: "offline", offlineSince: row.lastReportAt, onlineSince: null }).where(eq(storeHealth.location, row.location)).run();
        this.sample(offline, now);
      }
      this.db.delete(healthSamples).where(lt(healthSamples.at, now - sampleRetentionMs)).run();
    });
    const nextSilence = this.db.select({ at: min(storeHealth.lastReportAt) }).from(storeHealth).where(eq(storeHealth.status, "online")).get()?.at;
    return nextSilence === null || nextSilence === undefined ? null : nextSilence + this.offlineAfterMs;
  }

  private lastSampleAt(location: string): number {
    const at = this.db.select({ at: max(healthSamples.at) }).from(healthSamples).where(eq(healthSamples.location, location)).get()?.at;
    return at ?? Number.NEGATIVE_INFINITY;
  }

  private sample(row: HealthRow, at: number): void {
    this.db
      .insert(healthSamples)
      .values({ location: row.location, at, status: row.status, backlog: row.backlog, oldestPendingAt: row.oldestPendingAt, deadLetters: row.deadLetters })
      .onConflictDoNothing()
      .run();
  }

  private view(row: HealthRow, now: number): StoreHealth {
    return {
      location: row.location,
      status: row.status,
      lastReportAt: iso(row.lastReportAt),
      onlineSince: iso(row.onlineSince),
      offlineSince: iso(row.offlineSince),
      agentVersion: row.agentVersion,
      backlog: row.backlog,
      oldestPendingAt: iso(row.oldestPendingAt),
      oldestPendingAgeSeconds: row.oldestPendingAt === null ? null : Math.max(0, (now - row.oldestPendingAt) / 1000),
      lastPushAt: iso(row.lastPushAt),
      lastPullAt: iso(row.lastPullAt),
      deadLetters: row.deadLetters,
    };
  }
}
