import { describe, expect, it } from "vitest";
import { call, tenantWithStock } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { cancel, fulfill, orderBody, submitOrder } from "./order-api.ts";

describe("the tenant's order list", () => {
  it("filters by status and channel, pages by cursor, oldest first, and follows status changes", async () => {
    const { tenant, skus: [plenty, scarce] } = await tenantWithStock({ "store-a": 100 }, { "store-a": 1 });
    const reserved = await submitOrder(tenant.adminKey, orderBody([[plenty, 1]]));
    const backordered = await submitOrder(tenant.adminKey, orderBody([[scarce, 5]]));
    const pickup = await submitOrder(tenant.adminKey, orderBody([[plenty, 2]], { channel: "pos", delivery: { type: "pickup", location: "store-a" } }));
    const cancelled = await submitOrder(tenant.adminKey, orderBody([[plenty, 1]]));
    expect((await cancel(tenant.adminKey, cancelled.body.id)).body.status).toBe("cancelled");
    const shipped = await submitOrder(tenant.adminKey, orderBody([[plenty, 1]]));
    expect((await fulfill(tenant.adminKey, shipped.body.id, { location: "store-a", lines: [{ sku: plenty, qty: 1 }] })).body.status).toBe("fulfilled");

    const ids = async (query: string) => {
      const page = await call("GET", `/v1/orders${query}`, { key: tenant.adminKey });
      expect(page.status).toBe(200);
      return (page.body.orders as { id: string }[]).map((o) => o.id);
    };
    expect(await ids("")).toEqual([reserved, backordered, pickup, cancelled, shipped].map((r) => r.body.id));
    expect(await ids("?status=reserved")).toEqual([reserved.body.id, pickup.body.id]);
    expect(await ids("?status=backordered")).toEqual([backordered.body.id]);
    expect(await ids("?status=cancelled")).toEqual([cancelled.body.id]);
    expect(await ids("?status=fulfilled")).toEqual([shipped.body.id]);
    expect(await ids("?channel=pos")).toEqual([pickup.body.id]);
    expect(await ids("?channel=web&status=reserved")).toEqual([reserved.body.id]);

    const first = await call("GET", "/v1/orders?channel=web&limit=2", { key: tenant.adminKey });
    expect(first.body.orders.map((o: { id: string }) => o.id)).toEqual([reserved.body.id, backordered.body.id]);
    expect(first.body.orders[0]).toEqual({
      id: reserved.body.id,
      channel: "web",
      externalId: reserved.body.externalId,
      status: "reserved",
      createdAt: reserved.body.createdAt,
      updatedAt: reserved.body.updatedAt,
    });
    const second = await call("GET", `/v1/orders?channel=web&limit=2&cursor=${first.body.nextCursor}`, { key: tenant.adminKey });
    expect(second.body.orders.map((o: { id: string }) => o.id)).toEqual([cancelled.body.id, shipped.body.id]);
    expect(second.body.nextCursor).toBeNull();

    expectProblem(await call("GET", "/v1/orders?status=lost", { key: tenant.adminKey }), 400, "validation_failed");
    expectProblem(await call("GET", "/v1/orders?cursor=abc", { key: tenant.adminKey }), 400, "validation_failed");
  });
});
