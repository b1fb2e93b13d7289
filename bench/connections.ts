import { randomBytes } from "node:crypto";
import { maxQuantitiesPerCall } from "../durable/connectors/shopify-admin.ts";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import type { AvailabilityChanges, BulkAvailability } from "../shared/schemas/availability.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import { FakeShopifyAdmin } from "../test-e2e/fakes/shopify-admin.ts";
import { shopifyCostModel, type CostModel } from "../test-e2e/fakes/shopify-admin-limits.ts";
import { createBenchTenant, hostLabel, machineLine, startBenchEdge } from "./harness.ts";

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
const skuCount = Number(process.env.BENCH_SKUS ?? 10_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const changesPerSecond = Number(process.env.BENCH_RATE ?? 50);
const concurrency = Number(process.env.BENCH_CONNECTIONS ?? 64);
const port = Number(process.env.BENCH_PORT ?? 8797);
const bucketSize = 1_000;
const restoreRate = 100;
const connectionId = "shopify-bench";
const location = "wh-1";

interface Change {
  sku: string;
  value: number;
  sentAt: number;
  ackedAt: number;
}

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`;
const s = (value: number) => `${(value / 1000).toFixed(1)} s`;
const spread = (values: number[]) => `p50 ${ms(percentile(values, 0.5))}, p99 ${ms(percentile(values, 0.99))}, max ${ms(Math.max(...values))}`;

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

async function runPool<T>(items: T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function setStock(url: string, key: string, sku: string, value: number): Promise<Change> {
  const sentAt = Date.now();
  const answer = await edgeRequest(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key, body: { onHand: value } });
  if (answer.status !== 200) throw new Error(`PUT stock of ${sku} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { sku, value, sentAt, ackedAt: Date.now() };
}

