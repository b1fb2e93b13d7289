import { describe, expect, it } from "vitest";
import { call, setStock, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";
import { createStore, type Store } from "./store-fixtures.ts";

quietAccessLog();

/** An order on `web` shipped from the given locations, `[location, units]` each, of one SKU stocked only there. */
async function shippedFrom(store: Store, shipments: [string, number][]) {
  const sku = unique("sku");
  for (const [location, qty] of shipments) await setStock(store.tenant, sku, location, qty);
  const total = shipments.reduce((sum, [, qty]) => sum + qty, 0);
  const order = await submitOrder(store.tenant.adminKey, orderBody([[sku, total]]));
  expect(order.body.status).toBe("reserved");
  for (const [location, qty] of shipments) expect((await fulfill(store.tenant.adminKey, order.body.id, { location, lines: [{ sku, qty }] })).status).toBe(200);
  return { sku, orderId: order.body.id as string };
}

function openReturn(key: string, orderId: string, sku: string, qty: number) {
  return call("POST", "/v1/returns", { key, idempotencyKey: unique("idem"), body: { orderId, lines: [{ sku, qty, reason: "too small" }] } });
}

describe("a store key reads its own location's stock and ledger only", () => {
  it("GET /v1/inventory/{sku}: only its location's figures, totals of that location; a SKU not stocked there is 404", async () => {
    const store = await createStore();
    const sku = unique("sku");
    await setStock(store.tenant, sku, "store-a", 5);
    await setStock(store.tenant, sku, "store-b", 7);
    await setStock(store.tenant, sku, "wh-1", 100);

    const own = await call("GET", `/v1/inventory/${sku}`, { key: store.storeKey });
    expect(own.status).toBe(200);
    expect(own.body.locations.map((stock: { location: string }) => stock.location)).toEqual(["store-a"]);
    expect(own.body.totals).toMatchObject({ onHand: 5, available: 5 });
    const other = await call("GET", `/v1/inventory/${sku}`, { key: store.otherStoreKey });
    expect(other.body.locations.map((stock: { location: string }) => stock.location)).toEqual(["store-b"]);
    const admin = await call("GET", `/v1/inventory/${sku}`, { key: store.tenant.adminKey });
    expect(admin.body.totals.onHand).toBe(112);

    const elsewhere = unique("sku");
    await setStock(store.tenant, elsewhere, "wh-1", 9);
    expectProblem(await call("GET", `/v1/inventory/${elsewhere}`, { key: store.storeKey }), 404, "not_found");
  });

  it("GET /v1/inventory/{sku}/ledger: only its location's entries, paged by the same cursor", async () => {
    const store = await createStore();
    const sku = unique("sku");
    for (const [location, onHand] of [["store-a", 5], ["store-b", 7], ["store-a", 6], ["wh-1", 1], ["store-a", 4]] as const) await setStock(store.tenant, sku, location, onHand);

    const locations = async (key: string, query = "") => {
      const page = await call("GET", `/v1/inventory/${sku}/ledger${query}`, { key });
      expect(page.status).toBe(200);
      return page.body;
    };
    expect((await locations(store.storeKey)).entries.map((entry: { location: string }) => entry.location)).toEqual(["store-a", "store-a", "store-a"]);
    const first = await locations(store.storeKey, "?limit=2");
    expect(first.entries).toHaveLength(2);
    const second = await locations(store.storeKey, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.entries.map((entry: { location: string }) => entry.location)).toEqual(["store-a"]);
    expect(second.nextCursor).toBeNull();
    expect((await locations(store.otherStoreKey)).entries.map((entry: { location: string }) => entry.location)).toEqual(["store-b"]);
    expect((await locations(store.tenant.adminKey)).entries).toHaveLength(5);
  });

  it("availability stays closed to store keys (403), as before", async () => {
    const store = await createStore();
    expectProblem(await call("GET", "/v1/availability/some-sku?channel=web", { key: store.storeKey }), 403, "forbidden");
  });
});

describe("a store key opens returns only for what its own store handed out", () => {
  it("another store's order is 404 not_found and nothing is opened; its own store's order opens", async () => {
    const store = await createStore();
    const { sku, orderId } = await shippedFrom(store, [["store-b", 2]]);

    expectProblem(await openReturn(store.storeKey, orderId, sku, 1), 404, "not_found");
    expect((await call("GET", `/v1/returns?orderId=${orderId}`, { key: store.tenant.adminKey })).body.returns).toEqual([]);

    const own = await openReturn(store.otherStoreKey, orderId, sku, 2);
    expect(own.status).toBe(201);
    expect(own.body.lines).toEqual([expect.objectContaining({ sku, qty: 2 })]);

    // Reading it: the store that shipped the order sees its return; another store's key finds nothing.
    expect((await call("GET", `/v1/returns/${own.body.id}`, { key: store.otherStoreKey })).status).toBe(200);
    expect((await call("GET", `/v1/returns?orderId=${orderId}`, { key: store.otherStoreKey })).body.returns).toHaveLength(1);
    expectProblem(await call("GET", `/v1/returns/${own.body.id}`, { key: store.storeKey }), 404, "not_found");
    expect((await call("GET", `/v1/returns?orderId=${orderId}`, { key: store.storeKey })).body.returns).toEqual([]);
  });

  it("an order shipped from two stores: each store's key returns at most the units shipped from it", async () => {
    const store = await createStore();
    const { sku, orderId } = await shippedFrom(store, [["store-a", 1], ["store-b", 2]]);

    expectProblem(await openReturn(store.storeKey, orderId, sku, 2), 409, "return_exceeds_fulfilled");
    expect((await call("GET", `/v1/returns?orderId=${orderId}`, { key: store.tenant.adminKey })).body.returns).toEqual([]);
    expect((await openReturn(store.storeKey, orderId, sku, 1)).status).toBe(201);
    expect((await openReturn(store.tenant.adminKey, orderId, sku, 2)).status).toBe(201);
  });

  it("an order id that does not exist is the same 404 for a store key", async () => {
    const store = await createStore();
    expectProblem(await openReturn(store.storeKey, "ord_00000000000000000000000000", "sku-1", 1), 404, "not_found");
  });
});
