import { describe, expect, it } from "vitest";
import { call, unique } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { backorderedOrder, figures, fulfill, ledgerOf, reservedOrder } from "./order-api.ts";

describe("fulfilments commit the order's reservations", () => {
  it("a partial fulfilment commits those units and keeps the rest reserved; the rest then fulfils the order", async () => {
    const [a, b] = [unique("sku"), unique("sku")];
    const { tenant, order } = await reservedOrder([[a, 3], [b, 1]], { [a]: [["wh-1", 10]], [b]: [["wh-1", 5]] });

    const first = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku: a, qty: 2 }], carrier: "UPS", tracking: "1Z999" });

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "partially_fulfilled", fulfilled: [{ sku: a, location: "wh-1", qty: 2 }] });
    expect(first.body.allocations.find((x: { sku: string }) => x.sku === a)).toMatchObject({ qty: 3, held: 1 });
    expect(first.body.events.at(-1)).toMatchObject({
      type: "fulfillment",
      from: "reserved",
      to: "partially_fulfilled",
      detail: { location: "wh-1", carrier: "UPS", tracking: "1Z999", lines: [`${a} × 2`] },
    });
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 8, reserved: 1 } });
    const reservationId = order.allocations.find((x: { sku: string }) => x.sku === a).reservationId;
    const reservation = await call("GET", `/v1/inventory/${a}/reservations/${reservationId}`, { key: tenant.adminKey });
    expect(reservation.body).toMatchObject({ status: "active", qty: 1 });

    const rest = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku: a, qty: 1 }, { sku: b, qty: 1 }] });

    expect(rest.body).toMatchObject({ status: "fulfilled" });
    expect(rest.body.fulfilled).toEqual(expect.arrayContaining([{ sku: a, location: "wh-1", qty: 3 }, { sku: b, location: "wh-1", qty: 1 }]));
    expect(rest.body.allocations.map((x: { held: number }) => x.held)).toEqual([0, 0]);
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 7, reserved: 0 } });
    expect(await figures(tenant, b)).toEqual({ "wh-1": { onHand: 4, reserved: 0 } });
    expect((await ledgerOf(tenant, a, "commit")).map((e) => e.delta)).toEqual([-2, -1]);
    expect((await call("GET", `/v1/inventory/${a}/reservations/${reservationId}`, { key: tenant.adminKey })).body.status).toBe("committed");
    expect(rest.body.events.map((e: { to: string }) => e.to)).toEqual(["received", "reserved", "partially_fulfilled", "fulfilled"]);
  });

  it("a fulfilment of a split line commits at the location that shipped", async () => {
    const sku = unique("sku");
    const { tenant, order } = await reservedOrder([[sku, 5]], { [sku]: [["wh-1", 3], ["store-a", 2]] });

    const shipped = await fulfill(tenant.adminKey, order.id, { location: "store-a", lines: [{ sku, qty: 2 }] });

    expect(shipped.body).toMatchObject({ status: "partially_fulfilled", fulfilled: [{ sku, location: "store-a", qty: 2 }] });
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 3, reserved: 3 }, "store-a": { onHand: 0, reserved: 0 } });
  });

  it("refuses units the order does not hold at that location (nothing changes): another location, too many, an unordered SKU", async () => {
    const [a, stranger] = [unique("sku"), unique("sku")];
    const { tenant, order } = await reservedOrder([[a, 2]], { [a]: [["wh-1", 10], ["store-a", 10]] });

    const elsewhere = await fulfill(tenant.adminKey, order.id, { location: "store-a", lines: [{ sku: a, qty: 1 }] });
    const tooMany = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku: a, qty: 3 }] });
    const unordered = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku: a, qty: 1 }, { sku: stranger, qty: 1 }] });

    expectProblem(elsewhere, 409, "not_reserved");
    expect(elsewhere.body).toMatchObject({ sku: a, location: "store-a", held: 0, requested: 1 });
    expectProblem(tooMany, 409, "not_reserved");
    expect(tooMany.body).toMatchObject({ held: 2, requested: 3 });
    expectProblem(unordered, 409, "not_reserved");
    const after = await call("GET", `/v1/orders/${order.id}`, { key: tenant.adminKey });
    expect(after.body).toEqual(order);
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 10, reserved: 2 }, "store-a": { onHand: 10, reserved: 0 } });
  });

  it("a retried fulfilment (same Idempotency-Key) is answered again without committing twice; a fulfilled order takes no more", async () => {
    const sku = unique("sku");
    const { tenant, order } = await reservedOrder([[sku, 2]], { [sku]: [["wh-1", 10]] });
    const key = unique("idem");

    const first = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku, qty: 2 }] }, key);
    const retry = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku, qty: 2 }] }, key);
    const another = await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku, qty: 1 }] });

    expect(first.body.status).toBe("fulfilled");
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expectProblem(another, 409, "conflict");
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 8, reserved: 0 } });
  });

  it("a backordered order has nothing to fulfil", async () => {
    const { tenant, sku, order } = await backorderedOrder(2);

    expectProblem(await fulfill(tenant.adminKey, order.id, { location: "wh-1", lines: [{ sku, qty: 1 }] }), 409, "not_reserved");
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 1, reserved: 0 } });
  });
});
