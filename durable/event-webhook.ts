import { DurableObject } from "cloudflare:workers";
import { asc, eq, lt } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import type { PutEventSettingsRequest } from "../shared/schemas/events.ts";
import { signEvent } from "../workers/events/signature.ts";
import migrations from "./migrations/event-webhook/migrations.js";
import * as schema from "./schema/event-webhook.ts";

const { settings, deliveryFailures } = schema;

/** Longer than the queue keeps retrying an event: a failure is kept until its event died or was delivered long ago. */
export const failureRetentionMs = 7 * 24 * 60 * 60 * 1000;

export interface EventSettingsView {
  url: string;
  maskedSecret: string;
  updatedAt: number;
}

/** Where to POST one delivery, and its signature header. */
export interface SignedDelivery {
  url: string;
  signature: string;
}

export interface DeliveryFailure {
  attempts: number;
  reason: string;
}

/**
 * One per tenant: the retailer's event webhook (URL and signing secret) and
 * the latest failure of each event still being retried. Deliveries are
 * signed here, so the secret never leaves the object.
 */
export class EventWebhook extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  async configure(input: PutEventSettingsRequest): Promise<EventSettingsView> {
    const values = { url: input.url, secret: input.secret, updatedAt: Date.now() };
    this.db.insert(settings).values({ id: 1, ...values }).onConflictDoUpdate({ target: settings.id, set: values }).run();
    return this.settingsView()!;
  }

  async getSettings(): Promise<EventSettingsView | null> {
    return this.settingsView();
  }

  /** The URL and signature for delivering `body` at `timestamp` (Unix seconds); null when no webhook is set. */
  async sign(body: string, timestamp: number): Promise<SignedDelivery | null> {
    const row = this.db.select().from(settings).where(eq(settings.id, 1)).get();
    if (!row) return null;
    return { url: row.url, signature: await signEvent(row.secret, timestamp, body) };
  }

  async recordFailure(eventId: string, failure: DeliveryFailure): Promise<void> {
    const values = { ...failure, at: Date.now() };
    this.db.insert(deliveryFailures).values({ eventId, ...values }).onConflictDoUpdate({ target: deliveryFailures.eventId, set: values }).run();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(values.at + failureRetentionMs);
  }

  /** The event's latest failed attempt, if one is remembered. */
  async failureOf(eventId: string): Promise<DeliveryFailure | null> {
    const row = this.db.select().from(deliveryFailures).where(eq(deliveryFailures.eventId, eventId)).get();
    return row ? { attempts: row.attempts, reason: row.reason } : null;
  }

  /** Forgets failures of events delivered (or given up) long ago, then wakes for the next oldest. */
  override async alarm(): Promise<void> {
    this.db.delete(deliveryFailures).where(lt(deliveryFailures.at, Date.now() - failureRetentionMs)).run();
    const oldest = this.db.select({ at: deliveryFailures.at }).from(deliveryFailures).orderBy(asc(deliveryFailures.at)).limit(1).get();
    if (oldest) await this.ctx.storage.setAlarm(oldest.at + failureRetentionMs);
  }

  private settingsView(): EventSettingsView | null {
    const row = this.db.select().from(settings).where(eq(settings.id, 1)).get();
    return row ? { url: row.url, maskedSecret: `••••••••${row.secret.slice(-4)}`, updatedAt: row.updatedAt } : null;
  }
}
