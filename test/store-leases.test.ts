import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { skuObject, storeLeases } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createKey, reserve, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, pollAvailability, skuState } from "./fixtures.ts";
import { catalogedSku, createStore, numbered, posTransaction, sendBatch, txId, type Store } from "./store-fixtures.ts";

const hour = 3_600_000;

function setLease(tenant: TestTenant, sku: string, body: Record<string, unknown>, location = "store-a", key = tenant.adminKey) {
  return call("PUT", `/v1/inventory/${sku}/locations/${location}/lease`, { key, body });
}

function storeFigures(inventory: Record<string, any>, location = "store-a") {
  return (inventory.locations as Record<string, unknown>[]).find((stock) => stock.location === location)!;
}

async function sell(store: Store, sku: string, qty: number, sequence: number, occurredAt?: string) {
  const transaction = { ...posTransaction(txId("sale"), [{ sku, qty }]), ...(occurredAt ? { occurredAt } : {}) };
  const batch = await sendBatch(store.storeKey, "store-a", numbered(sequence, [transaction]));
  expect(batch.status).toBe(200);
  expect(batch.body.results[0]!.status).toBe("accepted");
}

async function openShortages(store: Store): Promise<number> {
  const open = await call("GET", "/v1/exceptions?type=reservations_short&state=open", { key: store.tenant.adminKey });
  expect(open.status).toBe(200);
  return (open.body.exceptions as unknown[]).length;
}

