import { eq, inArray, isNull, like } from "drizzle-orm";
import { amazonRegions, type AmazonConnectionSettings, type AmazonCredentials } from "../../shared/schemas/connections.ts";
import * as schema from "../schema/channel-connection.ts";
import {
  createFeed,
  createFeedDocument,
  feedResult,
  fetchToken,
  getFeed,
  getListing,
  listingsFeed,
  patchQuantity,
  uploadFeedDocument,
  type AmazonAnswer,
  type ChannelQuantity,
  type AmazonTarget,
  type AmazonToken,
} from "./amazon-api.ts";
import { AmazonOrders, type AmazonCalls } from "./amazon-orders.ts";
import { AmazonShipments } from "./amazon-shipments.ts";
import { applicationBudget } from "../objects.ts";
import { affordableAt, availableAt, spend, type BucketState } from "./cost-bucket.ts";
import { bySku, feedPollDelayMs, targetOf, type ConnectorPush, type PushLedger, type PushStep, type RemoteSkuRow } from "./push-ledger.ts";

const { remoteSkus, inFlight, activity } = schema;

type Kind = (typeof activity.$inferSelect)["kind"];
type InFlightRow = typeof inFlight.$inferSelect;

/**
 * Amazon's published rates (REFERENCE.md §2) as token buckets, saved with
 * the connection after every call, so a restart does not forget what was
 * spent: patchListingsItem 5/s burst 5 per seller;
 * getListingsItem 5/s (the sources disagree on its burst: the smaller, 5);
 * the Feeds API's createFeed 0.0083/s burst 15, createFeedDocument 0.5/15,
 * getFeed 2/15, getFeedDocument 0.0222/10; the Orders API's searchOrders
 * 0.0056/20 and getOrder 0.5/30 (v2026-01-01), confirmShipment 2/10 (v0).
 */
const rates: Partial<Record<Kind, { rate: number; burst: number }>> = {
  write: { rate: 5, burst: 5 },
  read: { rate: 5, burst: 5 },
  feed: { rate: 0.0083, burst: 15 },
  "feed-document": { rate: 0.5, burst: 15 },
  "feed-poll": { rate: 2, burst: 15 },
  "feed-result": { rate: 0.0222, burst: 10 },
  "order-search": { rate: 0.0056, burst: 20 },
  "order-read": { rate: 0.5, burst: 30 },
  "ship-confirm": { rate: 2, burst: 10 },
};
/** JSON_LISTINGS_FEED's own limit: 5 submissions every 5 minutes per region. */
const listingsFeedsPerWindow = 5;
const listingsFeedWindowMs = 5 * 60_000;
const maxFeedMessages = 25_000;
/** A patch Amazon accepted is read back after this; still not visible after `patchGiveUpMs`, it goes out again. */
const readBackAfterMs = 1_000;
/** A feed document's upload URL lasts 5 minutes (CreateFeedDocumentResponse.url); one is uploaded to again while a minute of that is left. */
const feedDocumentReuseMs = 4 * 60_000;
const patchGiveUpMs = 5 * 60_000;
const tokenMarginMs = 5 * 60_000;

export interface TokenHolder {
  token: AmazonToken | null;
}

/**
 * One run of an Amazon connection's push, which also takes orders in
 * (./amazon-orders.ts) and confirms their shipments (./amazon-shipments.ts).
 * A SKU's product type is read from
 * its listing once (a SKU without a listing becomes an exception). A few
 * pending SKUs go out as one patchListingsItem each (`merge` on
 * fulfillment_availability, one entry per pending target: the pool's
 * fulfillment channel code, or a Shelfsync location's own); ACCEPTED only
 * means queued, so each is read back, code by code, before it counts as
 * confirmed. More than `feedThreshold` go out as one JSON_LISTINGS_FEED (a
 * message per SKU with the same entries), confirmed from its processing
 * report. Every call waits for its rate's bucket: Amazon never
 * has to throttle the connection. Values are absolute, so anything sent again
 * after a crash sets the same figures.
 */
export class AmazonPush implements ConnectorPush {
  private readonly target: AmazonTarget;
  private readonly settings: AmazonConnectionSettings;
  /** Patches the application's shared budget granted this run and not sent yet. */
  private applicationPatches = 0;

