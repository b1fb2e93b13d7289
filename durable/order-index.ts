import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, gt, lt, type SQL } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { Result } from "../shared/errors.ts";
import type { OrderPage, OrderSettings, OrderStatus, OrderSummary } from "../shared/schemas/orders.ts";
import { findIdempotent, pruneIdempotencyKeys, recordIdempotent, runIdempotent, schedulePruneAlarm, type IdempotencyInput, type Idempotent } from "./idempotency.ts";
import { seqPage } from "./paging.ts";
import migrations from "./migrations/order-index/migrations.js";
import * as schema from "./schema/order-index.ts";

const { orders, orderSettings } = schema;

/** What an order object publishes of itself; a lower `version` than the stored one is stale and ignored. */
export interface OrderIndexEntry {
  orderId: string;
  channel: string;
  externalId: string;
  status: OrderStatus;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface OrderFilter {
  status?: OrderStatus;
  channel?: string;
}

const defaultSettings: OrderSettings = { shortagePolicy: "backorder" };

/**
 * One per tenant: the list of its orders by status and channel (a read model
 * each order object keeps up to date), its order settings, and the
 * Idempotency-Keys of order submissions, so that a key reused for another
 * order is a conflict although each order lives in its own object.
 */
export class OrderIndex extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  /**
   * Binds an Idempotency-Key to the request it first came with. The same
   * request again passes (the order object answers it by natural key); another
   * request under the key is `idempotency_conflict`.
   */
  async claimKey(idempotency: IdempotencyInput, orderId: string): Promise<Result<{ orderId: string }>> {
    const claimed = this.ctx.storage.transactionSync(() => {
      const previous = findIdempotent<{ ok: true; orderId: string }>(this.db, idempotency);
      if (previous) return previous.outcome;
      const claim = { ok: true as const, orderId };
      recordIdempotent(this.db, idempotency, Date.now(), claim);
      return claim;
    });
    await schedulePruneAlarm(this.ctx.storage, this.db);
    return claimed;
  }

  async publish(entry: OrderIndexEntry): Promise<void> {
    const values = { status: entry.status, version: entry.version, updatedAt: entry.updatedAt };
    this.db
      .insert(orders)
      .values({ orderId: entry.orderId, channel: entry.channel, externalId: entry.externalId, createdAt: entry.createdAt, ...values })
      .onConflictDoUpdate({ target: orders.orderId, set: values, setWhere: lt(orders.version, entry.version) })
      .run();
  }

  async list(filter: OrderFilter, after: number, limit: number): Promise<OrderPage> {
    const conditions: SQL[] = [gt(orders.seq, after)];
    if (filter.status) conditions.push(eq(orders.status, filter.status));
    if (filter.channel) conditions.push(eq(orders.channel, filter.channel));
    const rows = this.db
      .select()
      .from(orders)
      .where(and(...conditions))
      .orderBy(asc(orders.seq))
      .limit(limit + 1)
      .all();
    const { page, nextCursor } = seqPage(rows, limit);
    return { orders: page.map(toSummary), nextCursor };
  }

  async getSettings(): Promise<OrderSettings> {
    const row = this.db.select().from(orderSettings).where(eq(orderSettings.id, 1)).get();
    return row ? { shortagePolicy: row.shortagePolicy } : defaultSettings;
  }

  async putSettings(settings: OrderSettings, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ settings: OrderSettings }>>> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync(() =>
      runIdempotent(this.db, idempotency, now, () => {
        this.db
          .insert(orderSettings)
          .values({ id: 1, shortagePolicy: settings.shortagePolicy, updatedAt: now })
          .onConflictDoUpdate({ target: orderSettings.id, set: { shortagePolicy: settings.shortagePolicy, updatedAt: now } })
          .run();
        return { ok: true as const, settings };
      }),
    );
    if (idempotency) await schedulePruneAlarm(this.ctx.storage, this.db);
    return result;
  }

  override async alarm(): Promise<void> {
    pruneIdempotencyKeys(this.db, Date.now());
    await schedulePruneAlarm(this.ctx.storage, this.db);
  }
}

function toSummary(row: typeof orders.$inferSelect): OrderSummary {
  return {
    id: row.orderId,
    channel: row.channel,
    externalId: row.externalId,
    status: row.status,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
