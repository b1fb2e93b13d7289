import { afterEach, beforeEach, expect, it } from "vitest";
import type { StoreFeedEntry } from "../shared/schemas/catalog.ts";
import { readAgentState } from "./agent-state.ts";
import { silentLogger } from "./log.ts";
import { startAgent, type RunningAgent } from "./main.ts";
import { FakeEdge } from "./testing/fake-edge.ts";
import { agentConfig, bearer, getJson, location, pairInProcess, postJson, sale, storeKey, tempDataDir } from "./testing/fixtures.ts";
import { TestClock } from "./testing/test-clock.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let edge: FakeEdge;
let agent: RunningAgent | null;
/** The paired terminal's Authorization header, for the agent started last. */
let auth: Record<string, string>;

const hour = 3600_000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const updatedAt = "2026-11-23T09:00:00.000Z";

function item(sku: string, price: number, barcodes: string[], name = `Item ${sku}`): StoreFeedEntry {
  return { kind: "item", item: { sku, name, price, currency: "USD", barcodes, updatedAt } };
}

function promotion(id: string, skus: string[], off: { percentOff?: number; amountOff?: number }, startsAt: string, endsAt: string): StoreFeedEntry {
  return { kind: "promotion", promotion: { id, name: id, skus, percentOff: off.percentOff ?? null, amountOff: off.amountOff ?? null, startsAt, endsAt, updatedAt } };
}

function stockLevel(sku: string, onHand: number, available: number, where = location, leased = 0): StoreFeedEntry {
  return { kind: "stock", stock: { sku, location: where, onHand, available, leased, updatedAt } };
}

/** An agent whose background puller is stopped, so that each test pulls when it chooses. */
async function start(): Promise<RunningAgent> {
  agent = await startAgent(agentConfig(dataDir.dir, edge.url), { log: silentLogger });
  await agent.feedPuller.stop();
  auth = bearer((await pairInProcess(agent)).token);
  return agent;
}

beforeEach(async () => {
  dataDir = tempDataDir();
  edge = await FakeEdge.start({ location, storeKey, feedPageSize: 2 });
  agent = null;
});

afterEach(async () => {
  await agent?.close();
  await edge.close();
  dataDir.remove();
});

it("pulls every page into the local catalog, and the POS looks items up by SKU or barcode", async () => {
  const running = await start();
  edge.publish(
    item("TSHIRT-RED-M", 2000, ["0001234567890"]),
    item("MUG-1", 850, []),
    promotion("BF-20", ["TSHIRT-RED-M"], { percentOff: 20 }, at(-hour), at(hour)),
    promotion("OLD-5", ["TSHIRT-RED-M"], { amountOff: 1500 }, at(-3 * hour), at(-2 * hour)),
    promotion("SOON", ["TSHIRT-RED-M"], { amountOff: 1900 }, at(hour), at(2 * hour)),
    stockLevel("TSHIRT-RED-M", 12, 9),
    stockLevel("TSHIRT-RED-M", 99, 99, "store-002"),
  );
  const result = await running.feedPuller.pullAll();
  expect(result).toEqual({ ok: true, pages: 4, entries: 7 });

  const bySku = await getJson(`${running.url}/pos/v1/items/TSHIRT-RED-M`, auth);
  expect(bySku.status).toBe(200);
  expect(bySku.body).toMatchObject({
    sku: "TSHIRT-RED-M",
    price: 2000,
    currency: "USD",
    barcodes: ["0001234567890"],
    promotion: { id: "BF-20", percentOff: 20, amountOff: null, discountedPrice: 1600 },
    stock: { onHand: 12, available: 9 },
  });
  const byBarcode = await getJson(`${running.url}/pos/v1/items/0001234567890`, auth);
  expect(byBarcode.body.sku).toBe("TSHIRT-RED-M");
  const mug = await getJson(`${running.url}/pos/v1/items/MUG-1`, auth);
  expect(mug.body).toMatchObject({ promotion: null, stock: null, price: 850 });

  const state = await readAgentState(running.store);
  // Two positions, the catalog's (5 changes) and the stock's (2), as the edge's cursor has them.
  expect(state).toMatchObject({ feedCursor: "5-2", lastPullError: null, edgeReachable: true });
});

it("applies later changes from the stored cursor: new price, barcode moved, promotion ended", async () => {
  const running = await start();
  edge.publish(item("A", 1000, ["1111"]), promotion("P", ["A"], { amountOff: 100 }, at(-hour), at(hour)));
  await running.feedPuller.pullAll();
  expect((await getJson(`${running.url}/pos/v1/items/1111`, auth)).body).toMatchObject({ sku: "A", promotion: { discountedPrice: 900 } });

  const requestsBefore = edge.feedCursors.length;
  edge.publish(item("A", 1200, []), item("B", 500, ["1111"]), promotion("P", ["A"], { amountOff: 100 }, at(-2 * hour), at(-hour)));
  expect(await running.feedPuller.pullAll()).toEqual({ ok: true, pages: 2, entries: 3 });
  expect(edge.feedCursors.slice(requestsBefore)).toEqual(["2-0", "4-0"]);

  expect((await getJson(`${running.url}/pos/v1/items/1111`, auth)).body.sku).toBe("B");
  expect((await getJson(`${running.url}/pos/v1/items/A`, auth)).body).toMatchObject({ price: 1200, barcodes: [], promotion: null });
});

