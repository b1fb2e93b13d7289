import { describe, expect, it } from "vitest";
import { call, createKey, createStockedTenant, platformKey, reserve, setStock, tenantWithStock, unique, type TestTenant } from "./api.ts";
import { expectProblem, keyCount, pollAvailability, skuState } from "./fixtures.ts";

interface Keys {
  admin: string;
  readonly: string;
  erp: string;
  store: string;
  web: string;
  pos: string;
}

async function keysOf(tenant: TestTenant): Promise<Keys> {
  return {
    admin: tenant.adminKey,
    readonly: await createKey(tenant, { role: "readonly" }),
    erp: await createKey(tenant, { role: "erp" }),
    store: await createKey(tenant, { role: "store", location: "store-a" }),
    web: await createKey(tenant, { role: "channel", channel: "web" }),
    pos: await createKey(tenant, { role: "channel", channel: "pos" }),
  };
}

/** A stocked tenant, a key of each role (see keysOf) and a fresh SKU stocked as given. */
async function tenantWithKeys(stock: Record<string, number>) {
  const { tenant, skus: [sku] } = await tenantWithStock(stock);
  return { tenant, keys: await keysOf(tenant), sku };
}

/**
 * Two tenants with the same locations, channels and SKU name. A holds 15 of
 * the shared SKU and a reservation on it, plus a SKU of its own; B holds 3.
 */
async function twoTenants() {
  const { tenant: a, skus: [shared, onlyA] } = await tenantWithStock({ "store-a": 10, "wh-1": 5 }, { "store-a": 7 });
  const b = await createStockedTenant();
  await setStock(b, shared, "store-a", 3);
  const reservation = await reserve(a, shared, { qty: 2, location: "store-a" });
  expect(reservation.status).toBe(201);
  return { a, b, bKeys: await keysOf(b), shared, onlyA, reservationId: reservation.body.id as string };
}

function post(path: string, key: string | undefined, body?: unknown) {
  return call("POST", path, { key, idempotencyKey: unique("idem"), body });
}

