import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, unique, type ApiResponse, type CallOptions, type TestTenant } from "./api.ts";
import { expectProblem, skuState } from "./fixtures.ts";

interface Stocked {
  tenant: TestTenant;
  sku: string;
}

/** A fresh tenant whose SKU has stock at store-a and store-b and one open reservation. */
async function stocked(): Promise<Stocked> {
  const tenant = await createStockedTenant();
  const sku = unique("sku");
  await setStock(tenant, sku, "store-a", 10, 1);
  await setStock(tenant, sku, "store-b", 4);
  expect((await reserve(tenant, sku, { qty: 2, location: "store-a" })).status).toBe(201);
  return { tenant, sku };
}

/**
 * Sends each request and asserts the problem it gets, then that the SKU's
 * inventory and ledger are exactly as before.
 */
async function expectRefusedWithoutEffect({ tenant, sku }: Stocked, status: number, code: string, requests: (() => Promise<ApiResponse>)[]): Promise<ApiResponse[]> {
  const before = await skuState(tenant.adminKey, sku);
  const responses: ApiResponse[] = [];
  for (const send of requests) {
    const response = await send();
    expectProblem(response, status, code);
    responses.push(response);
  }
  expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  return responses;
}

function send(method: string, path: string, { tenant }: Stocked, options: CallOptions = {}) {
  return () => call(method, path, { key: tenant.adminKey, idempotencyKey: method === "POST" ? unique("idem") : undefined, ...options });
}

const adjustment = { location: "store-a", delta: -1, reason: "damaged", reference: "r-1" };
const reservation = { qty: 1, channel: "web", reference: "o-1" };

