import { eq, inArray } from "drizzle-orm";
import type {
  AmazonConnectionSettings,
  AmazonCredentials,
  Connection,
  ConnectionLocations,
  ConnectionStatus,
  PutConnectionRequest,
  ShopifyConnectionSettings,
  ShopifyCredentials,
  WalmartConnectionSettings,
  WalmartCredentials,
} from "../shared/schemas/connections.ts";
import { maskSecret } from "../shared/signatures.ts";
import { connectionStatus, pruneActivity } from "./connectors/connection-status.ts";
import { TargetFeeds } from "./connectors/target-feeds.ts";
import { initialBucket } from "./connectors/cost-bucket.ts";
import { PushLedger, type ConnectorPush, type PushStep } from "./connectors/push-ledger.ts";
import { AmazonPush, type TokenHolder as AmazonTokenHolder } from "./connectors/amazon-push.ts";
import { ShopifyPush } from "./connectors/shopify-push.ts";
import { WalmartPush, type TokenHolder } from "./connectors/walmart-push.ts";
import { openCredentials, sealCredentials } from "./credentials.ts";
import migrations from "./migrations/channel-connection/migrations.js";
import { availabilityIndex, parseName, type ConnectionIdentity } from "./objects.ts";
import * as schema from "./schema/channel-connection.ts";
import { writesIn } from "./connectors/usage-months.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";
import { recordHops } from "./trace-hops.ts";
import type { HopRecord } from "./trace-log.ts";

const { remoteSkus, locationCursors, poolTarget } = schema;

/** One run of the alarm pushes for at most this long, then sets the alarm to go on. */
const runBudgetMs = 20_000;
/** The longest single wait an exception's replay sits through for its SKU's answer. */
const replayWaitMs = 5_000;
/** A nudge waits this long before the push, so that a burst of changes goes out as one write. */
const coalesceMs = 100;

/**
 * One per connection (named `<tenant>/<connectionId>`): a channel's
 * availability, pushed to a remote (a Shopify shop, a Walmart or Amazon
 * seller account) and kept there; for Walmart and Amazon, also their orders
 * taken in and the shipments of those orders confirmed back.
 *
 * It reads its channel's availability change feed by cursor into one row per
 * SKU (`remote_skus`, the pool target), and each mapped location's stock feed
 * into rows of that location's target, so changes coalesce: only the latest
 * value of a (target, SKU) is wanted, and one whose value the remote already
 * confirmed is not sent again. The push itself (budget, batches, retries) is each remote's class in
 * ./connectors/, on what they share (./connectors/push-ledger.ts).
 * The availability index nudges the object when its channel or a mapped
 * location changes; the alarm also reads the feeds every minute, so a lost
 * nudge costs a minute, never a change.
 */