describe("tenant isolation: a key of tenant B reads and changes nothing of tenant A", () => {
  it("inventory and ledger reads through B's keys show only B's data", async () => {
    const { b, bKeys, shared, onlyA } = await twoTenants();

    for (const key of [bKeys.admin, bKeys.readonly, bKeys.erp, bKeys.store]) {
      const inventory = await call("GET", `/v1/inventory/${shared}`, { key });
      expect(inventory.status).toBe(200);
      expect(inventory.body.locations).toEqual([{ location: "store-a", onHand: 3, safetyStock: 0, reserved: 0, leased: 0, available: 3 }]);
      expect(inventory.body.totals).toEqual({ onHand: 3, safetyStock: 0, reserved: 0, leased: 0, available: 3 });

      const ledger = await call("GET", `/v1/inventory/${shared}/ledger`, { key });
      expect(ledger.status).toBe(200);
      expect(ledger.body.entries).toHaveLength(1);
      expect(ledger.body.entries[0]).toMatchObject({ type: "snapshot", location: "store-a", delta: 3 });

      expectProblem(await call("GET", `/v1/inventory/${onlyA}`, { key }), 404, "not_found");
      // B has no such SKU: either not found or an empty ledger, never A's entries.
      const otherLedger = await call("GET", `/v1/inventory/${onlyA}/ledger`, { key });
      if (otherLedger.status === 200) expect(otherLedger.body.entries).toEqual([]);
      else expectProblem(otherLedger, 404, "not_found");
    }
    expect((await call("GET", "/v1/tenant", { key: bKeys.readonly })).body.id).toBe(b.id);
  });

  it("B's keys list B's keys only", async () => {
    const { a, bKeys } = await twoTenants();
    const aKeys = await call("GET", "/v1/keys", { key: a.adminKey });
    const bList = await call("GET", "/v1/keys", { key: bKeys.admin });
    expect(bList.body.keys).toHaveLength(6);
    const aIds = new Set((aKeys.body.keys as { id: string }[]).map((key) => key.id));
    for (const key of bList.body.keys as { id: string }[]) expect(aIds.has(key.id)).toBe(false);
  });

  it("A's reservation id is 404 through B's keys; commit and release through B leave it active", async () => {
    const { a, bKeys, shared, reservationId } = await twoTenants();
    const before = await skuState(a.adminKey, shared);

    for (const key of [bKeys.admin, bKeys.readonly, bKeys.web]) {
      expectProblem(await call("GET", `/v1/inventory/${shared}/reservations/${reservationId}`, { key }), 404, "not_found");
    }
    for (const key of [bKeys.admin, bKeys.web]) {
      expectProblem(await post(`/v1/inventory/${shared}/reservations/${reservationId}/commit`, key), 404, "not_found");
      expectProblem(await post(`/v1/inventory/${shared}/reservations/${reservationId}/release`, key), 404, "not_found");
    }

    const read = await call("GET", `/v1/inventory/${shared}/reservations/${reservationId}`, { key: a.adminKey });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe("active");
    expect(await skuState(a.adminKey, shared)).toEqual(before);
  });

  it("B's writes on the same SKU name touch B's stock only", async () => {
    const { a, b, bKeys, shared } = await twoTenants();
    const before = await skuState(a.adminKey, shared);

    expect((await call("PUT", `/v1/inventory/${shared}/locations/store-a`, { key: bKeys.erp, body: { onHand: 4 } })).status).toBe(200);
    expect((await post(`/v1/inventory/${shared}/adjustments`, bKeys.store, { location: "store-a", delta: -1, reason: "damaged", reference: "r" })).status).toBe(201);
    const granted = await post(`/v1/inventory/${shared}/reservations`, bKeys.web, { qty: 3, channel: "web", reference: "b-order" });
    expect(granted.status).toBe(201);
    // B has nothing left even though A holds plenty of the same SKU name.
    const refused = await post(`/v1/inventory/${shared}/reservations`, bKeys.web, { qty: 1, channel: "web", reference: "b-order-2" });
    expectProblem(refused, 409, "insufficient_stock");
    expect(refused.body.available).toBe(0);

    expect(await skuState(a.adminKey, shared)).toEqual(before);
    expect((await skuState(b.adminKey, shared)).inventory.body.totals).toEqual({ onHand: 3, safetyStock: 0, reserved: 3, leased: 0, available: 0 });
  });

  it("B's availability never reflects A's stock", async () => {
    const { a, bKeys, shared, onlyA } = await twoTenants();
    // Wait until both read models have caught up, so a leak would be visible.
    const aShared = await pollAvailability(a.adminKey, shared, "web", (r) => r.status === 200 && r.body.available === 13);
    expect(aShared.body.available).toBe(13);
    const aOnly = await pollAvailability(a.adminKey, onlyA, "web", (r) => r.status === 200 && r.body.available === 7);
    expect(aOnly.body.available).toBe(7);
    const bShared = await pollAvailability(bKeys.web, shared, "web", (r) => r.status === 200 && r.body.available === 3);
    expect(bShared.body.available).toBe(3);

    for (const key of [bKeys.admin, bKeys.readonly, bKeys.erp, bKeys.web]) {
      expectProblem(await call("GET", `/v1/availability/${onlyA}?channel=web`, { key }), 404, "not_found");
      const single = await call("GET", `/v1/availability/${shared}?channel=web`, { key });
      expect(single.body).toMatchObject({ sku: shared, channel: "web", available: 3 });

      const bulk = await call("GET", `/v1/availability?channel=web&skus=${shared},${onlyA}`, { key });
      expect(bulk.status).toBe(200);
      expect(bulk.body.items).toHaveLength(1);
      expect(bulk.body.items[0]).toMatchObject({ sku: shared, available: 3 });
      expect(bulk.body.unknown).toEqual([onlyA]);

      const changes = await call("GET", "/v1/availability/changes?channel=web", { key });
      expect(changes.status).toBe(200);
      expect(changes.body.changes).toEqual([expect.objectContaining({ sku: shared, available: 3 })]);
    }
    const bPos = await pollAvailability(bKeys.pos, shared, "pos", (r) => r.status === 200 && r.body.available === 3);
    expect(bPos.body.available).toBe(3);
  });

  it("a key made of A's tenant id and B's secret, or a guessed key for A, is 401", async () => {
    const { a, bKeys, shared } = await twoTenants();
    const secret = bKeys.admin.slice(bKeys.admin.lastIndexOf("_") + 1);
    const forged = [`ssk_${a.id}_${secret}`, `ssk_${a.id}_${"0".repeat(40)}`];
    const before = await skuState(a.adminKey, shared);
    for (const key of forged) {
      expectProblem(await call("GET", `/v1/inventory/${shared}`, { key }), 401, "unauthorized");
      expectProblem(await call("PUT", `/v1/inventory/${shared}/locations/store-a`, { key, body: { onHand: 0 } }), 401, "unauthorized");
      expectProblem(await post("/v1/keys", key, { role: "admin" }), 401, "unauthorized");
    }
    expect(await skuState(a.adminKey, shared)).toEqual(before);
  });
});

