import { eq, inArray } from "drizzle-orm";
import type { WalmartConnectionSettings, WalmartCredentials } from "../../shared/schemas/connections.ts";
import * as schema from "../schema/channel-connection.ts";
import { affordableAt, spend, type BucketState } from "./cost-bucket.ts";
import { bySku, feedPollDelayMs, targetOf, type ConnectorPush, type PushLedger, type PushStep, type RemoteSkuRow } from "./push-ledger.ts";
import { feedStatus, fetchToken, setInventory, submitInventoryFeed, type WalmartAnswer, type WalmartTarget, type WalmartToken } from "./walmart-api.ts";
import { WalmartOrders } from "./walmart-orders.ts";
import { WalmartShipments } from "./walmart-shipments.ts";

const { remoteSkus, inFlight } = schema;

/** Walmart's published limits for inventory feeds: 10 an hour, 50,000 items each. */
const feedsPerHour = 10;
const maxFeedItems = 50_000;
const hourMs = 60 * 60_000;
/** A token is renewed this long before it expires. */
const tokenMarginMs = 60_000;

type InFlightRow = typeof inFlight.$inferSelect;

/** The connection object's token, kept in memory only: a restart asks for a new one. */
export interface TokenHolder {
  token: WalmartToken | null;
}

/**
 * One run of a Walmart connection's push. A few pending (target, SKU) rows go
 * out one `PUT /v3/inventory?sku=…&shipNode=…` each (the target's ship node:
 * the pool's or a Shelfsync location's own), paced by
 * `inventoryCallsPerMinute`; more than `feedThreshold` go out as one
 * MP_INVENTORY feed (one item per SKU listing each of its ship nodes; at most
 * 10 an hour, as Walmart allows), followed until processed and settled per item. Values
 * are absolute, so a call or feed sent twice (after a crash before its
 * answer was stored) sets the same figures twice: idempotent in effect. A
 * feed in flight is stored before it is submitted and its id once Walmart
 * gives one; an item Walmart does not know becomes an exception.
 */
export class WalmartPush implements ConnectorPush {
  private readonly target: WalmartTarget;
  private readonly settings: WalmartConnectionSettings;
  private bucket: BucketState;

  constructor(
    private readonly ledger: PushLedger,
    credentials: WalmartCredentials,
    private readonly tokens: TokenHolder,
  ) {
    this.settings = ledger.connection.settings as WalmartConnectionSettings;
    this.target = { baseUrl: this.settings.baseUrl ?? "https://marketplace.walmartapis.com", serviceName: this.settings.serviceName, ...credentials };
    const restoreRate = this.settings.inventoryCallsPerMinute / 60;
    const saved = ledger.connection.bucket;
    this.bucket = saved && saved.restoreRate === restoreRate ? saved : { maximumAvailable: this.settings.inventoryCallsPerMinute, currentlyAvailable: this.settings.inventoryCallsPerMinute, restoreRate, at: ledger.now() };
  }

  async pushPending(deadline: number): Promise<PushStep> {
    if (this.settings.pullOrders && (this.nextDue() ?? Number.POSITIVE_INFINITY) <= this.ledger.now()) {
      const token = await this.token();
      if (typeof token !== "string") return token;
      const stopped = await new WalmartOrders(this.ledger, this.target).pull(token);
      if (stopped) return stopped;
    }
    const stopped = await this.confirmShipments();
    if (stopped) return stopped;
    return this.run(deadline, null);
  }

  /** Sends the pending shipment confirmations; null when none is left pending, else how the run stops. */
  async confirmShipments(): Promise<PushStep | null> {
    if (!this.ledger.hasPendingShipments()) return null;
    const token = await this.token();
    if (typeof token !== "string") return token;
    return new WalmartShipments(this.ledger, this.target).send(token);
  }

  /** One of Walmart's orders read, recorded and acknowledged again (an exception's replay). */
  async retryOrder(purchaseOrderId: string): Promise<{ recorded: boolean; detail: string }> {
    const token = await this.token();
    if (typeof token !== "string") return { recorded: false, detail: token.kind === "idle" ? "no token" : token.reason };
    return new WalmartOrders(this.ledger, this.target).retry(token, purchaseOrderId);
  }

