import { describe, expect, it } from "vitest";
import { call, createStockedTenant, platformKey, reserve, setStock, tenantWithStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { expectProblem, keyCount, skuState } from "./fixtures.ts";

function adjust(tenant: TestTenant, sku: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return call("POST", `/v1/inventory/${sku}/adjustments`, { key: tenant.adminKey, idempotencyKey, body: { location: "store-a", reason: "count", reference: "ref-1", ...body } });
}

function close(tenant: TestTenant, sku: string, id: string, action: "commit" | "release", idempotencyKey?: string) {
  return call("POST", `/v1/inventory/${sku}/reservations/${id}/${action}`, { key: tenant.adminKey, idempotencyKey });
}

/** A problem body without `instance`, which names the request that carried it. */
function withoutInstance(response: ApiResponse) {
  const { instance: _instance, ...rest } = response.body;
  return rest;
}

/** `replay` is the stored answer to `first`: same status, marked replayed, carrying `body` (by default, first's). */
function expectReplayOf(replay: ApiResponse, first: ApiResponse, body: unknown = first.body) {
  expect(first.headers.get("idempotent-replayed")).toBeNull();
  expect(replay.status).toBe(first.status);
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expect(replay.body).toEqual(body);
}

function countOf(entries: unknown[], type: string): number {
  return entries.filter((entry) => (entry as { type: string }).type === type).length;
}

describe("a retry with the same Idempotency-Key and body returns the first answer and has no second effect", () => {
  it("adjustment", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const key = unique("idem");

    const first = await adjust(tenant, sku, { delta: -3 }, key);
    expect(first.status).toBe(201);
    expect(first.body.totals.onHand).toBe(7);
    const afterFirst = await skuState(tenant.adminKey, sku);

    const replay = await adjust(tenant, sku, { delta: -3 }, key);
    expectReplayOf(replay, first);
    expect(await skuState(tenant.adminKey, sku)).toEqual(afterFirst);
    expect(countOf(afterFirst.ledger, "adjustment")).toBe(1);

    // Even after other movements, the replay is the first answer, not a fresh effect.
    await adjust(tenant, sku, { delta: 5 }, unique("idem"));
    const late = await adjust(tenant, sku, { delta: -3 }, key);
    expectReplayOf(late, first);
    const state = await skuState(tenant.adminKey, sku);
    expect(state.inventory.body.totals.onHand).toBe(12);
    expect(countOf(state.ledger, "adjustment")).toBe(2);
  });

  it("reservation: same reservation id, units reserved once", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const key = unique("idem");

    const first = await reserve(tenant, sku, { qty: 4 }, key);
    expect(first.status).toBe(201);
    const replay = await reserve(tenant, sku, { qty: 4 }, key);
    expectReplayOf(replay, first);

    const state = await skuState(tenant.adminKey, sku);
    expect(state.inventory.body.totals).toEqual({ onHand: 10, safetyStock: 0, reserved: 4, leased: 0, available: 6 });
    expect(countOf(state.ledger, "reservation")).toBe(1);
  });

  it("a refused reservation (insufficient_stock) is replayed identically even after stock arrives", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 2 });
    const key = unique("idem");

    const first = await reserve(tenant, sku, { qty: 5 }, key);
    expectProblem(first, 409, "insufficient_stock");
    expect(first.body).toMatchObject({ requested: 5, available: 2 });

    await setStock(tenant, sku, "store-a", 50);
    const replay = await reserve(tenant, sku, { qty: 5 }, key);
    expectProblem(replay, 409, "insufficient_stock");
    expect(withoutInstance(replay)).toEqual(withoutInstance(first));

    const state = await skuState(tenant.adminKey, sku);
    expect(state.inventory.body.totals.reserved).toBe(0);
    expect(countOf(state.ledger, "reservation")).toBe(0);

    // A new key is a new request, and it is granted now.
    const fresh = await reserve(tenant, sku, { qty: 5 }, unique("idem"));
    expect(fresh.status).toBe(201);

    // A replayed refusal says it is a replay, like a replayed success does.
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it.each([
    { action: "commit", title: "commit: the units leave onHand once", status: "committed", onHand: 7 },
    { action: "release", title: "release: the units come back once", status: "released", onHand: 10 },
  ] as const)("$title", async ({ action, status, onHand }) => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const reservation = await reserve(tenant, sku, { qty: 3, location: "store-a" });
    const key = unique("idem");

    const first = await close(tenant, sku, reservation.body.id, action, key);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe(status);
    const replay = await close(tenant, sku, reservation.body.id, action, key);
    expectReplayOf(replay, first);

    const state = await skuState(tenant.adminKey, sku);
    expect(state.inventory.body.totals).toEqual({ onHand, safetyStock: 0, reserved: 0, leased: 0, available: onHand });
    expect(countOf(state.ledger, action)).toBe(1);
  });

  it("PUT stock with a key: a late replay does not overwrite later movements", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    const key = unique("idem");
    const put = () => call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: tenant.adminKey, idempotencyKey: key, body: { onHand: 10, safetyStock: 1 } });

    const first = await put();
    expect(first.status).toBe(200);
    expect(first.body.totals.onHand).toBe(10);
    await adjust(tenant, sku, { delta: -2 }, unique("idem"));

    const replay = await put();
    expectReplayOf(replay, first);
    const state = await skuState(tenant.adminKey, sku);
    expect(state.inventory.body.totals.onHand).toBe(8);
    expect(countOf(state.ledger, "snapshot")).toBe(1);
  });

  it("POST /v1/keys: the replay carries key null and creates no second key", async () => {
    const tenant = await createStockedTenant();
    const before = await keyCount(tenant);
    const key = unique("idem");
    const create = () => call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: key, body: { role: "channel", channel: "web", name: "web poller" } });

    const first = await create();
    expect(first.status).toBe(201);
    expect(first.body.key).toMatch(/^ssk_/);
    const replay = await create();
    expectReplayOf(replay, first, { ...first.body, key: null });
    expect(await keyCount(tenant)).toBe(before + 1);

    // The secret of the first answer is the key that exists.
    const tenantSeen = await call("GET", "/v1/tenant", { key: first.body.key });
    expect(tenantSeen.status).toBe(200);
  });

  it("POST /v1/tenants: the replay returns the same tenant and admin key id, key null, and no second key", async () => {
    const id = unique("t");
    const key = unique("idem");
    const create = () => call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: key, body: { id, name: "Replayed Retail" } });

    const first = await create();
    expect(first.status).toBe(201);
    expect(first.body.adminKey.key).toMatch(/^ssk_/);
    const replay = await create();
    expectReplayOf(replay, first, { ...first.body, adminKey: { ...first.body.adminKey, key: null } });

    const tenant = { id, adminKey: first.body.adminKey.key as string };
    expect(await keyCount(tenant)).toBe(1);
    expect((await call("GET", "/v1/tenant", { key: tenant.adminKey })).body.name).toBe("Replayed Retail");
  });
});