describe("keys of one tenant act only within their role and binding", () => {
  it("a channel key bound to web cannot reserve on pos (403)", async () => {
    const { tenant, keys, sku } = await tenantWithKeys({ "store-a": 10 });
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await post(`/v1/inventory/${sku}/reservations`, keys.web, { qty: 1, channel: "pos", reference: "x" }), 403, "forbidden");
    expectProblem(await post(`/v1/inventory/${sku}/reservations`, keys.web, { qty: 1, channel: "pos", location: "store-a", reference: "x" }), 403, "forbidden");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });

  it("a channel key bound to web cannot see, commit or release a pos reservation (404)", async () => {
    const { tenant, keys, sku } = await tenantWithKeys({ "store-a": 10 });
    const pos = await post(`/v1/inventory/${sku}/reservations`, keys.pos, { qty: 2, channel: "pos", reference: "till-1" });
    expect(pos.status).toBe(201);
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await call("GET", `/v1/inventory/${sku}/reservations/${pos.body.id}`, { key: keys.web }), 404, "not_found");
    expectProblem(await post(`/v1/inventory/${sku}/reservations/${pos.body.id}/commit`, keys.web), 404, "not_found");
    expectProblem(await post(`/v1/inventory/${sku}/reservations/${pos.body.id}/release`, keys.web), 404, "not_found");

    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    expect((await call("GET", `/v1/inventory/${sku}/reservations/${pos.body.id}`, { key: keys.pos })).body.status).toBe("active");
  });

  it("a store key bound to store-a cannot set stock or adjust at store-b (403)", async () => {
    const { tenant, keys, sku } = await tenantWithKeys({ "store-b": 4 });
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await call("PUT", `/v1/inventory/${sku}/locations/store-b`, { key: keys.store, body: { onHand: 99 } }), 403, "forbidden");
    expectProblem(await post(`/v1/inventory/${sku}/adjustments`, keys.store, { location: "store-b", delta: 1, reason: "count", reference: "r" }), 403, "forbidden");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    // Its own location is fine: the binding, not the role, refused the above.
    expect((await call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: keys.store, body: { onHand: 1 } })).status).toBe(200);
  });

  it("a readonly key cannot write (403)", async () => {
    const { tenant, keys, sku } = await tenantWithKeys({ "store-a": 10 });
    const reservation = await reserve(tenant, sku, { qty: 1 });
    const before = await skuState(tenant.adminKey, sku);
    const keysBefore = await keyCount(tenant);

    expectProblem(await call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: keys.readonly, body: { onHand: 0 } }), 403, "forbidden");
    expectProblem(await post(`/v1/inventory/${sku}/adjustments`, keys.readonly, { location: "store-a", delta: -1, reason: "count", reference: "r" }), 403, "forbidden");
    expectProblem(await post(`/v1/inventory/${sku}/reservations`, keys.readonly, { qty: 1, channel: "web", reference: "r" }), 403, "forbidden");
    expectProblem(await post(`/v1/inventory/${sku}/reservations/${reservation.body.id}/commit`, keys.readonly), 403, "forbidden");
    expectProblem(await post(`/v1/inventory/${sku}/reservations/${reservation.body.id}/release`, keys.readonly), 403, "forbidden");
    expectProblem(await post("/v1/keys", keys.readonly, { role: "admin" }), 403, "forbidden");
    expectProblem(await call("PUT", "/v1/channels/web", { key: keys.readonly, body: { locations: ["store-b"] } }), 403, "forbidden");
    expectProblem(await call("PUT", "/v1/locations/store-z", { key: keys.readonly, body: { type: "store" } }), 403, "forbidden");

    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    expect(await keyCount(tenant)).toBe(keysBefore);
    const channels = await call("GET", "/v1/channels", { key: keys.readonly });
    expect(channels.body.channels.find((c: { id: string }) => c.id === "web").locations).toEqual(["wh-1", "store-a", "store-b"]);
    expect((await call("GET", "/v1/locations", { key: keys.readonly })).body.locations).toHaveLength(3);
  });

  it("an erp key cannot create keys (403)", async () => {
    const tenant = await createStockedTenant();
    const keys = await keysOf(tenant);
    const before = await keyCount(tenant);
    expectProblem(await post("/v1/keys", keys.erp, { role: "admin" }), 403, "forbidden");
    expectProblem(await post("/v1/keys", keys.erp, { role: "readonly" }), 403, "forbidden");
    expect(await keyCount(tenant)).toBe(before);
  });

  it("an unknown key, a malformed key or no Authorization header is 401 on every kind of route", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const before = await skuState(tenant.adminKey, sku);
    const unknownKey = `ssk_${tenant.id}_${"a".repeat(40)}`;
    const credentials: { key?: string; headers?: Record<string, string> }[] = [
      { key: unknownKey },
      { key: "not-a-key" },
      { key: `${tenant.adminKey}x` },
      { headers: { authorization: tenant.adminKey } },
      { headers: { authorization: `Basic ${tenant.adminKey}` } },
      {},
    ];
    for (const credential of credentials) {
      const requests = [
        call("GET", `/v1/inventory/${sku}`, credential),
        call("GET", `/v1/availability/${sku}?channel=web`, credential),
        call("PUT", `/v1/inventory/${sku}/locations/store-a`, { ...credential, body: { onHand: 0 } }),
        call("POST", `/v1/inventory/${sku}/reservations`, { ...credential, idempotencyKey: unique("idem"), body: { qty: 1, channel: "web", reference: "r" } }),
        call("POST", "/v1/keys", { ...credential, idempotencyKey: unique("idem"), body: { role: "admin" } }),
        call("GET", "/v1/tenant", credential),
      ];
      for (const response of await Promise.all(requests)) expectProblem(response, 401, "unauthorized");
    }
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });

  it("a tenant key on POST /v1/tenants is 401 and creates nothing", async () => {
    const tenant = await createStockedTenant();
    const id = unique("t");
    expectProblem(await post("/v1/tenants", tenant.adminKey, { id, name: "Sneaky" }), 401, "unauthorized");
    expectProblem(await post("/v1/tenants", undefined, { id, name: "Sneaky" }), 401, "unauthorized");
    // The id is still free for the platform.
    expect((await post("/v1/tenants", platformKey, { id, name: "Real" })).status).toBe(201);
  });

  it("the platform key on tenant routes is 401", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await call("GET", `/v1/inventory/${sku}`, { key: platformKey }), 401, "unauthorized");
    expectProblem(await call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: platformKey, body: { onHand: 0 } }), 401, "unauthorized");
    expectProblem(await post("/v1/keys", platformKey, { role: "admin" }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/keys", { key: platformKey }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/tenant", { key: platformKey }), 401, "unauthorized");
    expectProblem(await call("GET", `/v1/availability/${sku}?channel=web`, { key: platformKey }), 401, "unauthorized");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });
});
