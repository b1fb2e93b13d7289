import { maxQuantitiesPerCall } from "../durable/connectors/shopify-admin.ts";
import { edgeCall } from "../scripts/edge-client.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import { FakeShopifyAdmin } from "../test-e2e/fakes/shopify-admin.ts";
import { shopifyCostModel, type CostModel } from "../test-e2e/fakes/shopify-admin-limits.ts";
import { changesPerSecond, converged as convergedOn, count, feedTimes, location, ms, out, putEach, putEachLine, s, skuCount, spread, statusLine, steadyLoad, wrongSkus, type Change, type StockedEdge } from "./connections-common.ts";

/**
 * Stock out to Shopify: a `web` channel of N stocked SKUs, a Shopify test
 * server on the Standard plan's bucket (1,000 points, 100 restored a second)
 * with a variant per SKU, and a connection between them. After the first full
 * sync (every SKU looked up once), every SKU's availability changes by one
 * call (the channel's buffer), which times the read model and the connection
 * alone; then every SKU changes at once, a PUT each, which adds the edge's own
 * writes. Each against the floor the bucket allows: the writes needed at 250
 * quantities a call, at what the shop charged for one, less what the bucket
 * held, at the restore rate. Then a steady stream of changes over random SKUs,
 * and the lag of each from the PUT to the shop, read from the shop's own
 * applied adjustments. Last, every SKU's quantity on the shop must equal the
 * channel's availability.
 */
const bucketSize = 1_000;
const restoreRate = 100;
const connectionId = "shopify-bench";

/** What the shop holds per SKU at the pool location, and when each value arrived: read from its applied adjustments as they accrue. */
class ShopLog {
  readonly held = new Map<string, number>();
  readonly #history = new Map<string, { at: number; quantity: number }[]>();
  readonly #shop: FakeShopifyAdmin;
  readonly #skuOfItem: Map<string, string>;
  readonly #pool: string;
  #read = 0;

  constructor(shop: FakeShopifyAdmin, skuOfItem: Map<string, string>, pool: string) {
    this.#shop = shop;
    this.#skuOfItem = skuOfItem;
    this.#pool = pool;
  }

