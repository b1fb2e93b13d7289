import { asc, eq, lt } from "drizzle-orm";
import type { PutEventSettingsRequest } from "../shared/schemas/events.ts";
import { maskSecret, signEvent } from "../shared/signatures.ts";
import migrations from "./migrations/event-webhook/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/event-webhook.ts";
import { SealedSecret } from "./sealed-secret.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { deliveryFailures } = schema;

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
export class EventWebhook extends ShelfsyncObject<typeof schema, TenantIdentity> {
  private readonly settings = singleRow(this.db, schema.settings);
  /** The signing secret, sealed at rest (./sealed-secret.ts). */
  private readonly signingSecret = new SealedSecret(this.env, `event-webhook:${this.identity.tenantId}`);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  async configure(input: PutEventSettingsRequest): Promise<EventSettingsView> {
    const { sealed, masked } = await this.signingSecret.seal(input.secret);
    this.settings.put({ url: input.url, secret: sealed, maskedSecret: masked, updatedAt: this.now() });
    return this.settingsView()!;
  }

  async getSettings(): Promise<EventSettingsView | null> {
    return this.settingsView();
  }

  /** The URL and signature for delivering `body` at `timestamp` (Unix seconds); null when no webhook is set. */
  async sign(body: string, timestamp: number): Promise<SignedDelivery | null> {
    const row = this.settings.get();
    if (!row) return null;
    const secret = await this.signingSecret.open(row.secret, ({ sealed, masked }) => this.settings.put({ ...row, secret: sealed, maskedSecret: masked }));
    return { url: row.url, signature: await signEvent(secret, timestamp, body) };
  }

  async recordFailure(eventId: string, failure: DeliveryFailure): Promise<void> {
    const values = { ...failure, at: this.now() };
    this.db.insert(deliveryFailures).values({ eventId, ...values }).onConflictDoUpdate({ target: deliveryFailures.eventId, set: values }).run();
    await this.wakeBy(values.at + failureRetentionMs);
  }

  /** The event's latest failed attempt, if one is remembered. */
  async failureOf(eventId: string): Promise<DeliveryFailure | null> {
    const row = this.db.select().from(deliveryFailures).where(eq(deliveryFailures.eventId, eventId)).get();
    return row ? { attempts: row.attempts, reason: row.reason } : null;
  }

  /** Forgets failures of events delivered (or given up) long ago, then wakes for the next oldest. */
  protected override async onAlarm(): Promise<number | null> {
    this.db.delete(deliveryFailures).where(lt(deliveryFailures.at, this.now() - failureRetentionMs)).run();
    const oldest = this.db.select({ at: deliveryFailures.at }).from(deliveryFailures).orderBy(asc(deliveryFailures.at)).limit(1).get();
    return oldest ? oldest.at + failureRetentionMs : null;
  }

  private settingsView(): EventSettingsView | null {
    const row = this.settings.get();
    return row ? { url: row.url, maskedSecret: row.maskedSecret ?? maskSecret(row.secret), updatedAt: row.updatedAt } : null;
  }
}
