import { and, count, eq, gte, inArray, lt, sql } from "drizzle-orm";
import type { Result } from "../shared/errors.ts";
import type { OrderPage, OrderSettings, OrdersQuery, OrderSummary } from "../shared/schemas/orders.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/order-index/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import { chunks, pageBySeq } from "./paging.ts";
import * as schema from "./schema/order-index.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { orders } = schema;

/** What an order object publishes of itself (times in epoch ms); a lower `version` than the stored one is stale and ignored. */
export type OrderIndexEntry = Pick<OrderSummary, "channel" | "externalId" | "status"> & { orderId: string; version: number; createdAt: number; updatedAt: number };

export type OrderFilter = Pick<OrdersQuery, "status" | "channel">;

const defaultSettings: OrderSettings = { shortagePolicy: "backorder" };

/**
 * One per tenant: the list of its orders by status and channel (a read model
 * each order object keeps up to date), its order settings, and the
 * Idempotency-Keys of order submissions, so that a key reused for another
 * order is a conflict although each order lives in its own object.
 */
export class OrderIndex extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly settings = singleRow(this.db, schema.orderSettings);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  /**
   * Binds an Idempotency-Key to the request it first came with. The same
   * request again passes (the order object answers it by natural key); another
   * request under the key is `idempotency_conflict`.
   */
  async claimKey(idempotency: IdempotencyInput, orderId: string): Promise<Result<{ orderId: string }>> {
    const claimed = this.transaction(() => {
      const previous = this.storedAnswer<{ ok: true; orderId: string }>(idempotency);
      if (previous) return previous.outcome;
      const claim = { ok: true as const, orderId };
      this.rememberAnswer(idempotency, this.now(), claim);
      return claim;
    });
    await this.wakeBy(null);
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

  /** Of `orderIds`, those the tenant has (as their order objects published them). */
  async existing(orderIds: string[]): Promise<string[]> {
    return chunks([...new Set(orderIds)]).flatMap((ids) => this.db.select({ orderId: orders.orderId }).from(orders).where(inArray(orders.orderId, ids)).all().map((row) => row.orderId));
  }

  async list(filter: OrderFilter, after: number, limit: number): Promise<OrderPage> {
    const filters = [filter.status && eq(orders.status, filter.status), filter.channel && eq(orders.channel, filter.channel)];
    const { page, nextCursor } = pageBySeq(this.db, orders, filters, after, limit);
    return { orders: page.map(toSummary), nextCursor };
  }

  async getSettings(): Promise<OrderSettings> {
    const row = this.settings.get();
    return row ? { shortagePolicy: row.shortagePolicy } : defaultSettings;
  }

  async putSettings(settings: OrderSettings, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ settings: OrderSettings }>>> {
    return this.idempotentTransaction(idempotency, (now) => {
      this.settings.put({ shortagePolicy: settings.shortagePolicy, updatedAt: now });
      return { ok: true as const, settings };
    });
  }

  /** Orders admitted per UTC hour since `from` (ms), oldest first; hours without one are left out. */
  async createdPerHour(from: number): Promise<{ hour: number; count: number }[]> {
    const hour = sql<number>`${orders.createdAt} - ${orders.createdAt} % 3600000`;
    return this.db.select({ hour, count: count() }).from(orders).where(gte(orders.createdAt, from)).groupBy(hour).orderBy(hour).all();
  }

  /** For the partner's usage report: orders admitted (created) in [from, to) (ms). */
  async createdBetween(from: number, to: number): Promise<number> {
    return this.db.select({ n: count() }).from(orders).where(and(gte(orders.createdAt, from), lt(orders.createdAt, to))).get()!.n;
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
