import { and, eq, inArray, isNull } from "drizzle-orm";
import { sha256Hex } from "../../shared/ids.ts";
import type { ShopifyConnectionSettings, ShopifyCredentials } from "../../shared/schemas/connections.ts";
import * as schema from "../schema/channel-connection.ts";
import { affordableAt, spend, type BucketState } from "./cost-bucket.ts";
import { targetOf, type ConnectorPush, type PushLedger, type PushStep } from "./push-ledger.ts";
import { ShopifyShipments, type ShopifyBudget } from "./shopify-shipments.ts";
import { availableAt, inventoryItemsOf, maxQuantitiesPerCall, setAvailable, skusPerLookup, type ShopifyAnswer, type ShopifyTarget, type ShopifyUserError } from "./shopify-admin.ts";

const { remoteSkus, inFlight } = schema;

/** Until the remote has said what a call costs: Shopify counts a mutation as 10 points. */
const defaultCallCost = 10;

/** User errors about one quantity's item, and what the exception says of them. */
const itemRefusals: Record<string, string> = {
  INVALID_INVENTORY_ITEM: "Shopify refused the inventory item (INVALID_INVENTORY_ITEM)",
  ITEM_NOT_STOCKED_AT_LOCATION: "The item is not stocked at one of the connection's Shopify locations (ITEM_NOT_STOCKED_AT_LOCATION): stock it there, then replay",
};

type InFlightRow = typeof inFlight.$inferSelect;

/**
 * One run of a Shopify connection's push: looks up the inventory item of new
 * SKUs (once; an unknown SKU becomes an exception), then sets `available`
 * for pending (target, SKU) rows, each at its target's Shopify location (the
 * pool's, or a Shelfsync location's own), up to 250 a call, each call inside
 * the shop's cost bucket. A call is written to `in_flight` before it goes,
 * with its `@idempotent` key; after a crash, a timeout or a throttled answer
 * it is sent again unchanged, so Shopify applies it once. `changeFromQuantity`
 * is the value Shopify last confirmed (null when unknown); a stale one is
 * read back and the SKU pushed again.
 */
export class ShopifyPush implements ConnectorPush, ShopifyBudget {
  private readonly db: PushLedger["db"];
  private readonly target: ShopifyTarget;
  private bucket: BucketState;
  private writeCost: number;
  /** What looking up one SKU costs: a variant and its inventory item are objects (plus 2 for the connection). */
  private lookupCostPerSku = 2;
  /** What reading one item's level back costs (Shopify: the item, its level and its quantities are objects). */
  private readCostPerItem = 3;

  constructor(
    private readonly ledger: PushLedger,
    credentials: ShopifyCredentials,
    bucket: BucketState,
  ) {
    this.db = ledger.db;
    const settings = ledger.connection.settings as ShopifyConnectionSettings;
    this.target = { baseUrl: settings.baseUrl ?? `https://${settings.shopDomain}`, apiVersion: settings.apiVersion, accessToken: credentials.accessToken, now: () => ledger.now() };
    this.bucket = bucket;
    this.writeCost = ledger.connection.writeCost ?? defaultCallCost;
  }

  /** Confirms pending shipments, then pushes what is pending until nothing is, the budget runs short, or `deadline` passes. */
  async pushPending(deadline: number): Promise<PushStep> {
    const stopped = await this.confirmShipments();
    if (stopped) return stopped;
    return this.run(deadline, () => this.nextBatch(null));
  }

  /** Sends the pending shipment confirmations; null when none is left pending, else how the run stops. */
  async confirmShipments(): Promise<PushStep | null> {
    const settings = this.ledger.connection.settings as ShopifyConnectionSettings;
    if (!settings.confirmShipments || !this.ledger.hasPendingShipments()) return null;
    return new ShopifyShipments(this.ledger, this.target, this, settings.notifyCustomer).send();
  }

  /** Pushes these SKUs only (a replay), until confirmed or stopped. */
  async pushSkus(skus: string[], deadline: number): Promise<PushStep> {
    return this.run(deadline, () => this.nextBatch(skus));
  }

  private async run(deadline: number, next: () => InFlightRow | null): Promise<PushStep> {
    for (;;) {
      if (this.ledger.now() > deadline) return { kind: "wait", wakeAt: this.ledger.now(), reason: "more to push" };
      const lookedUp = await this.lookUpNewSkus();
      if (lookedUp.kind !== "idle") return lookedUp;
      const batch = this.inFlightRow() ?? next();
      if (!batch) {
        this.ledger.setState("idle");
        return { kind: "idle" };
      }
      const sent = await this.send(batch);
      if (sent.kind !== "idle") return sent;
    }
  }