  constructor(
    private readonly ledger: PushLedger,
    credentials: AmazonCredentials,
    private readonly tokens: TokenHolder,
  ) {
    this.settings = ledger.connection.settings as AmazonConnectionSettings;
    const region = amazonRegions[this.settings.region];
    this.target = {
      baseUrl: this.settings.baseUrl ?? region.baseUrl,
      tokenUrl: this.settings.tokenUrl ?? region.tokenUrl,
      sellerId: this.settings.sellerId,
      marketplaceIds: this.settings.marketplaceIds,
      ...credentials,
    };
  }

  /** Orders first (when due), then shipments to confirm, then stock. */
  async pushPending(deadline: number): Promise<PushStep> {
    if (this.settings.pullOrders && (this.nextDue() ?? Number.POSITIVE_INFINITY) <= this.ledger.now()) {
      const token = await this.token();
      if (typeof token !== "string") return token;
      const stopped = await new AmazonOrders(this.ledger, this.calls()).pull(token);
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
    return new AmazonShipments(this.ledger, this.calls()).send(token);
  }

  /** One of Amazon's orders read and recorded again (an exception's replay). */
  async retryOrder(orderId: string): Promise<{ recorded: boolean; detail: string }> {
    const token = await this.token();
    if (typeof token !== "string") return { recorded: false, detail: token.kind === "idle" ? "no token" : token.reason };
    return new AmazonOrders(this.ledger, this.calls()).retry(token, orderId);
  }

  /** When orders are to be searched next: the poll (or now, for a listing cut short between pages), once the searchOrders bucket holds a token. */
  nextDue(): number | null {
    if (!this.settings.pullOrders) return null;
    const { ordersCheckedAt, ordersPageToken } = this.ledger.connection;
    const due = ordersPageToken ? this.ledger.now() : (ordersCheckedAt ?? 0) + this.settings.orderPollSeconds * 1000;
    return Math.max(due, affordableAt(this.bucket("order-search"), 1, this.ledger.now()));
  }

  pushSkus(skus: string[], deadline: number): Promise<PushStep> {
    return this.run(deadline, skus);
  }

  private async run(deadline: number, only: string[] | null): Promise<PushStep> {
    for (;;) {
      if (this.ledger.now() > deadline) return { kind: "wait", wakeAt: this.ledger.now(), reason: "more to push" };
      const token = await this.token();
      if (typeof token !== "string") return token;
      const feed = only ? undefined : this.ledger.db.select().from(inFlight).where(like(inFlight.key, "feed-%")).get();
      if (feed) {
        const step = await this.followFeed(token, feed);
        if (step.kind !== "idle") return step;
        continue;
      }
      const patches = this.ledger.db.select().from(inFlight).where(like(inFlight.key, "patch-%")).all();
      const readBack = await this.readBack(token, patches);
      if (readBack) return readBack;
      const lookedUp = await this.lookUp(token, only);
      if (lookedUp) return lookedUp;
      const sent = new Set(this.ledger.db.select({ key: inFlight.key, quantities: inFlight.quantities }).from(inFlight).all().flatMap((row) => row.quantities.map((q) => q.sku)));
      const pending = bySku(this.ledger.pending(maxFeedMessages, [only ? inArray(remoteSkus.sku, only) : undefined]).filter((row) => row.remoteId !== null && !sent.has(row.sku)));
      if (pending.length === 0) {
        if (sent.size > 0) return { kind: "wait", wakeAt: this.ledger.now() + readBackAfterMs, reason: "waiting for Amazon to apply accepted patches" };
        this.ledger.setState("idle");
        return { kind: "idle" };
      }
      const step =
        !only && pending.length > this.settings.feedThreshold && this.feedAllowed() ? await this.submitFeed(token, pending.flatMap(([, rows]) => rows)) : await this.patch(token, pending[0]![1], pending.length);
      if (step) return step;
    }
  }

  private async token(): Promise<string | PushStep> {
    const now = this.ledger.now();
    if (this.tokens.token && this.tokens.token.expiresAt - tokenMarginMs > now) return this.tokens.token.value;
    const answer = await fetchToken(this.target, now);
    if (!answer.ok) return this.failed(answer);
    this.tokens.token = answer.data;
    return answer.data.value;
  }

  /** The operation's bucket as last spent (full the first time). */
  private bucket(kind: Kind): BucketState {
    const limit = rates[kind]!;
    return this.ledger.connection.rateBuckets?.[kind] ?? { maximumAvailable: limit.burst, currentlyAvailable: limit.burst, restoreRate: limit.rate, at: this.ledger.now() };
  }

  /** Null when a call of `kind` may go now (its token is spent and saved, the call recorded), else when it may. */
  private budget(kind: Kind, what: string): PushStep | null {
    const now = this.ledger.now();
    const bucket = this.bucket(kind);
    const at = affordableAt(bucket, 1, now);
    if (at > now) return { kind: "wait", wakeAt: at, reason: `pacing ${what} to Amazon's rate` };
    this.ledger.save({ rateBuckets: { ...this.ledger.connection.rateBuckets, [kind]: spend(bucket, 1, now) } });
    this.ledger.record(kind, 1);
    return null;
  }

  /** What the order and shipment classes call through: this push's target, budget and failure handling. */
  private calls(): AmazonCalls {
    return { target: this.target, budget: (kind, what) => this.budget(kind, what), failed: (answer) => this.failed(answer) };
  }

  /** Reads the product type of new SKUs from their listings; a SKU without a listing becomes an exception. */
  private async lookUp(token: string, only: string[] | null): Promise<PushStep | null> {
    for (const [sku] of bySku(this.ledger.pending(50, [isNull(remoteSkus.remoteId), only ? inArray(remoteSkus.sku, only) : undefined]))) {
      const wait = this.budget("read", "listing reads");
      if (wait) return wait;
      const listing = await getListing(this.target, token, sku, "summaries");
      if (!listing.ok && listing.kind === "notFound") {
        await this.ledger.unmapped([sku], "Amazon has no listing for this SKU");
        continue;
      }
      if (!listing.ok) return this.failed(listing);
      const summaries = listing.data.summaries ?? [];
      const productType = (summaries.find((s) => this.settings.marketplaceIds.includes(s.marketplaceId)) ?? summaries[0])?.productType;
      if (!productType) {
        await this.ledger.unmapped([sku], "Amazon's listing of this SKU names no product type");
        continue;
      }
      this.ledger.setRemoteId(sku, productType);
    }
    return null;
  }

  /**
   * A patchListingsItem call from the application's budget, shared with every
   * other seller of the application (../application-budget.ts): granted a few
   * at a time (no more than `pending`, nor than the seller's own bucket holds
   * now), kept for this run's next patches.
   */
  private async applicationPatch(pending: number): Promise<PushStep | null> {
    // The seller's own bucket empty: it says how long to wait, and no shared call is held meanwhile.
    const sellerHolds = Math.floor(availableAt(this.bucket("write"), this.ledger.now()));
    if (sellerHolds < 1) return null;
    if (this.applicationPatches > 0) {
      this.applicationPatches -= 1;
      return null;
    }
    const { tenantId, connectionId } = this.ledger.options.identity;
    const budget = await applicationBudget(this.ledger.options.env, "amazon", this.target.clientId);
    const answer = await budget.take(`${tenantId}/${connectionId}`, "patchListingsItem", Math.min(pending, sellerHolds));
    if (answer.granted === 0) return { kind: "wait", wakeAt: answer.retryAt ?? this.ledger.now() + 1_000, reason: "sharing the Amazon application's patch rate with its other sellers" };
    this.applicationPatches = answer.granted - 1;
    return null;
  }

  /** The channel code each quantity goes to: its target's. */
  private channelQuantities(quantities: { target?: string; quantity: number }[]): ChannelQuantity[] {
    return quantities.map((q) => ({ channelCode: this.ledger.remoteLocation(targetOf(q))!, quantity: q.quantity }));
  }

  /** One SKU (every pending target of it) by patchListingsItem; accepted, it waits in in_flight to be read back. */
  private async patch(token: string, rows: RemoteSkuRow[], pending: number): Promise<PushStep | null> {
    const row = rows[0]!;
    const shared = await this.applicationPatch(pending);
    if (shared) return shared;
    const wait = this.budget("write", "patches");
    if (wait) return wait;
    const quantities = rows.map((r) => ({ target: r.target, sku: r.sku, remoteId: r.remoteId!, quantity: r.wanted, changeFromQuantity: null, wantedSeq: r.wantedSeq, changedAt: r.changedAt }));
    const answer = await patchQuantity(this.target, token, row.sku, row.remoteId!, this.channelQuantities(quantities));
    if (!answer.ok) return answer.kind === "notFound" ? (await this.ledger.unmapped([row.sku], "Amazon has no listing for this SKU"), null) : this.failed(answer);
    if (answer.data.status !== "ACCEPTED") {
      const issues = (answer.data.issues ?? []).map((issue) => `${issue.code}: ${issue.message}`).join("; ");
      await this.ledger.unmapped([row.sku], `Amazon refused the patch (${answer.data.status}): ${issues || "no issue given"}`);
      return null;
    }
    this.ledger.db.insert(inFlight).values({ key: `patch-${row.sku}`, quantities, createdAt: this.ledger.now(), tries: 0, remoteRef: answer.data.submissionId }).onConflictDoNothing().run();
    this.ledger.setState("syncing");
    return null;
  }

  /**
   * Reads accepted patches back: each channel code is confirmed once the
   * listing shows its quantity (the patch is done when all are), and the
   * codes never shown go out again.
   */
  private async readBack(token: string, patches: InFlightRow[]): Promise<PushStep | null> {
    const now = this.ledger.now();
    for (const row of patches.filter((p) => now - p.createdAt >= readBackAfterMs)) {
      const wait = this.budget("read", "listing reads");
      if (wait) return wait;
      const listing = await getListing(this.target, token, row.quantities[0]!.sku, "fulfillmentAvailability");
      if (!listing.ok) return this.failed(listing);
      const shown = new Map((listing.data.fulfillmentAvailability ?? []).map((f) => [f.fulfillmentChannelCode, f.quantity]));
      const applied = row.quantities.filter((q) => shown.get(this.ledger.remoteLocation(targetOf(q)) ?? "") === q.quantity);
      const waiting = row.quantities.filter((q) => !applied.includes(q));
      const settle =
        waiting.length === 0 || now - row.createdAt > patchGiveUpMs
          ? () => this.ledger.db.delete(inFlight).where(eq(inFlight.key, row.key)).run()
          : () => this.ledger.db.update(inFlight).set({ quantities: waiting }).where(eq(inFlight.key, row.key)).run();
      if (applied.length > 0) this.ledger.confirm(applied, settle);
      else this.ledger.options.transaction(settle);
    }
    return null;
  }

  /** The feed's messages: one per SKU, in the order the feed row holds them, so `messageId` n is always the same SKU's. */
  private feedMessages(row: InFlightRow): [string, InFlightRow["quantities"]][] {
    return bySku(row.quantities);
  }

  private feedAllowed(): boolean {
    return this.ledger.recorded("feed", this.ledger.now() - listingsFeedWindowMs).count < listingsFeedsPerWindow;
  }

  /** Stores the feed's messages, then uploads and submits the document; its feed id is stored once Amazon gives one. */
  private async submitFeed(token: string, pending: RemoteSkuRow[]): Promise<PushStep | null> {
    const quantities = pending.map((row) => ({ target: row.target, sku: row.sku, remoteId: row.remoteId!, quantity: row.wanted, changeFromQuantity: null, wantedSeq: row.wantedSeq, changedAt: row.changedAt }));
    const row: InFlightRow = { key: `feed-${this.ledger.connection.batches + 1}`, quantities, createdAt: this.ledger.now(), tries: 0, remoteRef: null, feedDocument: null };
    this.ledger.save({ batches: this.ledger.connection.batches + 1 });
    this.ledger.db.insert(inFlight).values(row).run();
    const step = await this.followFeed(token, row);
    return step.kind === "idle" ? null : step;
  }

  /**
   * The feed's document: the one made for it before, while its upload URL
   * has a minute left (a run cut short between createFeedDocument and
   * createFeed, by a failed upload or a crash, uploads to it again), or a new
   * one, stored before anything is uploaded to it.
   */
  private async feedDocument(token: string, row: InFlightRow, now: number): Promise<{ id: string; url: string } | PushStep> {
    const kept = this.ledger.db.select({ feedDocument: inFlight.feedDocument }).from(inFlight).where(eq(inFlight.key, row.key)).get()?.feedDocument;
    if (kept && now - kept.createdAt < feedDocumentReuseMs) return kept;
    const documentWait = this.budget("feed-document", "feed documents");
    if (documentWait) return documentWait;
    const document = await createFeedDocument(this.target, token);
    if (!document.ok) return this.failed(document);
    const made = { id: document.data.feedDocumentId, url: document.data.url, createdAt: now };
    this.ledger.db.update(inFlight).set({ feedDocument: made }).where(eq(inFlight.key, row.key)).run();
    return made;
  }

  /** Submits a feed not yet taken (again, after a crash), or polls a taken one and settles it from its processing report. */
  private async followFeed(token: string, row: InFlightRow): Promise<PushStep> {
    const now = this.ledger.now();
    if (row.remoteRef === null) {
      if (!this.feedAllowed()) {
        const oldest = this.ledger.recorded("feed", now - listingsFeedWindowMs).oldest ?? now;
        return { kind: "wait", wakeAt: oldest + listingsFeedWindowMs, reason: "Amazon allows 5 JSON_LISTINGS_FEED submissions every 5 minutes" };
      }
      // Make the document only when the submission can follow it at once.
      const submittable = affordableAt(this.bucket("feed"), 1, now);
      if (submittable > now) return { kind: "wait", wakeAt: submittable, reason: "pacing feed submissions to Amazon's rate" };
      const document = await this.feedDocument(token, row, now);
      if ("kind" in document) return document;
      const messages = this.feedMessages(row).map(([sku, quantities], index) => ({ messageId: index + 1, sku, productType: quantities[0]!.remoteId, quantities: this.channelQuantities(quantities) }));
      const uploaded = await uploadFeedDocument(document.url, listingsFeed(this.settings.sellerId, messages), this.target.timeoutMs);
      if (!uploaded.ok) return this.failed(uploaded);
      const feedWait = this.budget("feed", "feed submissions");
      if (feedWait) return feedWait;
      const feedId = await createFeed(this.target, token, document.id);
      if (!feedId.ok) return this.failed(feedId);
      this.ledger.db.update(inFlight).set({ remoteRef: feedId.data, feedDocument: null }).where(eq(inFlight.key, row.key)).run();
      return { kind: "wait", wakeAt: now + 1_000, reason: `feed ${feedId.data} submitted` };
    }
    const pollWait = this.budget("feed-poll", "feed polls");
    if (pollWait) return pollWait;
    const state = await getFeed(this.target, token, row.remoteRef);
    if (!state.ok) return this.failed(state);
    const { processingStatus, resultFeedDocumentId } = state.data;
    if (processingStatus === "IN_QUEUE" || processingStatus === "IN_PROGRESS") {
      this.ledger.db.update(inFlight).set({ tries: row.tries + 1 }).where(eq(inFlight.key, row.key)).run();
      return { kind: "wait", wakeAt: now + feedPollDelayMs(row.createdAt, now), reason: `feed ${row.remoteRef} is ${processingStatus}` };
    }
    if (processingStatus !== "DONE" || !resultFeedDocumentId) {
      // Cancelled or fatal: nothing of it is known to have applied; its SKUs are still pending.
      this.ledger.db.delete(inFlight).where(eq(inFlight.key, row.key)).run();
      return this.ledger.retryLater(`feed ${row.remoteRef} ended ${processingStatus}`, processingStatus);
    }
    const resultWait = this.budget("feed-result", "feed reports");
    if (resultWait) return resultWait;
    const report = await feedResult(this.target, token, resultFeedDocumentId);
    if (!report.ok) return this.failed(report);
    const errors = new Map<number, string>();
    for (const issue of report.data.issues ?? []) if (issue.severity === "ERROR") errors.set(issue.messageId, `${issue.code}: ${issue.message}`);
    const messages = this.feedMessages(row);
    const accepted = messages.filter((_, index) => !errors.has(index + 1)).flatMap(([, quantities]) => quantities);
    this.ledger.confirm(accepted, () => this.ledger.db.delete(inFlight).where(eq(inFlight.key, row.key)).run());
    for (const [messageId, message] of errors) {
      const sku = messages[messageId - 1]?.[0];
      if (sku !== undefined) await this.ledger.unmapped([sku], `Amazon refused it in feed ${row.remoteRef}: ${message}`);
    }
    this.ledger.setState("syncing");
    return { kind: "idle" };
  }

  private failed(answer: Exclude<AmazonAnswer<unknown>, { ok: true }>): PushStep {
    const now = this.ledger.now();
    switch (answer.kind) {
      case "throttled":
        // Amazon's bucket is emptier than ours: start ours over from empty.
        this.ledger.save({ rateBuckets: Object.fromEntries(Object.entries(this.ledger.connection.rateBuckets ?? {}).map(([kind, bucket]) => [kind, { ...bucket, currentlyAvailable: 0, at: now }])) });
        return this.ledger.throttled(now + 1_000, answer.message);
      case "unauthorized":
        this.tokens.token = null;
        return this.ledger.retryLater(answer.message);
      case "rejected":
        return this.ledger.credentialsRejected(answer.message);
      default:
        return this.ledger.retryLater(answer.message);
    }
  }
}