describe("the same Idempotency-Key with a different request is 409 idempotency_conflict and changes nothing", () => {
  it("adjustment with another delta", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const key = unique("idem");
    expect((await adjust(tenant, sku, { delta: -3 }, key)).status).toBe(201);
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await adjust(tenant, sku, { delta: -4 }, key), 409, "idempotency_conflict");
    expectProblem(await adjust(tenant, sku, { delta: -3, reason: "theft" }, key), 409, "idempotency_conflict");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });

  it("reservation with another qty", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const key = unique("idem");
    expect((await reserve(tenant, sku, { qty: 2 }, key)).status).toBe(201);
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await reserve(tenant, sku, { qty: 3 }, key), 409, "idempotency_conflict");
    expectProblem(await reserve(tenant, sku, { qty: 2, location: "store-a" }, key), 409, "idempotency_conflict");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });

  it("commit and release: the key of one reservation used for another", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const one = await reserve(tenant, sku, { qty: 1, location: "store-a" });
    const two = await reserve(tenant, sku, { qty: 2, location: "store-a" });
    const key = unique("idem");
    expect((await close(tenant, sku, one.body.id, "commit", key)).status).toBe(200);
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await close(tenant, sku, two.body.id, "commit", key), 409, "idempotency_conflict");
    expectProblem(await close(tenant, sku, two.body.id, "release", key), 409, "idempotency_conflict");
    expectProblem(await close(tenant, sku, one.body.id, "release", key), 409, "idempotency_conflict");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    const stillActive = await call("GET", `/v1/inventory/${sku}/reservations/${two.body.id}`, { key: tenant.adminKey });
    expect(stillActive.body.status).toBe("active");
  });

  it("PUT stock with another onHand", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    const key = unique("idem");
    const put = (onHand: number) => call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: tenant.adminKey, idempotencyKey: key, body: { onHand } });
    expect((await put(10)).status).toBe(200);
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await put(11), 409, "idempotency_conflict");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });

  it("POST /v1/keys with another role", async () => {
    const tenant = await createStockedTenant();
    const key = unique("idem");
    expect((await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: key, body: { role: "readonly" } })).status).toBe(201);
    const before = await keyCount(tenant);

    expectProblem(await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: key, body: { role: "erp" } }), 409, "idempotency_conflict");
    expect(await keyCount(tenant)).toBe(before);
  });

  it("POST /v1/tenants with another name", async () => {
    const id = unique("t");
    const key = unique("idem");
    const first = await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: key, body: { id, name: "First Name" } });
    expect(first.status).toBe(201);

    expectProblem(await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: key, body: { id, name: "Other Name" } }), 409, "idempotency_conflict");
    const tenant = await call("GET", "/v1/tenant", { key: first.body.adminKey.key });
    expect(tenant.body.name).toBe("First Name");
  });

  it("POST /v1/tenants with another tenant id", async () => {
    const key = unique("idem");
    const first = await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: key, body: { id: unique("t"), name: "Same Name" } });
    expect(first.status).toBe(201);

    const otherId = unique("t");
    const second = await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: key, body: { id: otherId, name: "Same Name" } });
    expectProblem(second, 409, "idempotency_conflict");
    // Nothing was created: the id is still free for a new request.
    const fresh = await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: unique("idem"), body: { id: otherId, name: "Same Name" } });
    expect(fresh.status).toBe(201);
  });
});