export class ChannelConnection extends ShelfsyncObject<typeof schema, ConnectionIdentity> {
  private readonly row = singleRow(this.db, schema.connection);
  /** Not before this (epoch ms) may a nudge bring the next push forward: a backoff or a refilling bucket set it. */
  private notBefore = 0;
  /** Hops of traced shipments settled in the current run, recorded at its end. */
  private readonly hops: HopRecord[] = [];
  /** A Walmart access token (15 minutes) or an Amazon LWA one (an hour), in memory only. */
  private readonly walmartTokens: TokenHolder = { token: null };
  private readonly amazonTokens: AmazonTokenHolder = { token: null };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.connection });
  }

  /** Creates or replaces the connection. A new channel starts its feed from the beginning; new credentials lift a rejection. */
  async configure(input: PutConnectionRequest): Promise<{ connection: Connection; created: boolean }> {
    return this.serialized(() => this.replaceConfiguration(input));
  }

  private async replaceConfiguration(input: PutConnectionRequest): Promise<{ connection: Connection; created: boolean }> {
    const now = this.now();
    this.notBefore = 0;
    this.walmartTokens.token = null;
    this.amazonTokens.token = null;
    const current = this.row.get();
    const sealed = await sealCredentials(this.env.CONNECTION_CREDENTIALS_KEY, this.ctx.id.name!, input.credentials);
    const channelChanged = current !== undefined && current.channel !== input.channel;
    const shopChanged = current !== undefined && remoteOf(current.type, current.settings) !== remoteOf(input.type, input.settings);
    const targets = current === undefined ? { changed: [], removed: [] } : changedTargets(current.locations, input.locations);
    const locationChanged = targets.changed.length > 0 || targets.removed.length > 0;
    this.transaction(() => {
      this.row.put({
        type: input.type,
        channel: input.channel,
        settings: input.settings,
        sealedCredentials: sealed,
        maskedCredentials: maskAll(input.credentials),
        locations: input.locations,
        enabled: input.enabled,
        createdAt: current?.createdAt ?? now,
        updatedAt: now,
        // No pool (any more): when one is mapped again, the channel's feed is read from the start.
        cursor: channelChanged || input.locations.pool === undefined ? 0 : (current?.cursor ?? 0),
        state: input.enabled ? "syncing" : "disabled",
        lastError: null,
        lastErrorAt: null,
        failures: 0,
        bucket: current?.bucket ?? null,
        writeCost: current?.writeCost ?? null,
        batches: current?.batches ?? 0,
        // Another seller or channel: its orders are listed from the look-back again.
        ...(channelChanged || shopChanged ? { ordersAfter: null, ordersPageToken: null } : {}),
      });
      // Another channel: its feed from the start. Another shop: its own item ids, its own figures.
      // Another remote location for a target: nothing confirmed there. A target no longer mapped:
      // its rows and cursor forgotten, so nothing goes to its old remote location again.
      // The write in flight only goes on if none of them changed.
      if (channelChanged) this.db.delete(remoteSkus).where(eq(remoteSkus.target, poolTarget)).run();
      for (const target of targets.removed) this.forgetTarget(target);
      if (shopChanged) this.forgetRemote(true);
      else if (targets.changed.length > 0) this.forgetRemote(false, targets.changed);
      if (channelChanged || shopChanged || locationChanged) this.db.delete(schema.inFlight).run();
    });
    if (input.enabled) await this.wakeAt(now);
    return { connection: this.view()!, created: current === undefined };
  }

  async get(): Promise<Connection | null> {
    return this.view();
  }

  /**
   * Forgets what the remote confirmed and pushes every SKU again, looked up
   * afresh: for a shop whose figures changed behind Shelfsync's back (restored,
   * edited by hand, emptied).
   */
  async resync(): Promise<Connection | null> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current) return null;
      this.transaction(() => {
        this.forgetRemote(true);
        this.db.delete(schema.inFlight).run();
      });
      this.notBefore = 0;
      if (current.enabled) await this.wakeAt(this.now());
      return this.view();
    });
  }

  /** Every SKU (of `targets`, or of all) pending again without a confirmed value (and, with `items`, without its remote id, to be looked up again). */
  private forgetRemote(items: boolean, targets?: string[]): void {
    this.db
      .update(remoteSkus)
      .set(items ? { remote: null, confirmedAt: null, pending: true, remoteId: null, unmapped: false } : { remote: null, confirmedAt: null, pending: true })
      .where(targets ? inArray(remoteSkus.target, targets) : undefined)
      .run();
  }

  /** A target no longer mapped: its rows and its feed cursor go. */
  private forgetTarget(target: string): void {
    this.db.delete(remoteSkus).where(eq(remoteSkus.target, target)).run();
    if (target !== poolTarget) this.db.delete(locationCursors).where(eq(locationCursors.location, target)).run();
  }

  /**
   * A fulfilment recorded in Shelfsync, to confirm to the remote the order
   * came from: kept once per event, sent by the next push. False when the
   * order is not one this connection took from its remote (Walmart, Amazon)
   * or the connection does not confirm shipments (Shopify's `confirmShipments`;
   * Shopify's orders arrive by webhook, the caller checked the channel).
   */
  async recordShipment(
    eventId: string,
    shipment: { externalId: string; lines: { sku: string; qty: number }[]; carrier: string | null; tracking: string | null },
    traceparent: string | null = null,
  ): Promise<boolean> {
    const current = this.row.get();
    if (!current) return false;
    const taken =
      current.type === "shopify"
        ? (current.settings as ShopifyConnectionSettings).confirmShipments
        : this.db.select({ id: schema.remoteOrders.externalId }).from(schema.remoteOrders).where(eq(schema.remoteOrders.externalId, shipment.externalId)).get() !== undefined;
    if (!taken) return false;
    this.db
      .insert(schema.shipments)
      .values({ eventId, ...shipment, traceparent, state: "pending", reason: null, attempt: null, createdAt: this.now(), settledAt: null })
      .onConflictDoNothing()
      .run();
    if (current.enabled) await this.wakeBy(Math.max(this.now() + coalesceMs, this.notBefore));
    return true;
  }

  /** Reads one of the remote's orders again and records it (and acknowledges it, on Walmart): a `channel_order_unmapped` exception's replay. */
  async retryOrder(externalId: string): Promise<{ recorded: boolean; detail: string }> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled || current.type === "shopify") return { recorded: false, detail: `connection ${this.identity.connectionId} is not an enabled Walmart or Amazon connection` };
      const push = (await this.push(current)) as WalmartPush | AmazonPush;
      return push.retryOrder(externalId);
    });
  }

  /**
   * Sends a refused shipment confirmation again now: a
   * `channel_shipment_refused` exception's replay, once its cause is fixed on
   * the remote. Resolved when the remote takes it.
   */
  async retryShipment(eventId: string): Promise<{ confirmed: boolean; detail: string }> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled) return { confirmed: false, detail: `connection ${this.identity.connectionId} is disabled` };
      const shipment = this.db.select().from(schema.shipments).where(eq(schema.shipments.eventId, eventId)).get();
      if (!shipment) return { confirmed: false, detail: `connection ${this.identity.connectionId} has no shipment of event ${eventId}` };
      if (shipment.state === "confirmed") return { confirmed: true, detail: `already confirmed for order ${shipment.externalId}` };
      this.db.update(schema.shipments).set({ state: "pending", reason: null, settledAt: null }).where(eq(schema.shipments.eventId, eventId)).run();
      const push = await this.push(current);
      const step = await this.waitingOutShortWaits(async () => (await push.confirmShipments?.()) ?? { kind: "idle" }, this.now() + runBudgetMs);
      await this.recordTracedHops();
      const after = this.db.select().from(schema.shipments).where(eq(schema.shipments.eventId, eventId)).get()!;
      if (after.state === "confirmed") return { confirmed: true, detail: `order ${after.externalId}: the remote took the shipment` };
      if (after.state === "refused") return { confirmed: false, detail: after.reason ?? "refused again" };
      // Still pending (a budget, a failure): the next push sends it; the replay reports why not now.
      return { confirmed: false, detail: step.kind !== "idle" ? `not sent yet: ${step.reason}` : "not sent yet" };
    });
  }

  /** Stops pushing; the configuration and what the remote confirmed stay, for a later PUT to resume. */
  async disable(): Promise<Connection | null> {
    return this.serialized(async () => {
      if (!this.row.get()) return null;
      this.row.put({ ...this.row.get()!, enabled: false, state: "disabled", updatedAt: this.now() });
      return this.view();
    });
  }

  /** The channel changed: push soon, after a short wait that lets a burst coalesce. */
  async nudge(): Promise<void> {
    const current = this.row.get();
    if (current?.enabled && current.state !== "credentials_rejected") await this.wakeBy(Math.max(this.now() + coalesceMs, this.notBefore));
  }

  async status(): Promise<ConnectionStatus | null> {
    const current = this.row.get();
    return current ? connectionStatus(this.db, current, this.identity.connectionId, this.now()) : null;
  }

  /**
   * Pushes one SKU again now: an exception's replay, after the SKU was
   * created on the remote. Resolved once the remote confirms its value.
   */
  async retrySku(sku: string): Promise<{ confirmed: boolean; detail: string }> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled) return { confirmed: false, detail: `connection ${this.identity.connectionId} is disabled` };
      const row = this.db.select().from(remoteSkus).where(eq(remoteSkus.sku, sku)).get();
      if (!row) return { confirmed: false, detail: `${sku} has no availability on channel ${current.channel} nor at a mapped location` };
      this.db.update(remoteSkus).set({ unmapped: false, remoteId: null, pending: true }).where(eq(remoteSkus.sku, sku)).run();
      const push = await this.push(current);
      const deadline = this.now() + runBudgetMs;
      const outcome = await this.waitingOutShortWaits(() => push.pushSkus([sku], deadline), deadline);
      const after = this.db.select().from(remoteSkus).where(eq(remoteSkus.sku, sku)).all();
      const remote = { shopify: "Shopify", walmart: "Walmart", amazon: "Amazon" }[current.type];
      if (after.every((target) => !target.pending)) {
        const values = after.map((target) => `${target.remote} at ${target.target === poolTarget ? "the pool's location" : `location ${target.target}'s`}`);
        return { confirmed: true, detail: `${remote} confirmed ${values.join(", ")} available for ${sku}` };
      }
      return { confirmed: false, detail: after.some((target) => target.unmapped) ? `${remote} still has no item with SKU ${sku}` : describe(outcome) };
    });
  }

  /** Runs `step` again after each short wait (a budget refilling, an accepted patch to read back): a replay wants the answer. */
  private async waitingOutShortWaits(step: () => Promise<PushStep>, deadline: number): Promise<PushStep> {
    let outcome = await step();
    while (outcome.kind === "wait" && outcome.wakeAt < deadline && outcome.wakeAt - this.now() <= replayWaitMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, outcome.kind === "wait" ? outcome.wakeAt - this.now() : 0)));
      outcome = await step();
    }
    return outcome;
  }

  /**
   * Reads the feed, then pushes. A run cut short (the instance died waiting
   * for Shopify) is run again by the runtime, which retries an alarm that did
   * not finish; the write it left in `in_flight` goes out again first, under
   * its key.
   */
  protected override async onAlarm(): Promise<number | null> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled || current.state === "credentials_rejected") return null;
      const now = this.now();
      pruneActivity(this.db, now);
      await new TargetFeeds({
        db: this.db,
        transaction: (run) => this.transaction(run),
        index: availabilityIndex(this.env, this.identity.tenantId),
        poolCursor: { get: () => this.row.get()!.cursor, set: (cursor) => this.row.put({ ...this.row.get()!, cursor }) },
      }).read(current);
      const push = await this.push(this.row.get()!);
      const step = await push.pushPending(now + runBudgetMs);
      await this.recordTracedHops();
      if (step.kind === "stopped") return null;
      this.notBefore = step.kind === "wait" ? step.wakeAt : 0;
      const due = push.nextDue?.() ?? null;
      const next = step.kind === "idle" ? now + this.catchUpMs() : step.wakeAt;
      return due === null ? next : Math.max(now, Math.min(next, due));
    });
  }

  /** Hands the hops this run's shipments added to their orders' traces to the trace log (lost, never retried, if it cannot be reached). */
  private async recordTracedHops(): Promise<void> {
    if (this.hops.length > 0) await recordHops(this.env, this.identity.tenantId, this.hops.splice(0));
  }

  /** The push of the connection's remote, with its credentials opened for this run. */
  private async push(current: typeof schema.connection.$inferSelect): Promise<ConnectorPush> {
    const credentials = await openCredentials<ShopifyCredentials & WalmartCredentials & AmazonCredentials>(this.env.CONNECTION_CREDENTIALS_KEY, this.ctx.id.name!, current.sealedCredentials);
    const ledger = new PushLedger({
      db: this.db,
      transaction: (run) => this.transaction(run),
      env: this.env,
      identity: this.identity,
      connection: current,
      now: () => this.now(),
      traced: (hop) => this.hops.push(hop),
    });
    switch (current.type) {
      case "walmart":
        return new WalmartPush(ledger, credentials, this.walmartTokens);
      case "amazon":
        return new AmazonPush(ledger, credentials, this.amazonTokens);
      case "shopify":
        return new ShopifyPush(ledger, credentials, current.bucket ?? initialBucket(this.now()));
    }
  }

  /** While enabled, the connection reads its feed at least this often, in case a nudge was lost. */
  private catchUpMs(): number {
    return Number(this.env.CONNECTION_CATCH_UP_SECONDS) * 1000;
  }

  private view(): Connection | null {
    const row = this.row.get();
    if (!row) return null;
    const base = {
      id: this.identity.connectionId,
      channel: row.channel,
      locations: row.locations,
      enabled: row.enabled,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    };
    const secrets = (name: string) => row.maskedCredentials[name] ?? "";
    // The row's settings were validated for its type when they were stored.
    switch (row.type) {
      case "shopify":
        return { ...base, type: "shopify", settings: row.settings as ShopifyConnectionSettings, credentials: { accessToken: secrets("accessToken") } };
      case "walmart":
        return { ...base, type: "walmart", settings: row.settings as WalmartConnectionSettings, credentials: { clientId: secrets("clientId"), clientSecret: secrets("clientSecret") } };
      case "amazon":
        return {
          ...base,
          type: "amazon",
          settings: row.settings as AmazonConnectionSettings,
          credentials: { refreshToken: secrets("refreshToken"), clientId: secrets("clientId"), clientSecret: secrets("clientSecret") },
        };
    }
  }

  /** For the partner's usage report: calls that changed the remote in `month` (YYYY-MM). */
  async connectorWrites(month: string): Promise<number> {
    return writesIn(this.db, month);
  }
}