  /** Finds the inventory item of pending SKUs not looked up yet; SKUs Shopify does not have become exceptions. */
  private async lookUpNewSkus(): Promise<PushStep> {
    for (;;) {
      // No more than the bucket can ever hold: a call above its size would be throttled however long it waited.
      const fit = Math.max(1, Math.min(skusPerLookup, Math.floor((this.bucket.maximumAvailable - 2) / this.lookupCostPerSku)));
      const skus = [...new Set(this.ledger.pending(fit, [isNull(remoteSkus.remoteId)]).map((row) => row.sku))];
      if (skus.length === 0) return { kind: "idle" };
      const cost = 2 + this.lookupCostPerSku * skus.length;
      const wait = this.waitForBudget(cost);
      if (wait) return wait;
      const answer = await inventoryItemsOf(this.target, skus);
      const failed = this.settleCall(answer, cost);
      if (failed) return failed;
      if (!answer.ok) return { kind: "idle" };
      if (answer.cost !== null) this.lookupCostPerSku = Math.max(1, Math.ceil((answer.cost - 2) / skus.length));
      this.ledger.options.transaction(() => {
        for (const [sku, id] of answer.data) this.ledger.setRemoteId(sku, id);
      });
      await this.ledger.unmapped(skus.filter((sku) => !answer.data.has(sku)), "Shopify has no product variant with this SKU");
    }
  }

  /** The next call: up to 250 pending (target, SKU) quantities (or only `only`'s), oldest change first, written to in_flight before it goes. */
  private nextBatch(only: string[] | null): InFlightRow | null {
    const rows = this.ledger.pending(maxQuantitiesPerCall, [only ? inArray(remoteSkus.sku, only) : undefined]).filter((row) => row.remoteId !== null);
    if (rows.length === 0) return null;
    const quantities = rows.map((row) => ({ target: row.target, sku: row.sku, remoteId: row.remoteId!, quantity: row.wanted, changeFromQuantity: row.remote, wantedSeq: row.wantedSeq, changedAt: row.changedAt }));
    const row: InFlightRow = { key: "", quantities, createdAt: this.ledger.now(), tries: 0, remoteRef: null, feedDocument: null };
    return row;
  }

  private inFlightRow(): InFlightRow | null {
    return this.db.select().from(inFlight).limit(1).get() ?? null;
  }

  /** Sends the call (a new one gets its key and is stored first), then records what the answer settles. */
  private async send(batch: InFlightRow): Promise<PushStep> {
    const wait = this.waitForBudget(this.writeCost);
    if (wait) return wait;
    if (batch.key === "") {
      batch.key = await this.keyOf(batch);
      this.db.insert(inFlight).values(batch).onConflictDoNothing().run();
    }
    this.db.update(inFlight).set({ tries: batch.tries + 1 }).where(eq(inFlight.key, batch.key)).run();
    const quantities = batch.quantities.map((q) => ({ inventoryItemId: q.remoteId, locationId: this.ledger.remoteLocation(targetOf(q))!, quantity: q.quantity, changeFromQuantity: q.changeFromQuantity }));
    const answer = await setAvailable(this.target, quantities, batch.key, `gid://shelfsync/Connection/${this.ledger.options.identity.connectionId}`);
    this.ledger.record("write", 1);
    const failed = this.settleCall(answer, this.writeCost);
    if (failed) return failed;
    if (!answer.ok) return { kind: "idle" };
    if (answer.cost !== null) this.writeCost = answer.cost;
    return this.settleWrite(batch, answer.data.userErrors);
  }

  /**
   * What the remote did with the call. Without user errors every quantity
   * holds. With any, Shopify applied none of them: stale ones are read back,
   * unknown items become exceptions, and the rest go out again in a new call
   * (a new key: the same key would only repeat this answer).
   */
  private async settleWrite(batch: InFlightRow, userErrors: ShopifyUserError[]): Promise<PushStep> {
    const now = this.ledger.now();
    if (userErrors.length === 0) {
      this.ledger.confirm(batch.quantities, () => this.db.delete(inFlight).where(eq(inFlight.key, batch.key)).run());
      this.ledger.setState("syncing");
      return { kind: "idle" };
    }
    const byIndex = (code: string) => userErrors.filter((e) => e.code === code).map((e) => batch.quantities[Number(e.field?.[2])]).filter((q) => q !== undefined);
    const stale = byIndex("CHANGE_FROM_QUANTITY_STALE");
    // The same key is still being applied: ask again shortly, with the same call.
    if (userErrors.some((e) => e.code === "IDEMPOTENCY_CONCURRENT_REQUEST")) return { kind: "wait", wakeAt: now + 1_000, reason: "Shopify is still applying this write" };
    if (stale.length > 0) await this.readBack(stale);
    // A SKU whose item Shopify refuses cannot be set until a person acts there: an exception, and the rest goes on.
    for (const [code, reason] of Object.entries(itemRefusals)) await this.ledger.unmapped(byIndex(code).map((q) => q.sku), reason);
    this.db.delete(inFlight).where(eq(inFlight.key, batch.key)).run();
    const other = userErrors.filter((e) => e.code !== "CHANGE_FROM_QUANTITY_STALE" && !((e.code ?? "") in itemRefusals));
    if (other.length === 0) return { kind: "idle" };
    // Not something a retry of the same values fixes (an invalid location, a scope): back off, and say why.
    return this.ledger.retryLater(`Shopify refused the write: ${other.map((e) => `${e.code ?? "error"}: ${e.message}`).join("; ")}`, other[0]!.message);
  }