describe("a POST without Idempotency-Key is 400 idempotency_key_required and changes nothing", () => {
  it("adjustment, reservation, commit and release", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const reservation = await reserve(tenant, sku, { qty: 2, location: "store-a" });
    const before = await skuState(tenant.adminKey, sku);

    expectProblem(await adjust(tenant, sku, { delta: -1 }), 400, "idempotency_key_required");
    expectProblem(await call("POST", `/v1/inventory/${sku}/reservations`, { key: tenant.adminKey, body: { qty: 1, channel: "web", reference: "o-2" } }), 400, "idempotency_key_required");
    expectProblem(await close(tenant, sku, reservation.body.id, "commit"), 400, "idempotency_key_required");
    expectProblem(await close(tenant, sku, reservation.body.id, "release"), 400, "idempotency_key_required");

    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    const read = await call("GET", `/v1/inventory/${sku}/reservations/${reservation.body.id}`, { key: tenant.adminKey });
    expect(read.body.status).toBe("active");
  });

  it("POST /v1/keys", async () => {
    const tenant = await createStockedTenant();
    const before = await keyCount(tenant);
    expectProblem(await call("POST", "/v1/keys", { key: tenant.adminKey, body: { role: "readonly" } }), 400, "idempotency_key_required");
    expect(await keyCount(tenant)).toBe(before);
  });

  it("POST /v1/tenants", async () => {
    const id = unique("t");
    expectProblem(await call("POST", "/v1/tenants", { key: platformKey, body: { id, name: "No Key Retail" } }), 400, "idempotency_key_required");
    // The id is still free.
    const created = await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: unique("idem"), body: { id, name: "No Key Retail" } });
    expect(created.status).toBe(201);
  });
});
