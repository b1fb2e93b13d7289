import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, tenantWithStock, unique, type ApiResponse } from "./api.ts";

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

  it("lists a SKU's reservations of one status in the order they were taken, by cursor, a channel key its own channel's only", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10, "store-a": 10 });
    const web = await Promise.all([1, 2, 3].map(async (qty) => (await reserve(tenant, sku, { qty, reference: `web-${qty}` })).body.id as string));
    const pos = (await reserve(tenant, sku, { qty: 1, channel: "pos", location: "store-a", reference: "till-1" })).body.id as string;
    const released = web[1]!;
    expect((await call("POST", `/v1/inventory/${sku}/reservations/${released}/release`, { key: tenant.adminKey, idempotencyKey: unique("k") })).status).toBe(200);

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await call("GET", `/v1/inventory/${sku}/reservations?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: tenant.adminKey });
      expect(page.status).toBe(200);
      expect(page.body.reservations.length).toBeLessThanOrEqual(2);
      all.push(...page.body.reservations.map((reservation: { id: string; status: string }) => reservation.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const taken = [...web, pos];
    expect(all.sort()).toEqual(taken.filter((id) => id !== released).sort());
    const releasedPage = await call("GET", `/v1/inventory/${sku}/reservations?status=released`, { key: tenant.adminKey });
    expect(releasedPage.body.reservations).toEqual([expect.objectContaining({ id: released, status: "released", channel: "web" })]);

    const channelKey = (await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { role: "channel", channel: "pos", name: "till" } })).body.key as string;
    const own = await call("GET", `/v1/inventory/${sku}/reservations`, { key: channelKey });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.reservations.map((reservation: { id: string }) => reservation.id)).toEqual([pos]);
    const bad = await call("GET", `/v1/inventory/${sku}/reservations?status=gone`, { key: tenant.adminKey });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation_failed");
  });
});