  nextDue(): number | null {
    return this.settings.pullOrders ? (this.ledger.connection.ordersCheckedAt ?? 0) + this.settings.orderPollSeconds * 1000 : null;
  }

  pushSkus(skus: string[], deadline: number): Promise<PushStep> {
    return this.run(deadline, skus);
  }

  private async run(deadline: number, only: string[] | null): Promise<PushStep> {
    for (;;) {
      const now = this.ledger.now();
      if (now > deadline) return { kind: "wait", wakeAt: now, reason: "more to push" };
      const token = await this.token();
      if (typeof token !== "string") return token;
      const feed = this.ledger.db.select().from(inFlight).limit(1).get();
      if (feed && !only) {
        const step = await this.followFeed(token, feed);
        if (step.kind !== "idle") return step;
        continue;
      }
      const where = only ? [inArray(remoteSkus.sku, only)] : [];
      const pending = this.ledger.pending(maxFeedItems, where);
      if (pending.length === 0) {
        this.ledger.setState("idle");
        return { kind: "idle" };
      }
      const step = !only && pending.length > this.settings.feedThreshold && this.feedsLeft() > 0 ? await this.submitFeed(token, pending) : await this.putOne(token, pending[0]!);
      if (step.kind !== "idle") return step;
    }
  }

  /** A token valid for a while yet, asked for when there is none; or how the run stops. */
  private async token(): Promise<string | PushStep> {
    const now = this.ledger.now();
    if (this.tokens.token && this.tokens.token.expiresAt - tokenMarginMs > now) return this.tokens.token.value;
    const answer = await fetchToken(this.target, now);
    if (!answer.ok) return this.failed(answer);
    this.tokens.token = answer.data;
    return answer.data.value;
  }

  /** One SKU's quantity at its target's ship node, paced by the calls-per-minute budget. */
  private async putOne(token: string, row: RemoteSkuRow): Promise<PushStep> {
    const now = this.ledger.now();
    const at = affordableAt(this.bucket, 1, now);
    if (at > now) return { kind: "wait", wakeAt: at, reason: "pacing single-SKU updates to inventoryCallsPerMinute" };
    this.bucket = spend(this.bucket, 1, now);
    const answer = await setInventory(this.target, token, row.sku, this.ledger.remoteLocation(row.target)!, row.wanted);
    this.ledger.record("write", 1);
    this.ledger.save({ bucket: this.bucket });
    if (answer.ok) {
      this.ledger.confirm([{ target: row.target, sku: row.sku, quantity: row.wanted, changedAt: row.changedAt }]);
      this.ledger.setState("syncing");
      return { kind: "idle" };
    }
    if (answer.kind === "notFound") {
      await this.ledger.unmapped([row.sku], "Walmart has no item with this SKU");
      return { kind: "idle" };
    }
    return this.failed(answer);
  }

  /** Feeds Walmart still allows this hour. */
  private feedsLeft(): number {
    return feedsPerHour - this.ledger.recorded("feed", this.ledger.now() - hourMs).count;
  }

  /** Stores the feed's items, then submits it; its id is stored with them, and it is followed up by the next runs. */
  private async submitFeed(token: string, pending: RemoteSkuRow[]): Promise<PushStep> {
    const quantities = pending.map((row) => ({ target: row.target, sku: row.sku, remoteId: row.sku, quantity: row.wanted, changeFromQuantity: null, wantedSeq: row.wantedSeq, changedAt: row.changedAt }));
    const row: InFlightRow = { key: `feed-${this.ledger.connection.batches + 1}`, quantities, createdAt: this.ledger.now(), tries: 0, remoteRef: null, feedDocument: null };
    this.ledger.save({ batches: this.ledger.connection.batches + 1 });
    this.ledger.db.insert(inFlight).values(row).run();
    return this.followFeed(token, row);
  }