/**
 * How the targets of `after` differ from `before`'s: `changed`, mapped to
 * another remote location (nothing confirmed there yet); `removed`, no longer
 * mapped. The pool is `poolTarget`; any other target is a Shelfsync location.
 */
function changedTargets(before: ConnectionLocations, after: ConnectionLocations): { changed: string[]; removed: string[] } {
  const changed: string[] = [];
  const removed: string[] = [];
  const compare = (target: string, was: string | undefined, now: string | undefined) => {
    if (was === undefined || was === now) return;
    (now === undefined ? removed : changed).push(target);
  };
  compare(poolTarget, before.pool, after.pool);
  for (const [location, was] of Object.entries(before.byLocation ?? {})) compare(location, was, after.byLocation?.[location]);
  return { changed, removed };
}

/** Which remote account a connection's settings name: another one means other item ids and other figures. */
function remoteOf(type: string, settings: ShopifyConnectionSettings | WalmartConnectionSettings | AmazonConnectionSettings): string {
  if ("shopDomain" in settings) return `${type}:${settings.shopDomain}:${settings.baseUrl ?? ""}`;
  if ("sellerId" in settings) return `${type}:${settings.sellerId}:${settings.marketplaceIds.join(",")}:${settings.baseUrl ?? settings.region}`;
  return `${type}:${settings.baseUrl ?? ""}`;
}

function maskAll(credentials: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(credentials).map(([name, secret]) => [name, maskSecret(secret)]));
}

function describe(step: PushStep): string {
  return step.kind === "idle" ? "nothing left to push" : `not confirmed yet: ${step.reason}`;
}
