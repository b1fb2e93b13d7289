import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, lt } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { fail, type Result } from "../shared/errors.ts";
import type { PutShopifyIntegrationRequest } from "../shared/schemas/integrations.ts";
import { verifyShopifySignature } from "../workers/integrations/shopify/signature.ts";
import migrations from "./migrations/shopify-integration/migrations.js";
import * as schema from "./schema/shopify-integration.ts";

const { settings, webhooks } = schema;

/** A redelivered webhook id within this time has no second effect. Shopify itself retries for 4 hours. */
export const webhookRetentionMs = 30 * 24 * 60 * 60 * 1000;

/** A delivery still `processing` after this is taken to have died; a retry takes it over. */
export const processingLeaseMs = 60 * 1000;

export type WebhookSummary = Record<string, string | number | null>;

export interface ShopifySettingsView {
  channel: string;
  maskedSecret: string;
  updatedAt: number;
}

export interface ShopifyDelivery {
  body: Uint8Array;
  signature: string | null;
  webhookId: string;
  topic: string;
}

export type SettledState = "applied" | "unmapped" | "ignored";

/** A signed delivery to handle now, or the answer already given to its webhook id. */
export type Admission = Result<{ duplicate: false; channel: string } | { duplicate: true; state: SettledState; summary: WebhookSummary }, "unauthorized" | "validation_failed" | "conflict">;

/**
 * One per tenant: the tenant's Shopify connection (webhook secret and
 * channel) and the webhook ids it has handled. Signatures are checked here,
 * so the secret never leaves the object.
 */
export class ShopifyIntegration extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  async configure(input: PutShopifyIntegrationRequest): Promise<ShopifySettingsView> {
    const values = { webhookSecret: input.webhookSecret, channel: input.channel, updatedAt: Date.now() };
    this.db.insert(settings).values({ id: 1, ...values }).onConflictDoUpdate({ target: settings.id, set: values }).run();
    return this.settingsView()!;
  }

  async getSettings(): Promise<ShopifySettingsView | null> {
    return this.settingsView();
  }

  /**
   * Checks the delivery's signature over its raw bytes and claims its
   * webhook id. A forged or unsigned delivery (or one for a tenant without
   * a Shopify connection) is `unauthorized` and leaves no trace; a settled
   * id answers as before; an id another delivery is handling right now is
   * a `conflict` (Shopify retries later).
   */
  async admit(delivery: ShopifyDelivery): Promise<Admission> {
    const current = this.db.select().from(settings).where(eq(settings.id, 1)).get();
    if (!current || !(await verifyShopifySignature(current.webhookSecret, delivery.body, delivery.signature))) {
      return fail("unauthorized", "The X-Shopify-Hmac-Sha256 signature is missing or does not match the body");
    }
    if (!delivery.webhookId || !delivery.topic || delivery.webhookId.length > 255) {
      return fail("validation_failed", "X-Shopify-Webhook-Id and X-Shopify-Topic are required");
    }
    const now = Date.now();
    return this.ctx.storage.transactionSync((): Admission => {
      const seen = this.db.select().from(webhooks).where(eq(webhooks.id, delivery.webhookId)).get();
      if (seen && seen.state !== "processing") return { ok: true, duplicate: true, state: seen.state, summary: seen.summary ?? {} };
      if (seen && now - seen.receivedAt < processingLeaseMs) {
        return fail("conflict", `Webhook ${delivery.webhookId} is being handled by another delivery; retry later`);
      }
      this.db
        .insert(webhooks)
        .values({ id: delivery.webhookId, topic: delivery.topic, state: "processing", summary: null, receivedAt: now, settledAt: null })
        .onConflictDoUpdate({ target: webhooks.id, set: { receivedAt: now } })
        .run();
      return { ok: true, duplicate: false, channel: current.channel };
    });
  }

  /** Records what a delivery did; a redelivery of its id gets this answer. */
  async settle(webhookId: string, state: SettledState, summary: WebhookSummary): Promise<void> {
    this.db.update(webhooks).set({ state, summary, settledAt: Date.now() }).where(eq(webhooks.id, webhookId)).run();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + webhookRetentionMs);
  }

  /** Lets a delivery that failed on our side be handled again by Shopify's retry, at once. */
  async release(webhookId: string): Promise<void> {
    this.db.delete(webhooks).where(and(eq(webhooks.id, webhookId), eq(webhooks.state, "processing"))).run();
  }

  /** Forgets webhook ids past their retention, then wakes for the next oldest. */
  override async alarm(): Promise<void> {
    this.db.delete(webhooks).where(lt(webhooks.receivedAt, Date.now() - webhookRetentionMs)).run();
    const oldest = this.db.select({ receivedAt: webhooks.receivedAt }).from(webhooks).orderBy(asc(webhooks.receivedAt)).limit(1).get();
    if (oldest) await this.ctx.storage.setAlarm(oldest.receivedAt + webhookRetentionMs);
  }

  private settingsView(): ShopifySettingsView | null {
    const row = this.db.select().from(settings).where(eq(settings.id, 1)).get();
    return row ? { channel: row.channel, maskedSecret: `••••••••${row.webhookSecret.slice(-4)}`, updatedAt: row.updatedAt } : null;
  }
}