  catchUp(): void {
    const adjustments = this.#shop.adjustments;
    for (; this.#read < adjustments.length; this.#read++) {
      const { at, changes } = adjustments[this.#read]!;
      for (const change of changes) {
        const sku = this.#skuOfItem.get(change.inventoryItemId);
        if (change.name !== "available" || change.locationId !== this.#pool || sku === undefined || change.quantityAfterChange === null) continue;
        this.held.set(sku, change.quantityAfterChange);
        const history = this.#history.get(sku) ?? [];
        history.push({ at, quantity: change.quantityAfterChange });
        this.#history.set(sku, history);
      }
    }
  }

  /** When the shop first held `value` or a later one: every SKU's values only grow here. */
  heldSince(sku: string, value: number): number | undefined {
    return this.#history.get(sku)?.find((entry) => entry.quantity >= value)?.at;
  }

  /** When the shop first held exactly `value` at or after `since`. */
  heldExactlySince(sku: string, value: number, since: number): number | undefined {
    return this.#history.get(sku)?.find((entry) => entry.at >= since && entry.quantity === value)?.at;
  }

  mismatches(expected: Map<string, number>): number {
    let count = 0;
    for (const [sku, value] of expected) if (this.held.get(sku) !== value) count += 1;
    return count;
  }
}

/** What the shop charged for one request, by its own cost model: the points and, for a write, how many quantities it set. */
interface Charge {
  operation: string;
  cost: number;
  quantities: number | null;
}

/** The shop's cost model, recording every charge it makes. */
function recordingCostModel(charges: Charge[]): CostModel {
  const model = shopifyCostModel();
  return (request) => {
    const cost = model(request);
    const input = request.variableValues.coerced["input"] as { quantities?: unknown[] } | undefined;
    charges.push({ operation: request.operation.operation, cost, quantities: input?.quantities?.length ?? null });
    return cost;
  };
}
/** The shop holds every expected value (read from its log, at no cost to the edge), then the connection has nothing pending. */
function converged(edge: StockedEdge, log: ShopLog, expected: Map<string, number>, timeoutMs: number): Promise<ConnectionStatus> {
  return convergedOn(edge.url, edge.admin, connectionId, () => (log.catchUp(), log.mismatches(expected) === 0), timeoutMs);
}

export const shopifyTitle = `Stock out to Shopify: a Shopify test server at ${bucketSize} points, ${restoreRate}/s restored (Standard)`;

/** Runs the Shopify benchmark on `edge` (stocked, not yet connected); true when the final check passed. */
export async function benchShopify(edge: StockedEdge): Promise<boolean> {
  const charges: Charge[] = [];
  const shop = await FakeShopifyAdmin.start({ maximumAvailable: bucketSize, restoreRate, costModel: recordingCostModel(charges) });
  const points = (list: Charge[]) => list.reduce((sum, charge) => sum + charge.cost, 0);
  try {
    const { url, admin, skus, onHand } = edge;
    const pool = shop.addLocation("Online store");
    const itemOf = new Map(skus.map((sku) => [sku, shop.addVariant(sku)]));
    const log = new ShopLog(shop, new Map([...itemOf].map(([sku, item]) => [item, sku])), pool);
    // What the shop must end up holding: the channel's availability, onHand less the channel's buffer (nothing is reserved here).
    let buffer = 0;
    const expected = () => new Map([...onHand].map(([sku, units]) => [sku, Math.max(0, units - buffer)]));
    const writesNeeded = Math.ceil(skuCount / maxQuantitiesPerCall);
    // 0. The first full sync: every SKU looked up once, then written.
    const connectedAt = Date.now();
    await edgeCall(url, "PUT", `/v1/connections/${connectionId}`, {
      key: admin,
      body: { type: "shopify", channel: "web", settings: { shopDomain: "bench-outfitters.myshopify.com", apiVersion: "2026-04", baseUrl: shop.url }, credentials: { accessToken: shop.accessToken }, locations: { pool }, enabled: true },
    });
    let status = await converged(edge, log, expected(), 30 * 60_000);
    const syncedIn = Math.max(...skus.map((sku) => log.heldSince(sku, onHand.get(sku)!)!)) - connectedAt;
    const lookups = charges.filter((charge) => charge.operation === "query");
    const syncWrites = charges.filter((charge) => charge.operation === "mutation");
    const syncFloor = (Math.max(0, points(charges) - bucketSize) * 1000) / restoreRate;
    out(
      `first full sync: ${s(syncedIn)} from the connection's PUT to the shop holding every SKU; ${lookups.length} lookups (${count(points(lookups))} points), ` +
        `${syncWrites.length} writes (${points(syncWrites)} points); its floor (all points less a full bucket, ÷ ${restoreRate}/s) ${s(syncFloor)}${syncFloor > 0 ? `, ratio ${(syncedIn / syncFloor).toFixed(2)}` : ""}`,
    );
    out();

    // The measured cost of a full write: what the shop charged for one (the costliest write, if none was full).
    const fullWrite = syncWrites.find((charge) => charge.quantities === maxQuantitiesPerCall) ?? [...syncWrites].sort((a, b) => b.cost - a.cost)[0]!;
    const floorOf = (bucketAtStart: number) => (Math.max(0, writesNeeded * fullWrite.cost - bucketAtStart) * 1000) / restoreRate;
    const floorLine = (bucketAtStart: number, confirmedIn: number) => {
      const floor = floorOf(bucketAtStart);
      const ratio = floor > 0 ? `${(confirmedIn / floor).toFixed(2)} × the floor` : "the budget sets no floor here";
      return `floor: ${writesNeeded} writes × ${fullWrite.cost} points (what the shop charged for a ${fullWrite.quantities}-quantity write) − ${bucketAtStart} in the bucket at the start, ÷ ${restoreRate}/s = ${s(floor)}; confirmed all in ${s(confirmedIn)}: ${ratio}`;
    };

    // 1. Every SKU's availability changed by one call: the channel keeps one unit back. The read model recomputes every SKU in one
    // transaction, so this times the read model and the connection without the edge's per-SKU writes.
    let cursor = status.cursor;
    let bucketAtStart = shop.throttleStatus.currentlyAvailable;
    let writesBefore = shop.stats.writes;
    buffer = 1;
    let started = Date.now();
    await edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: [location], bufferUnits: buffer } });
    const answeredIn = Date.now() - started;
    const want = expected();
    status = await converged(edge, log, want, 30 * 60_000);
    let indexed = await feedTimes(url, admin, cursor);
    let confirmedIn = Math.max(...skus.map((sku) => log.heldExactlySince(sku, want.get(sku)!, started)!)) - started;
    out(`${count(skuCount)} SKUs' availability changed by one call (the channel's buffer 0 → 1):`);
    out(`  answered in ${ms(answeredIn)}; ${indexed.size} changes in the read model's feed by ${s(Math.max(...indexed.values()) - started)}`);
    out(`  shop: first write at ${s(shop.adjustments[writesBefore]!.at - started)}, every SKU at ${s(confirmedIn)}; writes ${shop.stats.writes - writesBefore}; violations ${shop.stats.violations}, throttled ${shop.stats.throttled}`);
    out(`  ${floorLine(bucketAtStart, confirmedIn)}`);
    out(`  status: ${statusLine(status)}`);
    out();

