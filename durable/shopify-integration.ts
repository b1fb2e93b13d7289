import { and, asc, eq, lt } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { defaultMaxDeliveryAgeSeconds, type PutShopifyIntegrationRequest } from "../shared/schemas/integrations.ts";
import { maskSecret, verifyShopifySignature } from "../shared/signatures.ts";
import migrations from "./migrations/shopify-integration/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/shopify-integration.ts";
import { SealedSecret } from "./sealed-secret.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { webhooks } = schema;

/** A redelivered webhook id within this time has no second effect. Shopify itself retries for 4 hours. */
export const webhookRetentionMs = 30 * 24 * 60 * 60 * 1000;

/** A delivery still `processing` after this is taken to have died; a retry takes it over. */
export const processingLeaseMs = 60 * 1000;

export type WebhookSummary = Record<string, string | number | null>;

export interface ShopifySettingsView {
  channel: string;
  maskedSecret: string;
  maxDeliveryAgeSeconds: number;
  updatedAt: number;
}

export interface ShopifyDelivery {
  body: Uint8Array;
  signature: string | null;
  webhookId: string;
  /** What a repeat is recognised by: the delivery's X-Shopify-Event-Id, or its webhook id when it has none. */
  deliveryId: string;
  topic: string;
}

export type SettledState = "applied" | "unmapped" | "ignored";

/** A signed delivery to handle now, or the answer already given to its webhook id. */
export type Admission = Result<{ duplicate: false; channel: string; maxDeliveryAgeSeconds: number } | { duplicate: true; state: SettledState; summary: WebhookSummary }, "unauthorized" | "validation_failed" | "conflict">;

/**
 * One per tenant: the tenant's Shopify connection (webhook secret and
 * channel) and the webhook ids it has handled. Signatures are checked here,
 * so the secret never leaves the object.
 */
export class ShopifyIntegration extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly settings = singleRow(this.db, schema.settings);
  /** The webhook secret, sealed at rest (./sealed-secret.ts). */
  private readonly webhookSecret = new SealedSecret(this.env, `shopify-integration:${this.identity.tenantId}`);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  async configure(input: PutShopifyIntegrationRequest): Promise<ShopifySettingsView> {
    const { sealed, masked } = await this.webhookSecret.seal(input.webhookSecret);
    this.settings.put({ webhookSecret: sealed, maskedSecret: masked, channel: input.channel, maxDeliveryAgeSeconds: input.maxDeliveryAgeSeconds, updatedAt: this.now() });
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
    const current = this.settings.get();
    if (!current || !(await verifyShopifySignature(await this.webhookSecret.open(current.webhookSecret, ({ sealed, masked }) => this.settings.put({ ...current, webhookSecret: sealed, maskedSecret: masked })), delivery.body, delivery.signature))) {
      return fail("unauthorized", "The X-Shopify-Hmac-Sha256 signature is missing or does not match the body");
    }
    if (!delivery.webhookId || !delivery.topic || delivery.webhookId.length > 255 || delivery.deliveryId.length > 255) {
      return fail("validation_failed", "X-Shopify-Webhook-Id and X-Shopify-Topic are required");
    }
    const now = this.now();
    return this.transaction((): Admission => {
      const seen = this.db.select().from(webhooks).where(eq(webhooks.id, delivery.deliveryId)).get();
      if (seen && seen.state !== "processing") return { ok: true, duplicate: true, state: seen.state, summary: seen.summary ?? {} };
      if (seen && now - seen.receivedAt < processingLeaseMs) {
        return fail("conflict", `Webhook ${delivery.deliveryId} is being handled by another delivery; retry later`);
      }
      this.db
        .insert(webhooks)
        .values({ id: delivery.deliveryId, topic: delivery.topic, state: "processing", summary: null, receivedAt: now, settledAt: null })
        .onConflictDoUpdate({ target: webhooks.id, set: { receivedAt: now } })
        .run();
      return { ok: true, duplicate: false, channel: current.channel, maxDeliveryAgeSeconds: current.maxDeliveryAgeSeconds ?? defaultMaxDeliveryAgeSeconds };
    });
  }

  /** Records what a delivery did; a redelivery of its id gets this answer. */
  async settle(deliveryId: string, state: SettledState, summary: WebhookSummary): Promise<void> {
    const now = this.now();
    this.db.update(webhooks).set({ state, summary, settledAt: now }).where(eq(webhooks.id, deliveryId)).run();
    await this.wakeBy(now + webhookRetentionMs);
  }

  /** Lets a delivery that failed on our side be handled again by Shopify's retry, at once. */
  async release(deliveryId: string): Promise<void> {
    this.db.delete(webhooks).where(and(eq(webhooks.id, deliveryId), eq(webhooks.state, "processing"))).run();
  }

  /** Forgets webhook ids past their retention, then wakes for the next oldest. */
  protected override async onAlarm(): Promise<number | null> {
    this.db.delete(webhooks).where(lt(webhooks.receivedAt, this.now() - webhookRetentionMs)).run();
    const oldest = this.db.select({ receivedAt: webhooks.receivedAt }).from(webhooks).orderBy(asc(webhooks.receivedAt)).limit(1).get();
    return oldest ? oldest.receivedAt + webhookRetentionMs : null;
  }

  private settingsView(): ShopifySettingsView | null {
    const row = this.settings.get();
    return row
      ? { channel: row.channel, maskedSecret: row.maskedSecret ?? maskSecret(row.webhookSecret), maxDeliveryAgeSeconds: row.maxDeliveryAgeSeconds ?? defaultMaxDeliveryAgeSeconds, updatedAt: row.updatedAt }
      : null;
  }
}
