import { describe, expect, it } from "vitest";
import { call, tenantWithStock, unique } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { cancel, figures, fulfill, ledgerOf, orderBody, reservedOrder, submitOrder } from "./order-api.ts";

describe("cancellation releases what is not fulfilled", () => {
  it("a partial cancel by lines releases those units only; a full cancel then releases the rest", async () => {
    const [a, b] = [unique("sku"), unique("sku")];
    const { tenant, order } = await reservedOrder([[a, 3], [b, 2]], { [a]: [["wh-1", 10]], [b]: [["wh-1", 10]] });

    const partial = await cancel(tenant.adminKey, order.id, { reason: "customer changed mind", lines: [{ sku: a, qty: 1 }] });

    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ status: "reserved", cancelled: [{ sku: a, qty: 1 }] });
    expect(partial.body.allocations.find((x: { sku: string }) => x.sku === a)).toMatchObject({ qty: 3, held: 2 });
    expect(partial.body.events.at(-1)).toMatchObject({ type: "cancellation", from: "reserved", to: "reserved", detail: { reason: "customer changed mind", lines: [`${a} × 1`] } });
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 10, reserved: 2 } });
    expect(await figures(tenant, b)).toEqual({ "wh-1": { onHand: 10, reserved: 2 } });

    const full = await cancel(tenant.adminKey, order.id);

    expect(full.body).toMatchObject({ status: "cancelled" });
    expect(full.body.cancelled).toEqual(expect.arrayContaining([{ sku: a, qty: 3 }, { sku: b, qty: 2 }]));
    expect(full.body.allocations.map((x: { held: number }) => x.held)).toEqual([0, 0]);
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 10, reserved: 0 } });
    expect(await figures(tenant, b)).toEqual({ "wh-1": { onHand: 10, reserved: 0 } });
    expect((await ledgerOf(tenant, a, "release")).map((e) => e.reservedDelta)).toEqual([-1, -2]);
    expect(await ledgerOf(tenant, a, "commit")).toEqual([]);
  });

  it("cancelling the rest of a partly fulfilled order releases only unfulfilled units and leaves it fulfilled", async () => {
    const sku = unique("sku");
    const { tenant, order } = await reservedOrder([[sku, 4]], { [sku]: [["wh-1", 10]] });
    expect((await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku, qty: 1 }] })).body.status).toBe("partially_fulfilled");

    const cancelled = await cancel(tenant.adminKey, order.id, { reason: "out of season" });

    expect(cancelled.body).toMatchObject({ status: "fulfilled", fulfilled: [{ sku, location: "wh-1", qty: 1 }], cancelled: [{ sku, qty: 3 }] });
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 9, reserved: 0 } });
    expectProblem(await cancel(tenant.adminKey, order.id), 409, "conflict");
  });

  it("cancelling a cancelled order again changes nothing and answers it; a retried cancel is replayed", async () => {
    const sku = unique("sku");
    const { tenant, order } = await reservedOrder([[sku, 2]], { [sku]: [["wh-1", 10]] });
    const key = unique("idem");

    const first = await cancel(tenant.adminKey, order.id, {}, key);
    const retried = await cancel(tenant.adminKey, order.id, {}, key);
    const again = await cancel(tenant.adminKey, order.id, {});

    expect(first.body.status).toBe("cancelled");
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body);
    expect(again.status).toBe(200);
    expect(again.body.events).toEqual(first.body.events);
    expect((await ledgerOf(tenant, sku, "release")).map((e) => e.reservedDelta)).toEqual([-2]);
  });

  it("a backordered order can be cancelled, wholly or by lines, with nothing to release", async () => {
    const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10 }, { "wh-1": 1 });
    const created = await submitOrder(tenant.adminKey, orderBody([[a, 1], [b, 2]]));
    expect(created.body.status).toBe("backordered");

    const partial = await cancel(tenant.adminKey, created.body.id, { lines: [{ sku: b, qty: 2 }] });
    expect(partial.body).toMatchObject({ status: "backordered", cancelled: [{ sku: b, qty: 2 }] });
    const full = await cancel(tenant.adminKey, created.body.id);
    expect(full.body.status).toBe("cancelled");
    expect(await ledgerOf(tenant, a, "release")).toEqual([]);
  });

  it("refuses to cancel more than is open, or a SKU the order does not have; nothing changes", async () => {
    const [sku, stranger] = [unique("sku"), unique("sku")];
    const { tenant, order } = await reservedOrder([[sku, 2]], { [sku]: [["wh-1", 10]] });

    const tooMany = await cancel(tenant.adminKey, order.id, { lines: [{ sku, qty: 3 }] });
    expectProblem(tooMany, 409, "conflict");
    expect(tooMany.body).toMatchObject({ sku, open: 2, requested: 3 });
    expectProblem(await cancel(tenant.adminKey, order.id, { lines: [{ sku: stranger, qty: 1 }] }), 400, "validation_failed");
    expectProblem(await cancel(tenant.adminKey, order.id, { lines: [{ sku, qty: 0 }] }), 400, "validation_failed");

    expect((await call("GET", `/v1/orders/${order.id}`, { key: tenant.adminKey })).body).toEqual(order);
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 10, reserved: 2 } });
  });
});
