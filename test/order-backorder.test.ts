import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { OrderProcess } from "../durable/order-process.ts";
import { orderIdOf } from "../durable/objects.ts";
import { call, reserve, setStock, tenantWithStock } from "./api.ts";
import { backorderedOrder, canonical, figures, ledgerOf, orderBody, orderStub, reservedOf, submitOrder } from "./order-api.ts";

async function exceptionsOf(key: string) {
  const response = await call("GET", "/v1/exceptions?type=backorder", { key });
  expect(response.status).toBe(200);
  return response.body.exceptions as Record<string, any>[];
}

describe("an order that cannot be had is backordered, holding nothing", () => {
  it("a shortage found by routing reserves nothing, backorders the order and records a backorder exception", async () => {
    const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10 }, { "store-a": 1 });

    const created = await submitOrder(tenant.adminKey, orderBody([[a, 2], [b, 3]]));

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "backordered", allocations: [], shortages: [{ sku: b, requested: 3, available: 1 }] });
    expect(created.body.events.at(-1)).toMatchObject({ type: "backordered", from: "received", to: "backordered", cause: "shortage" });
    expect([await reservedOf(tenant, a), await reservedOf(tenant, b)]).toEqual([0, 0]);
    expect(await ledgerOf(tenant, a, "reservation")).toEqual([]);
    const exceptions = await exceptionsOf(tenant.adminKey);
    expect(exceptions).toEqual([
      expect.objectContaining({
        type: "backorder",
        subject: `order:${created.body.id}`,
        correlationId: created.body.externalId,
        state: "open",
        payload: { orderId: created.body.id, channel: "web", externalId: created.body.externalId, status: "backordered", attempt: 1, shortages: [{ sku: b, requested: 3, available: 1 }] },
      }),
    ]);
  });

  it("a line refused after others were reserved releases every reservation already taken (compensation)", async () => {
    const { tenant, skus: [a, b, c] } = await tenantWithStock({ "wh-1": 5 }, { "wh-1": 5 }, { "wh-1": 5 });
    const body = orderBody([[a, 2], [b, 2], [c, 2]]);
    const orderId = await orderIdOf(tenant.id, "web", body.externalId);
    // The order is routed and its plan written (every line available)...
    await runInDurableObject(orderStub(tenant, orderId), async (instance: OrderProcess) => {
      expect(await instance["begin"](canonical(body), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({ ok: true });
    });
    // ...then another channel order takes c's stock before the order's reservations run.
    expect((await reserve(tenant, c, { qty: 5, location: "wh-1" })).status).toBe(201);

    // The re-sent order drives the saga: a and b are reserved, c is refused, a and b are released.
    const answer = await submitOrder(tenant.adminKey, body);

    expect(answer.body).toMatchObject({ id: orderId, status: "backordered", allocations: [], shortages: [{ sku: c, requested: 2, available: 0 }] });
    expect(answer.body.events.at(-1)).toMatchObject({ type: "backordered", cause: "compensation", detail: { released: 2 } });
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 5, reserved: 0 } });
    expect(await figures(tenant, b)).toEqual({ "wh-1": { onHand: 5, reserved: 0 } });
    expect(await reservedOf(tenant, c)).toBe(5);
    for (const sku of [a, b]) {
      expect((await ledgerOf(tenant, sku, "reservation")).map((e) => e.reference)).toEqual([`order:${orderId}`]);
      expect((await ledgerOf(tenant, sku, "release")).map((e) => e.reservedDelta)).toEqual([-2]);
    }
    expect(await exceptionsOf(tenant.adminKey)).toHaveLength(1);
  });

  it("with the tenant's policy set to exception, the order goes in exception instead", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 1 });
    const settings = await call("PUT", "/v1/settings/orders", { key: tenant.adminKey, body: { shortagePolicy: "exception" } });
    expect(settings).toMatchObject({ status: 200, body: { shortagePolicy: "exception" } });

    const created = await submitOrder(tenant.adminKey, orderBody([[sku, 2]]));

    expect(created.body).toMatchObject({ status: "in_exception", shortages: [{ sku, requested: 2, available: 1 }] });
    expect((await exceptionsOf(tenant.adminKey))[0]).toMatchObject({ payload: { status: "in_exception" } });
    expect(await reservedOf(tenant, sku)).toBe(0);
  });

  it("a backordered order is reserved by a retry once stock arrived", async () => {
    const { tenant, sku, order } = await backorderedOrder(2);
    await setStock(tenant, sku, "store-b", 4);

    const retried = await runInDurableObject(orderStub(tenant, order.id), (instance: OrderProcess) => instance.retry());

    expect(retried).toMatchObject({ ok: true, order: { status: "reserved", shortages: [], allocations: [{ sku, location: "store-b", qty: 2, held: 2 }] } });
    expect(await figures(tenant, sku)).toMatchObject({ "store-b": { reserved: 2 } });
  });
});
