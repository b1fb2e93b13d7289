import { describe, expect, it } from "vitest";
import { call, createKey, createStockedTenant, setStock, unique, type TestTenant } from "./api.ts";
import { expectProblem, skuState } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";

async function shippedOrder() {
  const tenant = await createStockedTenant();
  const [skuA, skuB] = [unique("sku"), unique("sku")];
  await setStock(tenant, skuA, "wh-1", 10);
  await setStock(tenant, skuB, "wh-1", 10);
  const lines = [
    { sku: skuA, qty: 3, unitPrice: 1000, discount: 100, tax: 290 },
    { sku: skuB, qty: 2, unitPrice: 500 },
  ];
  const order = await submitOrder(tenant.adminKey, orderBody([], { lines }));
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  const shipped = await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku: skuA, qty: 2 }] });
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  return { tenant, skuA, skuB, orderId: order.body.id as string };
}

function openReturn(tenant: TestTenant, body: unknown, idempotencyKey: string | undefined = unique("idem"), key = tenant.adminKey) {
  return call("POST", "/v1/returns", { key, idempotencyKey, body });
}

function receive(tenant: TestTenant, id: string, body: unknown, idempotencyKey: string | undefined = unique("idem")) {
  return call("POST", `/v1/returns/${id}/receive`, { key: tenant.adminKey, idempotencyKey, body });
}

describe("returns through the API, against real orders", () => {
  it("opens a return of fulfilled units, receives it, and reads it with its refund and events", async () => {
    const { tenant, skuA, orderId } = await shippedOrder();
    const opened = await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 2, reason: "too small" }] });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ orderId, status: "open", lines: [{ sku: skuA, qty: 2, received: 0 }], refund: { currency: "USD", amount: 0 } });

    const received = await receive(tenant, opened.body.id, { location: "wh-1", lines: [{ sku: skuA, qty: 1, disposition: "restock" }, { sku: skuA, qty: 1, disposition: "damaged" }] });
    expect(received.status).toBe(201);
    // 3 × 1000 − 100 + 290 = 3190 for 3 units: floor(3190 × 2 / 3) = 2126.
    expect(received.body).toMatchObject({ status: "received", refund: { amount: 2126 } });

    const read = await call("GET", `/v1/returns/${opened.body.id}`, { key: tenant.adminKey });
    expect(read.status).toBe(200);
    expect(read.body.events.map((event: { type: string }) => event.type)).toEqual(["opened", "received", "restocked", "written_off"]);
    const list = await call("GET", `/v1/returns?orderId=${orderId}`, { key: tenant.adminKey });
    expect(list.body.returns.map((r: { id: string }) => r.id)).toEqual([opened.body.id]);

    const a = await skuState(tenant.adminKey, skuA);
    // 10 on hand, 3 reserved, 2 shipped (commit), 1 restocked.
    expect(a.inventory.body.locations).toEqual([expect.objectContaining({ location: "wh-1", onHand: 9, reserved: 1 })]);
  });

  it("refuses more than fulfilled, unshipped units, an unknown order; nothing changes", async () => {
    const { tenant, skuA, skuB, orderId } = await shippedOrder();
    const tooMany = await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 3, reason: "r" }] });
    expectProblem(tooMany, 409, "return_exceeds_fulfilled");
    expect(tooMany.body).toMatchObject({ sku: skuA, requested: 3, returnable: 2 });
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuB, qty: 1, reason: "r" }] }), 409, "return_exceeds_fulfilled");
    expectProblem(await openReturn(tenant, { orderId: "ord_00000000000000000000000000", lines: [{ sku: skuA, qty: 1, reason: "r" }] }), 404, "not_found");
    expect((await call("GET", `/v1/returns?orderId=${orderId}`, { key: tenant.adminKey })).body.returns).toEqual([]);

    await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 2, reason: "r" }] });
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }] }), 409, "return_exceeds_fulfilled");
  });

  it("refuses bad input with problems: no Idempotency-Key, zero or negative quantities, a SKU twice, an unknown location, more than expected", async () => {
    const { tenant, skuA, orderId } = await shippedOrder();
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }] }, ""), 400, "idempotency_key_required");
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 0, reason: "r" }] }), 400, "validation_failed");
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: -1, reason: "r" }] }), 400, "validation_failed");
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }, { sku: skuA, qty: 1, reason: "s" }] }), 400, "validation_failed");
    const opened = await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }] });
    expectProblem(await receive(tenant, opened.body.id, { location: "wh-1", lines: [{ sku: skuA, qty: 1, disposition: "restock" }] }, ""), 400, "idempotency_key_required");
    expectProblem(await receive(tenant, opened.body.id, { location: "nowhere", lines: [{ sku: skuA, qty: 1, disposition: "restock" }] }), 422, "unknown_location");
    expectProblem(await receive(tenant, opened.body.id, { location: "wh-1", lines: [{ sku: skuA, qty: 1, disposition: "recycle" }] }), 400, "validation_failed");
    expectProblem(await receive(tenant, opened.body.id, { location: "wh-1", lines: [{ sku: skuA, qty: 2, disposition: "restock" }] }), 409, "return_exceeds_open");
    expectProblem(await receive(tenant, "ret_unknown", { location: "wh-1", lines: [{ sku: skuA, qty: 1, disposition: "restock" }] }), 404, "not_found");
    expectProblem(await call("GET", "/v1/returns/ret_unknown", { key: tenant.adminKey }), 404, "not_found");
    const read = await call("GET", `/v1/returns/${opened.body.id}`, { key: tenant.adminKey });
    expect(read.body).toMatchObject({ status: "open", received: [] });
  });

  it("replays a retried receive: one restock", async () => {
    const { tenant, skuA, orderId } = await shippedOrder();
    const opened = await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 2, reason: "r" }] });
    const key = unique("idem");
    const body = { location: "wh-1", lines: [{ sku: skuA, qty: 2, disposition: "restock" }] };
    const first = await receive(tenant, opened.body.id, body, key);
    const again = await receive(tenant, opened.body.id, body, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const a = await skuState(tenant.adminKey, skuA);
    expect(a.ledger.filter((entry: any) => entry.reason === "return_restock")).toHaveLength(1);
    expect(a.inventory.body.totals.onHand).toBe(10);
  });

  it("keeps returns within the tenant and within the roles", async () => {
    const { tenant, skuA, orderId } = await shippedOrder();
    const opened = await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }] });
    const other = await createStockedTenant();
    expectProblem(await call("GET", `/v1/returns/${opened.body.id}`, { key: other.adminKey }), 404, "not_found");
    expectProblem(await openReturn(other, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }] }), 404, "not_found");
    const readonly = await createKey(tenant, { role: "readonly" });
    expectProblem(await openReturn(tenant, { orderId, lines: [{ sku: skuA, qty: 1, reason: "r" }] }, unique("idem"), readonly), 403, "forbidden");
    expect((await call("GET", `/v1/returns/${opened.body.id}`, { key: readonly })).status).toBe(200);
  });
});