/** Bulk availability once the SKU's figures have reached the read model. */
async function pollBulk({ tenant, sku }: Stocked, skus: string[]): Promise<ApiResponse> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const response = await call("GET", `/v1/availability?channel=web&skus=${skus.join(",")}`, { key: tenant.adminKey });
    const found = response.status === 200 && (response.body.items as { sku: string }[]).some((item) => item.sku === sku);
    if (found || response.status !== 200 || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function errorPaths(response: ApiResponse): string[] {
  expect(Array.isArray(response.body.errors)).toBe(true);
  return (response.body.errors as { path: string }[]).map((error) => error.path);
}

describe("bad input gets a 4xx problem with a stable code and changes nothing", () => {
  it("malformed JSON is 400 malformed_json", async () => {
    const s = await stocked();
    const broken = '{"location": "store-a", "delta": ';
    await expectRefusedWithoutEffect(s, 400, "malformed_json", [
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { rawBody: broken }),
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { rawBody: "{qty: 1}" }),
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { rawBody: "onHand=3" }),
    ]);
  });

  it("a key refused for bad input is not spent: the corrected request under it is applied", async () => {
    const s = await stocked();
    const key = unique("idem");
    await expectRefusedWithoutEffect(s, 400, "malformed_json", [
      () => call("POST", `/v1/inventory/${s.sku}/adjustments`, { key: s.tenant.adminKey, idempotencyKey: key, rawBody: "{" }),
    ]);
    const corrected = await call("POST", `/v1/inventory/${s.sku}/adjustments`, { key: s.tenant.adminKey, idempotencyKey: key, body: adjustment });
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get("idempotent-replayed")).toBeNull();
  });

  it("wrong types are 400 validation_failed with errors naming the field", async () => {
    const s = await stocked();
    const [qty, delta, onHand] = await expectRefusedWithoutEffect(s, 400, "validation_failed", [
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, qty: "1" } }),
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, delta: "-1" } }),
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { body: { onHand: "3" } }),
    ]);
    expect(errorPaths(qty!)).toContain("qty");
    expect(errorPaths(delta!)).toContain("delta");
    expect(errorPaths(onHand!)).toContain("onHand");
    expect(qty!.body.detail).toContain("qty");
  });

  it("negative, zero and fractional qty are 400 validation_failed", async () => {
    const s = await stocked();
    const responses = await expectRefusedWithoutEffect(
      s,
      400,
      "validation_failed",
      [-1, 0, 1.5, 2_000_000].map((qty) => send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, qty } })),
    );
    for (const response of responses) expect(errorPaths(response)).toEqual(["qty"]);
  });

  it("a zero or fractional delta is 400 validation_failed", async () => {
    const s = await stocked();
    const responses = await expectRefusedWithoutEffect(
      s,
      400,
      "validation_failed",
      [0, 0.5, -1.5].map((delta) => send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, delta } })),
    );
    for (const response of responses) expect(errorPaths(response)).toEqual(["delta"]);
  });

  it("a negative onHand or safetyStock on PUT stock is 400 validation_failed", async () => {
    const s = await stocked();
    const [onHand, safety] = await expectRefusedWithoutEffect(s, 400, "validation_failed", [
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { body: { onHand: -1 } }),
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { body: { onHand: 5, safetyStock: -2 } }),
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { body: { onHand: 2.5 } }),
    ]);
    expect(errorPaths(onHand!)).toEqual(["onHand"]);
    expect(errorPaths(safety!)).toEqual(["safetyStock"]);
  });

  it("unknown fields are 400 validation_failed (schemas are strict)", async () => {
    const s = await stocked();
    await expectRefusedWithoutEffect(s, 400, "validation_failed", [
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { body: { onHand: 3, reserved: 0 } }),
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, onHand: 100 } }),
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, status: "committed" } }),
    ]);
    const keysBefore = await call("GET", "/v1/keys", { key: s.tenant.adminKey });
    expectProblem(await send("POST", "/v1/keys", s, { body: { role: "readonly", tenant: "other" } })(), 400, "validation_failed");
    expect((await call("GET", "/v1/keys", { key: s.tenant.adminKey })).body).toEqual(keysBefore.body);
  });

  it("an unknown location is 422 unknown_location on PUT stock, adjustment and reservation", async () => {
    const s = await stocked();
    await expectRefusedWithoutEffect(s, 422, "unknown_location", [
      send("PUT", `/v1/inventory/${s.sku}/locations/store-zz`, s, { body: { onHand: 3 } }),
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, location: "store-zz", delta: 5 } }),
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, location: "store-zz" } }),
    ]);
  });

  it("an unknown channel is 422 unknown_channel", async () => {
    const s = await stocked();
    await expectRefusedWithoutEffect(s, 422, "unknown_channel", [
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, channel: "amazon" } }),
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, channel: "amazon", location: "store-a" } }),
    ]);
    expectProblem(await call("GET", `/v1/availability/${s.sku}?channel=amazon`, { key: s.tenant.adminKey }), 422, "unknown_channel");
  });

  it("a location outside the channel's pool is 422 location_not_in_channel", async () => {
    const s = await stocked();
    await expectRefusedWithoutEffect(s, 422, "location_not_in_channel", [
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, channel: "pos", location: "store-b" } }),
    ]);
  });

  it("a body over 64 KiB is 413 payload_too_large", async () => {
    const s = await stocked();
    const padding = "x".repeat(70 * 1024);
    await expectRefusedWithoutEffect(s, 413, "payload_too_large", [
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, reference: padding } }),
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { body: { ...reservation, reference: padding } }),
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { body: { onHand: 1, reference: padding } }),
    ]);
  });

  it("a body that is not application/json is 415 unsupported_media_type", async () => {
    const s = await stocked();
    await expectRefusedWithoutEffect(s, 415, "unsupported_media_type", [
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { rawBody: JSON.stringify(adjustment), headers: { "content-type": "text/plain" } }),
      send("POST", `/v1/inventory/${s.sku}/reservations`, s, { rawBody: "qty=1&channel=web&reference=o", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      send("PUT", `/v1/inventory/${s.sku}/locations/store-a`, s, { rawBody: JSON.stringify({ onHand: 0 }), headers: { "content-type": "text/csv" } }),
    ]);
  });

  it("a SKU with characters outside [A-Za-z0-9._-] in the path is 400 validation_failed", async () => {
    const s = await stocked();
    const badSkus = [`${s.sku}%20`, `%20${s.sku}`, `${s.sku}$`, `-${s.sku}`, `${s.sku}%C3%A9`, "x".repeat(65)];
    const responses = await expectRefusedWithoutEffect(
      s,
      400,
      "validation_failed",
      badSkus.flatMap((bad) => [
        send("PUT", `/v1/inventory/${bad}/locations/store-a`, s, { body: { onHand: 0 } }),
        send("POST", `/v1/inventory/${bad}/adjustments`, s, { body: adjustment }),
        send("POST", `/v1/inventory/${bad}/reservations`, s, { body: reservation }),
        send("GET", `/v1/inventory/${bad}`, s),
      ]),
    );
    for (const response of responses) expect(errorPaths(response)).toContain("sku");
  });

  it("an adjustment below zero onHand is 422 negative_on_hand", async () => {
    const s = await stocked();
    const [refused] = await expectRefusedWithoutEffect(s, 422, "negative_on_hand", [
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, location: "store-b", delta: -5 } }),
      send("POST", `/v1/inventory/${s.sku}/adjustments`, s, { body: { ...adjustment, location: "wh-1", delta: -1 } }),
    ]);
    expect(refused!.body.onHand).toBe(4);
  });

  it("an adjustment refused on a never-stocked SKU leaves the SKU unknown", async () => {
    const { tenant } = await stocked();
    const sku = unique("sku");
    const refused = await call("POST", `/v1/inventory/${sku}/adjustments`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: adjustment });
    expectProblem(refused, 422, "negative_on_hand");
    expectProblem(await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey }), 404, "not_found");
    expect((await call("GET", `/v1/inventory/${sku}/ledger`, { key: tenant.adminKey })).body.entries).toEqual([]);
  });

  it("an unknown route is 404 not_found", async () => {
    const s = await stocked();
    await expectRefusedWithoutEffect(s, 404, "not_found", [
      send("GET", "/v1/nothing-here", s),
      send("POST", `/v1/inventory/${s.sku}/frobnicate`, s, { body: adjustment }),
      send("DELETE", `/v1/inventory/${s.sku}`, s),
      send("GET", `/v2/inventory/${s.sku}`, s),
    ]);
  });

  it("a channel PUT with an unknown pool location is 422 and a duplicate pool location is 400; the channel is unchanged", async () => {
    const s = await stocked();
    const channelsBefore = await call("GET", "/v1/channels", { key: s.tenant.adminKey });
    expectProblem(await call("PUT", "/v1/channels/web", { key: s.tenant.adminKey, body: { locations: ["store-a", "store-zz"] } }), 422, "unknown_location");
    const duplicate = await call("PUT", "/v1/channels/web", { key: s.tenant.adminKey, body: { locations: ["store-a", "store-b", "store-a"] } });
    expectProblem(duplicate, 400, "validation_failed");
    expect(errorPaths(duplicate)).toContain("locations");
    expectProblem(await call("PUT", "/v1/channels/new-one", { key: s.tenant.adminKey, body: { locations: ["store-zz"] } }), 422, "unknown_location");
    expect((await call("GET", "/v1/channels", { key: s.tenant.adminKey })).body).toEqual(channelsBefore.body);
  });

  it("bulk availability with over 1000 SKUs is 400 validation_failed", async () => {
    const s = await stocked();
    const skus = Array.from({ length: 1001 }, (_, i) => `s${i}`);
    const tooMany = await call("GET", `/v1/availability?channel=web&skus=${skus.join(",")}`, { key: s.tenant.adminKey });
    expectProblem(tooMany, 400, "validation_failed");
    expect(errorPaths(tooMany)).toContain("skus");
  });

  it("bulk availability with exactly 1000 SKUs, the documented maximum, is answered", async () => {
    const s = await stocked();
    const skus = [s.sku, ...Array.from({ length: 999 }, (_, i) => `s${i}`)];
    const limit = await pollBulk(s, skus);
    expect(limit.status).toBe(200);
    expect(limit.body.items).toEqual([expect.objectContaining({ sku: s.sku })]);
    expect(limit.body.unknown).toHaveLength(999);
  });

  it("an unknown reservation id is 404 not_found on read, commit and release", async () => {
    const s = await stocked();
    const id = "res_doesnotexist0000000";
    await expectRefusedWithoutEffect(s, 404, "not_found", [
      send("GET", `/v1/inventory/${s.sku}/reservations/${id}`, s),
      send("POST", `/v1/inventory/${s.sku}/reservations/${id}/commit`, s),
      send("POST", `/v1/inventory/${s.sku}/reservations/${id}/release`, s),
    ]);
  });
});