async function waitFor<T>(what: string, timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${s(timeoutMs)} waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The shop holds every expected value (read from its log, at no cost to the edge), then the connection has nothing pending. */
async function converged(url: string, admin: string, log: ShopLog, expected: Map<string, number>, timeoutMs: number): Promise<ConnectionStatus> {
  await waitFor(`the shop to hold ${expected.size} SKUs' values`, timeoutMs, 100, () => {
    log.catchUp();
    return log.mismatches(expected) === 0 ? true : undefined;
  });
  return waitFor("the connection to have nothing pending", timeoutMs, 250, async () => {
    const status = await edgeCall<ConnectionStatus>(url, "GET", `/v1/connections/${connectionId}/status`, { key: admin });
    return status.pending.skus === 0 ? status : undefined;
  });
}

/** When the read model recorded each SKU's latest change after `cursor` (the channel's change feed). */
async function feedTimes(url: string, key: string, cursor: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (;;) {
    const page = await edgeCall<AvailabilityChanges>(url, "GET", `/v1/availability/changes?channel=web&cursor=${cursor}&limit=1000`, { key });
    for (const change of page.changes) times.set(change.sku, Date.parse(change.updatedAt));
    cursor = page.nextCursor;
    if (!page.hasMore) return times;
  }
}

function statusLine(status: ConnectionStatus): string {
  const { budget, lastHour, syncLagMs } = status;
  return (
    `state ${status.state}; budget: limit ${budget.limit}, remaining ${budget.remaining}, restore ${budget.restoreRate}/s, used last minute ${budget.usedLastMinute}; ` +
    `last hour: ${lastHour.remoteWrites} writes, ${lastHour.skusConfirmed} SKUs confirmed, ${lastHour.throttled} throttled; ` +
    `syncLagMs (last hour): p50 ${syncLagMs.p50}, p99 ${syncLagMs.p99}, ${syncLagMs.samples} samples`
  );
}

const charges: Charge[] = [];
const bench = await startBenchEdge(port, undefined, { CONNECTION_CREDENTIALS_KEY: randomBytes(32).toString("base64") });
const shop = await FakeShopifyAdmin.start({ maximumAvailable: bucketSize, restoreRate, costModel: recordingCostModel(charges) });
const out = (line = "") => process.stdout.write(`${line}\n`);
const points = (list: Charge[]) => list.reduce((sum, charge) => sum + charge.cost, 0);
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  const admin = tenant.admin;
  const pool = shop.addLocation("Online store");
  const skus = Array.from({ length: skuCount }, (_, i) => `SYNC-${String(i).padStart(6, "0")}`);
  const itemOf = new Map(skus.map((sku) => [sku, shop.addVariant(sku)]));
  const log = new ShopLog(shop, new Map([...itemOf].map(([sku, item]) => [item, sku])), pool);
  // What the shop must end up holding: the channel's availability, onHand less the channel's buffer (nothing is reserved here).
  const onHand = new Map<string, number>();
  let buffer = 0;
  const expected = () => new Map([...onHand].map(([sku, units]) => [sku, Math.max(0, units - buffer)]));
  const writesNeeded = Math.ceil(skuCount / maxQuantitiesPerCall);
  out(`Stock out to Shopify: ${skuCount.toLocaleString("en-US")} SKUs, a Shopify test server at ${bucketSize} points, ${restoreRate}/s restored (Standard), edge by ${hostLabel}`);
  out(`Machine: ${machineLine()}`);
  out();

  let started = Date.now();
  await runPool(skus, concurrency, async (sku) => {
    const change = await setStock(url, admin, sku, 100 + (onHand.size % 50));
    onHand.set(sku, change.value);
  });
  out(`stocked ${skuCount} SKUs in ${s(Date.now() - started)} (${concurrency} PUTs at a time)`);

  // 0. The first full sync: every SKU looked up once, then written.
  const connectedAt = Date.now();
  await edgeCall(url, "PUT", `/v1/connections/${connectionId}`, {
    key: admin,
    body: { type: "shopify", channel: "web", settings: { shopDomain: "bench-outfitters.myshopify.com", apiVersion: "2026-04", baseUrl: shop.url }, credentials: { accessToken: shop.accessToken }, locations: { pool }, enabled: true },
  });
  let status = await converged(url, admin, log, expected(), 30 * 60_000);
  const syncedIn = Math.max(...skus.map((sku) => log.heldSince(sku, onHand.get(sku)!)!)) - connectedAt;
  const lookups = charges.filter((charge) => charge.operation === "query");
  const syncWrites = charges.filter((charge) => charge.operation === "mutation");
  const syncFloor = (Math.max(0, points(charges) - bucketSize) * 1000) / restoreRate;
  out(
    `first full sync: ${s(syncedIn)} from the connection's PUT to the shop holding every SKU; ${lookups.length} lookups (${points(lookups).toLocaleString("en-US")} points), ` +
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
  started = Date.now();
  await edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: [location], bufferUnits: buffer } });
  const answeredIn = Date.now() - started;
  const want = expected();
  status = await converged(url, admin, log, want, 30 * 60_000);
  let indexed = await feedTimes(url, admin, cursor);
  let confirmedIn = Math.max(...skus.map((sku) => log.heldExactlySince(sku, want.get(sku)!, started)!)) - started;
  out(`${skuCount.toLocaleString("en-US")} SKUs' availability changed by one call (the channel's buffer 0 → 1):`);
  out(`  answered in ${ms(answeredIn)}; ${indexed.size} changes in the read model's feed by ${s(Math.max(...indexed.values()) - started)}`);
  out(`  shop: first write at ${s(shop.adjustments[writesBefore]!.at - started)}, every SKU at ${s(confirmedIn)}; writes ${shop.stats.writes - writesBefore}; violations ${shop.stats.violations}, throttled ${shop.stats.throttled}`);
  out(`  ${floorLine(bucketAtStart, confirmedIn)}`);
  out(`  status: ${statusLine(status)}`);
  out();

  // 2. Every SKU changed at once, one PUT each.
  cursor = status.cursor;
  bucketAtStart = shop.throttleStatus.currentlyAvailable;
  writesBefore = shop.stats.writes;
  const burst: Change[] = [];
  started = Date.now();
  await runPool(skus, concurrency, async (sku) => {
    const change = await setStock(url, admin, sku, 200 + (burst.length % 50));
    burst.push(change);
    onHand.set(sku, change.value);
  });
  const madeIn = Math.max(...burst.map((c) => c.ackedAt)) - started;
  status = await converged(url, admin, log, expected(), 30 * 60_000);
  indexed = await feedTimes(url, admin, cursor);
  // The values only grow, so a change has reached the shop once the shop holds it or a later one.
  const burstAt = (c: Change) => log.heldSince(c.sku, c.value - buffer)!;
  confirmedIn = Math.max(...burst.map(burstAt)) - started;
  out(`${skuCount.toLocaleString("en-US")} SKUs changed at once, a PUT each (${concurrency} at a time):`);
  out(`  made at the edge in ${s(madeIn)} (${Math.round(skuCount / (madeIn / 1000))}/s; a PUT ${spread(burst.map((c) => c.ackedAt - c.sentAt))})`);
  out(`  in the read model by ${s(Math.max(...indexed.values()) - started)} (ack → change feed: ${spread(burst.map((c) => indexed.get(c.sku)! - c.ackedAt))})`);
  out(`  shop: first write at ${s(shop.adjustments[writesBefore]!.at - started)}, every SKU at ${s(confirmedIn)}, ${s(confirmedIn - madeIn)} after the last PUT's answer (change feed → shop: ${spread(burst.map((c) => burstAt(c) - indexed.get(c.sku)!))})`);
  out(`  writes ${shop.stats.writes - writesBefore} (${writesNeeded} at ${maxQuantitiesPerCall} a call would do); violations ${shop.stats.violations}, throttled ${shop.stats.throttled}`);
  out(`  ${floorLine(bucketAtStart, confirmedIn)}`);
  out(`  status: ${statusLine(status)}`);
  out();

  // 3. A steady stream of changes over random SKUs; a SKU is never changed twice at once, so the edge applies them in the order sent.
  let seed = 0x5eed;
  const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
  const inFlight = new Set<string>();
  const steady: Promise<Change>[] = [];
  writesBefore = shop.stats.writes;
  const chargesBefore = charges.length;
  cursor = status.cursor;
  const total = Math.round(seconds * changesPerSecond);
  started = Date.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / changesPerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    let sku: string;
    do {
      sku = skus[Math.floor(random() * skus.length)]!;
    } while (inFlight.has(sku));
    inFlight.add(sku);
    onHand.set(sku, 1_000 + i);
    steady.push(setStock(url, admin, sku, 1_000 + i).finally(() => inFlight.delete(sku)));
  }
  const changes = await Promise.all(steady);
  const offeredFor = Math.max(...changes.map((c) => c.sentAt)) - started;
  status = await converged(url, admin, log, expected(), 10 * 60_000);
  indexed = await feedTimes(url, admin, cursor);
  const steadyAt = (c: Change) => log.heldSince(c.sku, c.value - buffer)!;
  const lastOfSku = changes.filter((c) => onHand.get(c.sku) === c.value);
  const steadyWrites = shop.stats.writes - writesBefore;
  out(`steady load: ${changes.length} changes over ${s(offeredFor)} (${(changes.length / (offeredFor / 1000)).toFixed(1)}/s), random SKUs:`);
  out(`  lag, PUT sent → the shop holds the value (or a later one): ${spread(changes.map((c) => steadyAt(c) - c.sentAt))}`);
  out(`  of which the PUT: ${spread(changes.map((c) => c.ackedAt - c.sentAt))}`);
  out(`  each SKU's last change: ack → change feed ${spread(lastOfSku.map((c) => indexed.get(c.sku)! - c.ackedAt))}; change feed → shop ${spread(lastOfSku.map((c) => steadyAt(c) - indexed.get(c.sku)!))}`);
  out(`  writes ${steadyWrites} (${(steadyWrites / (offeredFor / 1000)).toFixed(1)}/s, ${(points(charges.slice(chargesBefore)) / (offeredFor / 1000)).toFixed(0)} points/s of the ${restoreRate} restored); violations ${shop.stats.violations}, throttled ${shop.stats.throttled}`);
  out(`  status: ${statusLine(status)}`);
  out();

  // 4. Every SKU: the shop holds the channel's availability, and that is what was set.
  const final = expected();
  let wrong = 0;
  for (let i = 0; i < skus.length; i += 500) {
    const page = await edgeCall<BulkAvailability>(url, "GET", `/v1/availability?channel=web&skus=${skus.slice(i, i + 500).join(",")}`, { key: admin });
    const channel = new Map(page.items.map((row) => [row.sku, row.available]));
    for (const sku of skus.slice(i, i + 500)) if (channel.get(sku) !== final.get(sku) || shop.available(itemOf.get(sku)!, pool) !== channel.get(sku)) wrong += 1;
  }
  const ok = wrong === 0 && shop.stats.violations === 0;
  out(`check: ${skuCount - wrong} of ${skuCount} SKUs hold the channel's availability on the shop, ${shop.stats.violations} violations: ${ok ? "OK" : "FAILED"}`);
  if (!ok) process.exitCode = 1;
} finally {
  await shop.close();
  await bench.close();
}
