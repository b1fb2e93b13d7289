import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, tenantWithStock, unique } from "./api.ts";

describe("reservations", () => {
  it("reserves against the channel pool in priority order and counts the units as reserved", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 3, "store-a": 5 });

    const created = await reserve(tenant, sku, { qty: 4 });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe("active");
    expect(created.body.allocations).toEqual([
      { location: "wh-1", qty: 3 },
      { location: "store-a", qty: 1 },
    ]);

    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals).toEqual({ onHand: 8, safetyStock: 0, reserved: 4, leased: 0, available: 4 });
  });

  it("refuses more than the channel may have with insufficient_stock and the available quantity", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "store-a", 5, 1);

    const refused = await reserve(tenant, sku, { qty: 5 });
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ code: "insufficient_stock", available: 4, requested: 5, status: 409 });
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals.reserved).toBe(0);
  });

  it("commit takes the units off onHand; release gives them back", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const first = await reserve(tenant, sku, { qty: 2, location: "store-a" });
    const second = await reserve(tenant, sku, { qty: 3, location: "store-a" });

    const committed = await call("POST", `/v1/inventory/${sku}/reservations/${first.body.id}/commit`, { key: tenant.adminKey, idempotencyKey: unique("k") });
    expect(committed.status).toBe(200);
    expect(committed.body.status).toBe("committed");
    const released = await call("POST", `/v1/inventory/${sku}/reservations/${second.body.id}/release`, { key: tenant.adminKey, idempotencyKey: unique("k") });
    expect(released.body.status).toBe("released");

    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.locations).toEqual([{ location: "store-a", onHand: 8, safetyStock: 0, reserved: 0, leased: 0, available: 8 }]);

    const again = await call("POST", `/v1/inventory/${sku}/reservations/${second.body.id}/commit`, { key: tenant.adminKey, idempotencyKey: unique("k") });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("reservation_not_active");
    expect(again.body.reservationStatus).toBe("released");
  });
});