  /**
   * A feed not yet taken by Walmart (a crash before its id was stored) is
   * submitted (again); a taken one is polled, then settled item by item.
   */
  private async followFeed(token: string, row: InFlightRow): Promise<PushStep> {
    const now = this.ledger.now();
    if (row.remoteRef === null) {
      if (this.feedsLeft() <= 0) {
        const oldest = this.ledger.recorded("feed", now - hourMs).oldest ?? now;
        return { kind: "wait", wakeAt: oldest + hourMs, reason: "Walmart allows 10 inventory feeds an hour" };
      }
      const items = bySku(row.quantities).map(([sku, quantities]) => ({ sku, nodes: quantities.map((q) => ({ shipNode: this.ledger.remoteLocation(targetOf(q))!, amount: q.quantity })) }));
      const submitted = await submitInventoryFeed(this.target, token, items);
      this.ledger.record("feed", 1);
      if (!submitted.ok) return this.failed(submitted);
      this.ledger.db.update(inFlight).set({ remoteRef: submitted.data }).where(eq(inFlight.key, row.key)).run();
      return { kind: "wait", wakeAt: now + 1_000, reason: `feed ${submitted.data} submitted` };
    }
    const answer = await feedStatus(this.target, token, row.remoteRef);
    if (!answer.ok && answer.kind === "notFound") {
      // Walmart does not know the feed (any more): its items are still pending and go out again.
      this.ledger.db.delete(inFlight).where(eq(inFlight.key, row.key)).run();
      return { kind: "idle" };
    }
    if (!answer.ok) return this.failed(answer);
    const status = answer.data;
    if (status.feedStatus === "RECEIVED" || status.feedStatus === "INPROGRESS") {
      this.ledger.db.update(inFlight).set({ tries: row.tries + 1 }).where(eq(inFlight.key, row.key)).run();
      // Walmart takes up to 30 minutes: look again after a tenth of the time so far.
      return { kind: "wait", wakeAt: now + feedPollDelayMs(row.createdAt, now), reason: `feed ${row.remoteRef} is ${status.feedStatus}` };
    }
    const items = new Map((status.itemDetails?.itemIngestionStatus ?? []).map((item) => [item.sku, item]));
    const succeeded = row.quantities.filter((q) => items.get(q.sku)?.ingestionStatus === "SUCCESS");
    // Walmart settles a feed item (a SKU, every ship node it lists) as a whole.
    const refused = row.quantities.filter((q) => items.get(q.sku)?.ingestionStatus === "DATA_ERROR");
    this.ledger.confirm(succeeded, () => this.ledger.db.delete(inFlight).where(eq(inFlight.key, row.key)).run());
    for (const [sku] of bySku(refused)) {
      const error = items.get(sku)?.ingestionErrors?.ingestionError?.[0];
      await this.ledger.unmapped([sku], `Walmart refused it in feed ${row.remoteRef}: ${error?.code ?? "DATA_ERROR"} ${error?.description ?? ""}`.trim());
    }
    // Items neither confirmed nor refused (a system error, a timeout) stay pending and go out again.
    if (status.feedStatus === "ERROR" && succeeded.length === 0) return this.ledger.retryLater(`feed ${row.remoteRef} ended in ERROR`, "feed error");
    this.ledger.setState("syncing");
    return { kind: "idle" };
  }

  private failed(answer: Exclude<WalmartAnswer<unknown>, { ok: true }>): PushStep {
    const now = this.ledger.now();
    switch (answer.kind) {
      case "throttled":
        this.bucket = { ...this.bucket, currentlyAvailable: 0, at: now };
        this.ledger.save({ bucket: this.bucket });
        return this.ledger.throttled(now + (answer.retryAfterMs ?? 60_000), answer.message);
      case "unauthorized":
        // The token was not taken (expired early, revoked): the next call asks for another.
        this.tokens.token = null;
        return this.ledger.retryLater(answer.message);
      case "rejected":
        return this.ledger.credentialsRejected(answer.message);
      default:
        return this.ledger.retryLater(answer.message);
    }
  }
}