  /**
   * Someone else changed these quantities on Shopify: forget what was
   * confirmed, then read the current ones back if the bucket allows it now,
   * so the next write compares against them. Unread (no budget, a failed
   * read), the next write sets Shelfsync's value without a compare.
   */
  private async readBack(stale: InFlightRow["quantities"]): Promise<void> {
    const rowOf = (q: InFlightRow["quantities"][number]) => and(eq(remoteSkus.target, targetOf(q)), eq(remoteSkus.sku, q.sku));
    for (const q of stale) this.db.update(remoteSkus).set({ remote: null, pending: true }).where(rowOf(q)).run();
    // One read per Shopify location: a level is read at one location at a time.
    const byLocation = new Map<string, InFlightRow["quantities"]>();
    for (const q of stale) {
      const locationId = this.ledger.remoteLocation(targetOf(q));
      if (locationId !== null) byLocation.set(locationId, [...(byLocation.get(locationId) ?? []), q]);
    }
    for (const [locationId, quantities] of byLocation) {
      const cost = this.readCostPerItem * quantities.length;
      if (cost > this.bucket.maximumAvailable || this.waitForBudget(cost)) return;
      const levels = await availableAt(this.target, quantities.map((q) => q.remoteId), locationId);
      if (this.settleCall(levels, cost) || !levels.ok) return;
      if (levels.cost !== null) this.readCostPerItem = Math.max(1, Math.ceil(levels.cost / quantities.length));
      for (const q of quantities) this.db.update(remoteSkus).set({ remote: levels.data.get(q.remoteId) ?? null }).where(rowOf(q)).run();
    }
  }

  /**
   * Records the bucket an answer reports and what the call cost; returns how
   * the run stops if the call failed (throttled, rejected, transient), or
   * null when it was answered.
   */
  settleCall<T>(answer: ShopifyAnswer<T>, estimatedCost: number): PushStep | null {
    const now = this.ledger.now();
    if ("bucket" in answer && answer.bucket) this.bucket = answer.bucket;
    this.ledger.record("cost", answer.ok ? (answer.cost ?? estimatedCost) : estimatedCost);
    this.ledger.save({ bucket: this.bucket, writeCost: this.writeCost });
    if (answer.ok) return null;
    switch (answer.kind) {
      case "throttled": {
        // Shopify says the bucket is short: believe it, and wait until it refills.
        if (!answer.bucket) this.bucket = { ...this.bucket, currentlyAvailable: 0, at: now };
        this.ledger.save({ bucket: this.bucket, writeCost: this.writeCost });
        return this.ledger.throttled(affordableAt(this.bucket, estimatedCost, now), "throttled by Shopify");
      }
      case "rejected":
      case "denied":
        return this.ledger.credentialsRejected(answer.message);
      case "transient":
      case "invalid":
        return this.ledger.retryLater(answer.message);
    }
  }

  /** Null when the bucket holds `cost` (plus `reserve`, kept for a call to follow) now, and spends `cost`; else when it will. */
  waitForBudget(cost: number, reserve = 0): PushStep | null {
    const now = this.ledger.now();
    const at = affordableAt(this.bucket, cost + reserve, now);
    if (at > now) return { kind: "wait", wakeAt: at, reason: "waiting for Shopify's cost bucket" };
    this.bucket = spend(this.bucket, cost, now);
    return null;
  }

  /** The call's `@idempotent` key, from Shelfsync's own changes it carries (each named by target, SKU and feed sequence): a UUID-shaped digest. */
  private async keyOf(batch: InFlightRow): Promise<string> {
    const seq = this.ledger.connection.batches + 1;
    this.ledger.save({ batches: seq });
    const content = batch.quantities.map((q) => `${q.target ? `${q.target}/` : ""}${q.sku}@${q.wantedSeq}=${q.quantity}`).join(",");
    const { tenantId, connectionId } = this.ledger.options.identity;
    const hex = await sha256Hex(`${tenantId}/${connectionId}#${seq}:${content}`);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
}
