import { describe, expect, it } from "vitest";
import { orderIdOf } from "../durable/objects.ts";
import { call, createStockedTenant, setStock, tenantWithStock, unique } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { cancel, fulfill, orderBody, reservedOf, submitOrder } from "./order-api.ts";

async function listed(key: string): Promise<unknown[]> {
  const page = await call("GET", "/v1/orders", { key });
  expect(page.status).toBe(200);
  return page.body.orders;
}

describe("orders refuse bad input with a problem, and nothing changes", () => {
  it("an unknown SKU (neither in the catalog nor ever stocked) is 422 unknown_sku; the order is not recorded", async () => {
    const { tenant, skus: [known] } = await tenantWithStock({ "wh-1": 10 });
    const stranger = unique("sku");
    const body = orderBody([[known, 1], [stranger, 1]]);

    const refused = await submitOrder(tenant.adminKey, body);

    expectProblem(refused, 422, "unknown_sku");
    expect(refused.body.skus).toEqual([stranger]);
    expect(await reservedOf(tenant, known)).toBe(0);
    expectProblem(await call("GET", `/v1/orders/${await orderIdOf(tenant.id, "web", body.externalId)}`, { key: tenant.adminKey }), 404, "not_found");
    expect(await listed(tenant.adminKey)).toEqual([]);
  });

  it("a catalog SKU that was never stocked is not unknown: the order is backordered", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    expect((await call("PUT", `/v1/catalog/items/${sku}`, { key: tenant.adminKey, body: { name: "New item", barcodes: [], price: 999, currency: "USD" } })).status).toBe(200);

    const created = await submitOrder(tenant.adminKey, orderBody([[sku, 1]]));

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "backordered", shortages: [{ sku, requested: 1, available: 0 }] });
  });

  it("zero or negative quantities, a missing Idempotency-Key, an unknown channel or pickup location, a pickup outside the channel's pool", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-b": 10 });

    for (const qty of [0, -1, 1.5]) expectProblem(await submitOrder(tenant.adminKey, orderBody([[sku, qty]])), 400, "validation_failed");
    expectProblem(await submitOrder(tenant.adminKey, orderBody([])), 400, "validation_failed");
    expectProblem(await call("POST", "/v1/orders", { key: tenant.adminKey, body: orderBody([[sku, 1]]) }), 400, "idempotency_key_required");
    expectProblem(await submitOrder(tenant.adminKey, orderBody([[sku, 1]], { channel: "nowhere" })), 422, "unknown_channel");
    expectProblem(await submitOrder(tenant.adminKey, orderBody([[sku, 1]], { delivery: { type: "pickup", location: "store-z" } })), 422, "unknown_location");
    // pos's pool is store-a only.
    expectProblem(await submitOrder(tenant.adminKey, orderBody([[sku, 1]], { channel: "pos", delivery: { type: "pickup", location: "store-b" } })), 422, "location_not_in_channel");

    expect(await reservedOf(tenant, sku)).toBe(0);
    expect(await listed(tenant.adminKey)).toEqual([]);
  });

  it("an unknown order is 404 to reads and writes, whatever its id looks like", async () => {
    const tenant = await createStockedTenant();
    const unknown = await orderIdOf(tenant.id, "web", "never-sent");
    for (const id of [unknown, "ord_nope", "x"]) {
      expectProblem(await call("GET", `/v1/orders/${id}`, { key: tenant.adminKey }), 404, "not_found");
      expectProblem(await fulfill(tenant.adminKey, id, { location: "wh-1", lines: [{ sku: "A", qty: 1 }] }), 404, "not_found");
      expectProblem(await cancel(tenant.adminKey, id), 404, "not_found");
    }
  });

  it("another tenant's order is 404 to every key of this tenant, and stays as it was", async () => {
    const [owner, other] = [await createStockedTenant(), await createStockedTenant()];
    const sku = unique("sku");
    await setStock(owner, sku, "wh-1", 10);
    const created = await submitOrder(owner.adminKey, orderBody([[sku, 2]]));
    expect(created.body.status).toBe("reserved");

    expectProblem(await call("GET", `/v1/orders/${created.body.id}`, { key: other.adminKey }), 404, "not_found");
    expectProblem(await fulfill(other.adminKey, created.body.id, { location: "wh-1", lines: [{ sku, qty: 1 }] }), 404, "not_found");
    expectProblem(await cancel(other.adminKey, created.body.id), 404, "not_found");
    expect(await listed(other.adminKey)).toEqual([]);

    expect((await call("GET", `/v1/orders/${created.body.id}`, { key: owner.adminKey })).body).toEqual(created.body);
    expect(await reservedOf(owner, sku)).toBe(2);
  });
});
