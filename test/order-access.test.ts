import { describe, expect, it } from "vitest";
import { call, createKey, createStockedTenant, setStock, unique } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { cancel, fulfill, orderBody, submitOrder } from "./order-api.ts";

describe("who may take, read and change orders", () => {
  it("a channel key acts on its own channel's orders only; others' are forbidden to create and not found to read or change", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "store-a", 10);
    const webKey = await createKey(tenant, { role: "channel", channel: "web" });
    const posOrder = await submitOrder(tenant.adminKey, orderBody([[sku, 1]], { channel: "pos", delivery: { type: "pickup", location: "store-a" } }));
    expect(posOrder.body.status).toBe("reserved");

    const own = await submitOrder(webKey, orderBody([[sku, 1]]));
    expect(own.status).toBe(201);
    expect((await call("GET", `/v1/orders/${own.body.id}`, { key: webKey })).status).toBe(200);
    expect((await fulfill(webKey, own.body.id, { location: "store-a", lines: [{ sku, qty: 1 }] })).body.status).toBe("fulfilled");

    expectProblem(await submitOrder(webKey, orderBody([[sku, 1]], { channel: "pos", delivery: { type: "pickup", location: "store-a" } })), 403, "forbidden");
    expectProblem(await call("GET", `/v1/orders/${posOrder.body.id}`, { key: webKey }), 404, "not_found");
    expectProblem(await cancel(webKey, posOrder.body.id), 404, "not_found");
    expectProblem(await fulfill(webKey, posOrder.body.id, { location: "store-a", lines: [{ sku, qty: 1 }] }), 404, "not_found");

    const listed = await call("GET", "/v1/orders", { key: webKey });
    expect(listed.body.orders.map((o: { id: string }) => o.id)).toEqual([own.body.id]);
    expectProblem(await call("GET", "/v1/orders?channel=pos", { key: webKey }), 403, "forbidden");
    expect((await call("GET", `/v1/orders/${posOrder.body.id}`, { key: tenant.adminKey })).body.status).toBe("reserved");
  });

  it("a readonly key reads orders and settings but changes nothing; store and erp keys have no access", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 10);
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 1]]));
    const readonly = await createKey(tenant, { role: "readonly" });

    expect((await call("GET", `/v1/orders/${order.body.id}`, { key: readonly })).body).toEqual(order.body);
    expect((await call("GET", "/v1/orders", { key: readonly })).body.orders).toHaveLength(1);
    expect((await call("GET", "/v1/settings/orders", { key: readonly })).body).toEqual({ shortagePolicy: "backorder" });
    expectProblem(await submitOrder(readonly, orderBody([[sku, 1]])), 403, "forbidden");
    expectProblem(await cancel(readonly, order.body.id), 403, "forbidden");
    expectProblem(await fulfill(readonly, order.body.id, { location: "wh-1", lines: [{ sku, qty: 1 }] }), 403, "forbidden");
    expectProblem(await call("PUT", "/v1/settings/orders", { key: readonly, body: { shortagePolicy: "exception" } }), 403, "forbidden");

    for (const key of [await createKey(tenant, { role: "store", location: "store-a" }), await createKey(tenant, { role: "erp" })]) {
      expectProblem(await call("GET", `/v1/orders/${order.body.id}`, { key }), 403, "forbidden");
      expectProblem(await submitOrder(key, orderBody([[sku, 1]])), 403, "forbidden");
    }
    expectProblem(await call("GET", "/v1/orders"), 401, "unauthorized");
    expect((await call("GET", `/v1/orders/${order.body.id}`, { key: tenant.adminKey })).body).toEqual(order.body);
  });
});