    // 2. Every SKU changed at once, one PUT each.
    cursor = status.cursor;
    bucketAtStart = shop.throttleStatus.currentlyAvailable;
    writesBefore = shop.stats.writes;
    started = Date.now();
    const burst = await putEach(edge);
    status = await converged(edge, log, expected(), 30 * 60_000);
    indexed = await feedTimes(url, admin, cursor);
    // The values only grow, so a change has reached the shop once the shop holds it or a later one.
    const heldAt = (c: Change) => log.heldSince(c.sku, c.value - buffer)!;
    confirmedIn = Math.max(...burst.changes.map(heldAt)) - started;
    out(`${count(skuCount)} SKUs changed at once, a PUT each:`);
    out(`  ${putEachLine(burst.changes, burst.madeIn)}`);
    out(`  in the read model by ${s(Math.max(...indexed.values()) - started)} (ack → change feed: ${spread(burst.changes.map((c) => indexed.get(c.sku)! - c.ackedAt))})`);
    out(
      `  shop: first write at ${s(shop.adjustments[writesBefore]!.at - started)}, every SKU at ${s(confirmedIn)}, ${s(confirmedIn - burst.madeIn)} after the last PUT's answer (change feed → shop: ${spread(burst.changes.map((c) => heldAt(c) - indexed.get(c.sku)!))})`,
    );
    out(`  writes ${shop.stats.writes - writesBefore} (${writesNeeded} at ${maxQuantitiesPerCall} a call would do); violations ${shop.stats.violations}, throttled ${shop.stats.throttled}`);
    out(`  ${floorLine(bucketAtStart, confirmedIn)}`);
    out(`  status: ${statusLine(status)}`);
    out();

    // 3. A steady stream of changes over random SKUs.
    writesBefore = shop.stats.writes;
    const chargesBefore = charges.length;
    cursor = status.cursor;
    const { changes, offeredFor } = await steadyLoad(edge);
    status = await converged(edge, log, expected(), 10 * 60_000);
    indexed = await feedTimes(url, admin, cursor);
    const lastOfSku = changes.filter((c) => onHand.get(c.sku) === c.value);
    const steadyWrites = shop.stats.writes - writesBefore;
    out(`steady load: ${changes.length} changes over ${s(offeredFor)} (${(changes.length / (offeredFor / 1000)).toFixed(1)}/s, ${changesPerSecond}/s offered), random SKUs:`);
    out(`  lag, PUT sent → the shop holds the value (or a later one): ${spread(changes.map((c) => heldAt(c) - c.sentAt))}`);
    out(`  of which the PUT: ${spread(changes.map((c) => c.ackedAt - c.sentAt))}`);
    out(`  each SKU's last change: ack → change feed ${spread(lastOfSku.map((c) => indexed.get(c.sku)! - c.ackedAt))}; change feed → shop ${spread(lastOfSku.map((c) => heldAt(c) - indexed.get(c.sku)!))}`);
    out(`  writes ${steadyWrites} (${(steadyWrites / (offeredFor / 1000)).toFixed(1)}/s, ${(points(charges.slice(chargesBefore)) / (offeredFor / 1000)).toFixed(0)} points/s of the ${restoreRate} restored); violations ${shop.stats.violations}, throttled ${shop.stats.throttled}`);
    out(`  status: ${statusLine(status)}`);
    out();

    // 4. Every SKU: the shop holds the channel's availability, and that is what was set.
    const wrong = await wrongSkus(edge, expected(), (sku) => shop.available(itemOf.get(sku)!, pool));
    const ok = wrong === 0 && shop.stats.violations === 0;
    out(`check: ${skuCount - wrong} of ${skuCount} SKUs hold the channel's availability on the shop, ${shop.stats.violations} violations: ${ok ? "OK" : "FAILED"}`);
    return ok;
  } finally {
    await shop.close();
  }
}