it("resumes from its cursor after a restart, and serves lookups offline", async () => {
  const first = await start();
  edge.publish(item("A", 1000, []), item("B", 2000, []), item("C", 3000, []));
  await first.feedPuller.pullAll();
  await first.close();

  edge.publish(item("D", 4000, []));
  const requestsBefore = edge.feedCursors.length;
  const second = await start();
  await second.feedPuller.pullAll();
  expect(edge.feedCursors.slice(requestsBefore)[0]).toBe("3-0");
  expect(edge.feedCursors.slice(requestsBefore).every((c) => Number(c?.split("-")[0]) >= 3)).toBe(true);

  await edge.close();
  const offline = await second.feedPuller.pullAll();
  expect(offline.ok).toBe(false);
  expect((await getJson(`${second.url}/pos/v1/items/D`, auth)).body.price).toBe(4000);
  const status = await getJson(`${second.url}/pos/v1/status`, auth);
  expect(status.body).toMatchObject({ online: false, lastPullError: { message: expect.stringContaining("fetch failed") } });
  edge = await FakeEdge.start({ location, storeKey });
});

it("pulls again every interval in the background, and after a failed pull tries again, from its cursor, at the next one", async () => {
  const clock = new TestClock();
  agent = await startAgent(agentConfig(dataDir.dir, edge.url, { pullIntervalSeconds: 30 }), { log: silentLogger, clock });
  auth = bearer((await pairInProcess(agent)).token);
  const puller = () => expect.poll(() => clock.pending, { timeout: 10_000 }).toContain(30_000);
  await puller();
  expect(edge.feedCursors).toEqual([null]);

  edge.publish(item("A", 1000, []));
  clock.advance(30_000);
  await expect.poll(async () => (await getJson(`${agent!.url}/pos/v1/items/A`, auth)).status, { timeout: 10_000 }).toBe(200);
  expect(edge.feedCursors).toEqual([null, "0-0"]);

  await puller();
  const port = edge.port;
  await edge.close();
  clock.advance(30_000);
  await expect.poll(async () => (await readAgentState(agent!.store))?.lastPullError?.message, { timeout: 10_000 }).toMatch(/fetch failed/);

  await puller();
  edge = await FakeEdge.start({ location, storeKey, port });
  clock.advance(30_000);
  await expect.poll(() => edge.feedCursors, { timeout: 10_000 }).toEqual(["1-0"]);
  await expect.poll(async () => (await readAgentState(agent!.store))?.lastPullError, { timeout: 10_000 }).toBeNull();
  expect(clock.elapsed).toBe(90_000);
});

it("tells the till how many units of its lease it may still sell offline, by SKU or barcode, and never refuses a sale beyond it", async () => {
  const running = await start();
  edge.publish(item("TSHIRT-RED-M", 2000, ["0001234567890"]), item("MUG-1", 850, []), stockLevel("TSHIRT-RED-M", 12, 4, location, 5));
  await running.feedPuller.pullAll();
  expect((await getJson(`${running.url}/pos/v1/items/TSHIRT-RED-M`, auth)).body).toMatchObject({ stock: { onHand: 12, leased: 5, maySellOffline: 5 } });

  await edge.close();
  const line = (sku: string, qty: number) => ({ lines: [{ sku, qty, unitPrice: 1999, discount: 0, tax: 0 }], tenders: [{ type: "card" as const, amount: 1999 * qty }] });
  expect((await postJson(`${running.url}/pos/v1/transactions`, sale("T01-1", line("TSHIRT-RED-M", 1)), auth)).status).toBe(201);
  expect((await postJson(`${running.url}/pos/v1/transactions`, sale("T01-2", line("0001234567890", 1)), auth)).status).toBe(201);
  expect((await postJson(`${running.url}/pos/v1/transactions`, sale("T01-3", line("MUG-1", 7)), auth)).status).toBe(201);
  expect((await getJson(`${running.url}/pos/v1/items/0001234567890`, auth)).body).toMatchObject({ stock: { leased: 5, maySellOffline: 3 } });

  // Beyond the lease the sale is still taken; the allowance stops at 0.
  expect((await postJson(`${running.url}/pos/v1/transactions`, sale("T01-4", line("TSHIRT-RED-M", 4)), auth)).status).toBe(201);
  expect((await getJson(`${running.url}/pos/v1/items/TSHIRT-RED-M`, auth)).body).toMatchObject({ stock: { maySellOffline: 0 } });
  edge = await FakeEdge.start({ location, storeKey });
});
