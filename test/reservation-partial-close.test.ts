import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, unique } from "./api.ts";
import { figures, ledgerOf } from "./order-api.ts";
import { skuObject } from "../durable/objects.ts";

describe("a reservation committed or released in parts", () => {
  it("commits or releases only `qty` units, keeps the rest active, and closes when none is left", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 10);
    const created = await reserve(tenant, sku, { qty: 5, location: "wh-1", ttlSeconds: 600 });
    const id = created.body.id as string;
    const object = skuObject(env, tenant.id, sku);
    const key = unique("idem");

    const committed = await object.commit(id, "web", { key, requestHash: key }, 2);
    const replayed = await object.commit(id, "web", { key, requestHash: key }, 2);
    const released = await object.release(id, "web", undefined, 1);
    const tooMany = await object.commit(id, "web", undefined, 3);
    const rest = await object.commit(id, null, undefined, 2);

    expect(committed.outcome).toMatchObject({ ok: true, reservation: { status: "active", qty: 3, allocations: [{ location: "wh-1", qty: 3 }] } });
    expect(replayed).toEqual({ outcome: committed.outcome, replayed: true });
    expect(released.outcome).toMatchObject({ ok: true, reservation: { status: "active", qty: 2 } });
    expect(tooMany.outcome).toMatchObject({ ok: false, code: "conflict", extra: { held: 2 } });
    expect(rest.outcome).toMatchObject({ ok: true, reservation: { status: "committed", qty: 2 } });
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 6, reserved: 0 } });
    expect((await ledgerOf(tenant, sku, "commit")).map((e) => [e.delta, e.reservedDelta, e.reservationId])).toEqual([
      [-2, -2, id],
      [-2, -2, id],
    ]);
    expect((await ledgerOf(tenant, sku, "release")).map((e) => e.reservedDelta)).toEqual([-1]);
    expect((await call("GET", `/v1/inventory/${sku}/reservations/${id}`, { key: tenant.adminKey })).body.status).toBe("committed");
  });
});
