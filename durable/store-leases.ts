import { and, asc, eq, inArray } from "drizzle-orm";
import type { StoreLeaseList } from "../shared/schemas/leases.ts";
import migrations from "./migrations/store-leases/migrations.js";
import { parseName, skuObject, type StoreIdentity } from "./objects.ts";
import { chunks } from "./paging.ts";
import * as schema from "./schema/store-leases.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { storeLeases } = schema;

/** How soon the alarm tells SKU objects again of a suspend or resume they did not take. */
const tellRetryMs = 5_000;

/** SKU objects told at once. */
const tellConcurrency = 32;

/**
 * One per (tenant, store location): which SKUs the store holds a lease of
 * (docs/decisions/0033), and whether the store is heard from. A store silent
 * longer than a lease's lapse loses that lease's units to the channels (the
 * SKU object suspends it) until it is heard from again, so that a store that
 * closed or lost its link for good does not hold stock back for ever.
 */
export class StoreLeases extends ShelfsyncObject<typeof schema, StoreIdentity> {
  private readonly contact = singleRow(this.db, schema.storeContact);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.store });
  }

  /**
   * Records the store's lease of `sku`; answers whether it starts suspended
   * (the store has been silent longer than `lapseAfterMs`). A store never
   * heard from counts as heard from now.
   */
  async hold(sku: string, lapseAfterMs: number): Promise<{ suspended: boolean }> {
    const now = this.now();
    const suspended = this.transaction(() => {
      const lastContactAt = this.contact.get()?.lastContactAt ?? now;
      this.contact.put({ lastContactAt });
      const suspended = now - lastContactAt >= lapseAfterMs;
      this.db.insert(storeLeases).values({ sku, lapseAfterMs, suspended, pending: false }).onConflictDoUpdate({ target: storeLeases.sku, set: { lapseAfterMs, suspended, pending: false } }).run();
      return suspended;
    });
    await this.wakeAt(this.nextWake());
    return { suspended };
  }

  async drop(sku: string): Promise<void> {
    this.transaction(() => this.db.delete(storeLeases).where(eq(storeLeases.sku, sku)).run());
    await this.wakeAt(this.nextWake());
  }

  /** The store was heard from: suspended leases resume (their SKU objects are told before this answers). */
  async heardFrom(): Promise<void> {
    const now = this.now();
    const resumed = this.transaction(() => {
      this.contact.put({ lastContactAt: now });
      const suspended = this.db.select({ sku: storeLeases.sku }).from(storeLeases).where(eq(storeLeases.suspended, true)).all();
      if (suspended.length > 0) this.db.update(storeLeases).set({ suspended: false, pending: true }).where(eq(storeLeases.suspended, true)).run();
      return suspended.length;
    });
    if (resumed > 0) await this.serialized(() => this.tellPending());
    await this.wakeAt(this.nextWake());
  }

  /** The lapse of the store's lease of `sku`, in hours; null when it holds none. */
  async lapseOf(sku: string): Promise<number | null> {
    const row = this.db.select({ lapseAfterMs: storeLeases.lapseAfterMs }).from(storeLeases).where(eq(storeLeases.sku, sku)).get();
    return row ? row.lapseAfterMs / 3_600_000 : null;
  }

  async list(): Promise<StoreLeaseList> {
    const lastContactAt = this.contact.get()?.lastContactAt ?? null;
    const rows = this.db.select().from(storeLeases).orderBy(asc(storeLeases.sku)).all();
    return {
      location: this.identity.location,
      lastContactAt: lastContactAt === null ? null : new Date(lastContactAt).toISOString(),
      leases: rows.map((row) => ({ sku: row.sku, lapseAfterHours: row.lapseAfterMs / 3_600_000, suspended: row.suspended })),
    };
  }

  /** Suspends the leases whose lapse has passed since the store was last heard from, and tells their SKU objects. */
  protected override async onAlarm(): Promise<number | null> {
    const lastContactAt = this.contact.get()?.lastContactAt;
    if (lastContactAt === undefined) return null;
    const silentFor = this.now() - lastContactAt;
    this.transaction(() => {
      const due = this.db.select().from(storeLeases).where(eq(storeLeases.suspended, false)).all().filter((row) => silentFor >= row.lapseAfterMs);
      for (const chunk of chunks(due.map((row) => row.sku))) this.db.update(storeLeases).set({ suspended: true, pending: true }).where(inArray(storeLeases.sku, chunk)).run();
    });
    await this.serialized(() => this.tellPending());
    return this.nextWake();
  }

  /** Tells each SKU object whose lease changed state; one that cannot be reached is told again by the alarm. */
  private async tellPending(): Promise<void> {
    const pending = this.db.select().from(storeLeases).where(eq(storeLeases.pending, true)).all();
    for (let i = 0; i < pending.length; i += tellConcurrency) {
      await Promise.all(
        pending.slice(i, i + tellConcurrency).map(async (row) => {
          try {
            await skuObject(this.env, this.identity.tenantId, row.sku).suspendLease(this.identity.location, row.suspended);
          } catch {
            return;
          }
          // Only if nothing changed it meanwhile: a later state is told in its turn.
          this.db
            .update(storeLeases)
            .set({ pending: false })
            .where(and(eq(storeLeases.sku, row.sku), eq(storeLeases.suspended, row.suspended)))
            .run();
        }),
      );
    }
  }

  /** The next lapse of a lease in force, or a retry if a SKU object still has to be told. */
  private nextWake(): number | null {
    const lastContactAt = this.contact.get()?.lastContactAt;
    const rows = this.db.select().from(storeLeases).all();
    if (lastContactAt === undefined || rows.length === 0) return null;
    let next = Number.POSITIVE_INFINITY;
    for (const row of rows) {
      if (row.pending) next = Math.min(next, this.now() + tellRetryMs);
      else if (!row.suspended) next = Math.min(next, lastContactAt + row.lapseAfterMs);
    }
    return Number.isFinite(next) ? next : null;
  }
}
