import { describe, expect, it } from "vitest";
import { call, tenantWithStock } from "./api.ts";
import { allocationsOf, figures, ledgerOf, orderBody, reservedOf, submitOrder } from "./order-api.ts";

describe("an order is routed and reserved", () => {
  it("prefers one pool location that can ship every line, in the channel's priority order", async () => {
    // wh-1 (first in web's pool) lacks b; store-a has both; store-b has both too but comes later.
    const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10, "store-a": 5, "store-b": 5 }, { "store-a": 3, "store-b": 3 });

    const created = await submitOrder(tenant.adminKey, orderBody([[a, 2], [b, 3]]));

    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^ord_[0-9a-f]{26}$/), status: "reserved", channel: "web", shortages: [] });
    expect(allocationsOf(created.body)).toEqual([`${a}@store-a×2`, `${b}@store-a×3`].sort());
    for (const allocation of created.body.allocations) expect(allocation).toMatchObject({ reservationId: expect.stringMatching(/^res_/), held: allocation.qty });
    expect(await figures(tenant, a)).toMatchObject({ "wh-1": { reserved: 0 }, "store-a": { reserved: 2 }, "store-b": { reserved: 0 } });
    expect(await figures(tenant, b)).toMatchObject({ "store-a": { reserved: 3 }, "store-b": { reserved: 0 } });
    expect(created.body.events.map((e: { type: string; from: string | null; to: string }) => [e.type, e.from, e.to])).toEqual([
      ["received", null, "received"],
      ["reserved", "received", "reserved"],
    ]);
    expect(created.body.events[1]).toMatchObject({ cause: "request", detail: { locations: ["store-a"], split: false } });

    const read = await call("GET", `/v1/orders/${created.body.id}`, { key: tenant.adminKey });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it("splits only when no location can ship everything: each line whole where possible, a line over locations only when none has it all", async () => {
    const { tenant, skus: [a, b, c] } = await tenantWithStock({ "wh-1": 10 }, { "store-a": 4 }, { "wh-1": 2, "store-b": 3 });

    const created = await submitOrder(tenant.adminKey, orderBody([[a, 5], [b, 4], [c, 4]]));

    expect(created.status).toBe(201);
    expect(created.body.status).toBe("reserved");
    expect(allocationsOf(created.body)).toEqual([`${a}@wh-1×5`, `${b}@store-a×4`, `${c}@wh-1×2`, `${c}@store-b×2`].sort());
    expect(created.body.events.at(-1)).toMatchObject({ type: "reserved", detail: { split: true } });
    expect(await figures(tenant, c)).toMatchObject({ "wh-1": { reserved: 2 }, "store-b": { reserved: 2 } });
    // Each allocation is one reservation referencing the order, taken once.
    const reservations = await ledgerOf(tenant, c, "reservation");
    expect(reservations.map((entry) => entry.reference)).toEqual([`order:${created.body.id}`, `order:${created.body.id}`]);
  });

  it("reserves a pickup order at its store, even when another pool location has more", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 100, "store-b": 2 });

    const created = await submitOrder(tenant.adminKey, orderBody([[sku, 2]], { delivery: { type: "pickup", location: "store-b" } }));

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "reserved", delivery: { type: "pickup", location: "store-b" } });
    expect(allocationsOf(created.body)).toEqual([`${sku}@store-b×2`]);
    expect(await figures(tenant, sku)).toMatchObject({ "wh-1": { reserved: 0 }, "store-b": { reserved: 2 } });
  });

  it("sums lines of one SKU (at different prices) into one demand", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 5 });
    const body = orderBody([]);
    body.lines = [
      { sku, qty: 2, unitPrice: 1000 },
      { sku, qty: 1, unitPrice: 0 },
    ];

    const created = await submitOrder(tenant.adminKey, body);

    expect(created.status).toBe(201);
    expect(allocationsOf(created.body)).toEqual([`${sku}@wh-1×3`]);
    expect(created.body.lines).toHaveLength(2);
    expect(await reservedOf(tenant, sku)).toBe(3);
  });

  it("respects the channel's buffer: units the channel may not have are not routed to it", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 5 });
    expect((await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1"], bufferUnits: 3 } })).status).toBe(200);

    const created = await submitOrder(tenant.adminKey, orderBody([[sku, 3]]));

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "backordered", allocations: [], shortages: [{ sku, requested: 3, available: 2 }] });
    expect(await reservedOf(tenant, sku)).toBe(0);
  });
});