/** The feed's figure of `sku` at store-a, as the store's agent reads it. */
async function feedFigure(store: Store, sku: string, accept: (stock: Record<string, number>) => boolean) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const feed = await call("GET", "/v1/stores/store-a/feed?limit=1000", { key: store.storeKey });
    expect(feed.status).toBe(200);
    const entries = (feed.body.entries as { kind: string; stock?: Record<string, any> }[]).filter((entry) => entry.kind === "stock" && entry.stock!.sku === sku);
    const stock = entries.at(-1)?.stock;
    if ((stock && accept(stock)) || Date.now() > deadline) return stock;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("store stock leases", () => {
  it("keeps a fixed lease's units out of every channel's reach at the store, and shows them", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const lease = await setLease(store.tenant, sku, { units: 4 });
    expect(lease.status).toBe(200);
    expect(lease.body).toMatchObject({ sku, location: "store-a", units: 4, coverHours: null, inForce: 4, covered: 4, suspended: false, lapseAfterHours: 24 });

    const { inventory } = await skuState(store.tenant.adminKey, sku);
    expect(storeFigures(inventory.body)).toEqual({ location: "store-a", onHand: 10, safetyStock: 0, reserved: 0, leased: 4, available: 6 });
    expect(inventory.body.totals).toMatchObject({ leased: 4, available: 6 });

    // The pos channel holds store-a only: 6 may be reserved, not 7.
    expectProblem(await reserve(store.tenant, sku, { qty: 7, channel: "pos" }), 409, "insufficient_stock");
    expect((await reserve(store.tenant, sku, { qty: 6, channel: "pos" })).status).toBe(201);
    const web = await pollAvailability(store.tenant.adminKey, sku, "pos", (response) => response.body.available === 0);
    expect(web.body.available).toBe(0);

    const ledger = await call("GET", `/v1/inventory/${sku}/ledger`, { key: store.tenant.adminKey });
    expect(ledger.body.entries).toContainEqual(expect.objectContaining({ type: "lease", location: "store-a", delta: 0, leasedDelta: 4 }));
  });

  it("lets the store sell its lease while channels reserve everything else, with no shortage; beyond the lease a sale still goes through and raises one", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    expect((await setLease(store.tenant, sku, { units: 3 })).status).toBe(200);
    // The store's feed tells the agent how many it may sell without risk.
    expect(await feedFigure(store, sku, (stock) => stock.leased === 3)).toMatchObject({ onHand: 10, available: 7, leased: 3 });

    // Channels take all they may (7), then the store sells its 3: every reservation stays covered.
    expect((await reserve(store.tenant, sku, { qty: 7, channel: "pos" })).status).toBe(201);
    expectProblem(await reserve(store.tenant, sku, { qty: 1, channel: "pos" }), 409, "insufficient_stock");
    await sell(store, sku, 3, 1);
    expect(await openShortages(store)).toBe(0);

    // A fourth unit is sold all the same; now a reservation is short.
    await sell(store, sku, 1, 2);
    expect(await openShortages(store)).toBe(1);
  });

  it("without a lease the same day ends in a shortage", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    expect((await reserve(store.tenant, sku, { qty: 8, channel: "pos" })).status).toBe(201);
    await sell(store, sku, 3, 1);
    expect(await openShortages(store)).toBe(1);
  });

  it("counts only what the shelf holds beyond reservations as covered", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    expect((await reserve(store.tenant, sku, { qty: 8, channel: "pos" })).status).toBe(201);
    const lease = await setLease(store.tenant, sku, { units: 5 });
    expect(lease.body).toMatchObject({ inForce: 5, covered: 2 });
    expect(await feedFigure(store, sku, (stock) => stock.leased === 2)).toMatchObject({ leased: 2, available: 0 });
  });

  it("sizes a lease from the store's sales and caps it", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 100);
    const clock = new ManualClock(Date.parse("2026-11-24T20:00:00.000Z"));
    await useClock(skuObject(env, store.tenant.id, sku), clock);
    // 48 units over the last day (the first sale 24 hours ago): 2 an hour.
    await sell(store, sku, 24, 1, "2026-11-23T20:00:00.000Z");
    await sell(store, sku, 24, 2, "2026-11-24T19:00:00.000Z");

    const sized = await setLease(store.tenant, sku, { coverHours: 4 });
    expect(sized.body).toMatchObject({ units: null, coverHours: 4, maxUnits: null, inForce: 8 });
    const capped = await setLease(store.tenant, sku, { coverHours: 4, maxUnits: 5 });
    expect(capped.body).toMatchObject({ inForce: 5, maxUnits: 5 });

    // Re-sized as the store's sales arrive, at most hourly: a sale within the hour changes nothing.
    expect((await setLease(store.tenant, sku, { coverHours: 4 })).body.inForce).toBe(8);
    await sell(store, sku, 12, 3, "2026-11-24T19:30:00.000Z");
    expect((await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey })).body.inForce).toBe(8);
    // An hour on, the next sale re-sizes it: 61 units over 25 hours × 4 = 9.76, rounded up.
    clock.advance(hour);
    await sell(store, sku, 1, 4, "2026-11-24T20:30:00.000Z");
    const resized = await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey });
    expect(resized.body.inForce).toBe(10);
  });

  it("lapses while the store is silent and comes back when it is heard from", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const clock = new ManualClock(Date.now());
    const keeper = storeLeases(env, store.tenant.id, "store-a");
    await useClock(keeper, clock);
    expect((await setLease(store.tenant, sku, { units: 4, lapseAfterHours: 2 })).status).toBe(200);

    clock.advance(2 * hour - 1);
    await runDurableObjectAlarm(keeper);
    expect((await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey })).body).toMatchObject({ inForce: 4, suspended: false });

    clock.advance(1);
    await runDurableObjectAlarm(keeper);
    const lapsed = await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey });
    expect(lapsed.body).toMatchObject({ inForce: 0, suspended: true });
    expect((await call("GET", "/v1/stores/store-a/leases", { key: store.tenant.adminKey })).body.leases).toEqual([{ sku, lapseAfterHours: 2, suspended: true }]);
    expect((await reserve(store.tenant, sku, { qty: 10, channel: "pos" })).status).toBe(201);

    // The store's agent pulls its feed: the lease holds again (what is free of it, as reservations allow).
    expect((await call("GET", "/v1/stores/store-a/feed", { key: store.storeKey })).status).toBe(200);
    const deadline = Date.now() + 5_000;
    let back = await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey });
    while (back.body.suspended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      back = await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey });
    }
    expect(back.body).toMatchObject({ suspended: false, inForce: 4, covered: 0 });
  });

  it("ends a lease and gives its units back", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    expect((await setLease(store.tenant, sku, { units: 4 })).status).toBe(200);
    expect((await call("DELETE", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey })).status).toBe(204);
    expect(storeFigures((await skuState(store.tenant.adminKey, sku)).inventory.body)).toMatchObject({ leased: 0, available: 10 });
    expectProblem(await call("GET", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey }), 404, "not_found");
    expectProblem(await call("DELETE", `/v1/inventory/${sku}/locations/store-a/lease`, { key: store.tenant.adminKey }), 404, "not_found");
    expect((await call("GET", "/v1/stores/store-a/leases", { key: store.storeKey })).body.leases).toEqual([]);
  });

  it("refuses bad leases with a problem and changes nothing", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const before = await skuState(store.tenant.adminKey, sku);
    expectProblem(await setLease(store.tenant, sku, { units: 2, coverHours: 4 }), 400, "validation_failed");
    expectProblem(await setLease(store.tenant, sku, {}), 400, "validation_failed");
    expectProblem(await setLease(store.tenant, sku, { units: -1 }), 400, "validation_failed");
    expectProblem(await setLease(store.tenant, sku, { units: 2, maxUnits: 3 }), 400, "validation_failed");
    expectProblem(await setLease(store.tenant, sku, { coverHours: 0 }), 400, "validation_failed");
    expectProblem(await setLease(store.tenant, sku, { units: 2 }, "nowhere"), 422, "unknown_location");
    expectProblem(await setLease(store.tenant, "no-such-sku", { units: 2 }), 404, "not_found");
    // A store may not lease units to itself, nor a channel.
    expectProblem(await setLease(store.tenant, sku, { units: 2 }, "store-a", store.storeKey), 403, "forbidden");
    const channelKey = await createKey(store.tenant, { role: "channel", channel: "web" });
    expectProblem(await setLease(store.tenant, sku, { units: 2 }, "store-a", channelKey), 403, "forbidden");
    expect(await skuState(store.tenant.adminKey, sku)).toEqual(before);
    expect((await call("GET", "/v1/stores/store-a/leases", { key: store.tenant.adminKey })).body.leases).toEqual([]);
  });
});
