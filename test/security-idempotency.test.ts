import { describe, expect, it } from "vitest";
import { call, createKey, tenantWithStock, unique, type TestTenant } from "./api.ts";
import { quietAccessLog, skuState } from "./fixtures.ts";

quietAccessLog();

function adjust(key: string, sku: string, delta: number, idempotencyKey: string) {
  return call("POST", `/v1/inventory/${sku}/adjustments`, { key, idempotencyKey, body: { location: "store-a", delta, reason: "count", reference: `ref-${delta}` } });
}

function adjustments(ledger: unknown[]): number {
  return ledger.filter((entry) => (entry as { type: string }).type === "adjustment").length;
}

async function erpKey(tenant: TestTenant): Promise<string> {
  return createKey(tenant, { role: "erp", name: "second caller" });
}

describe("an Idempotency-Key belongs to its caller", () => {
  it("two keys of one tenant sending the same Idempotency-Key get independent results; each replay gets its own answer", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const other = await erpKey(tenant);
    const idem = unique("idem");

    const first = await adjust(tenant.adminKey, sku, -3, idem);
    expect(first.status).toBe(201);
    expect(first.body.totals.onHand).toBe(7);
    // Another body under the same key, from another caller: not a conflict, not the first caller's answer.
    const second = await adjust(other, sku, 5, idem);
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.body.totals.onHand).toBe(12);
    // The same body from the other caller is its own request too.
    const third = await adjust(other, sku, -3, unique("idem"));
    expect(third.body.totals.onHand).toBe(9);

    const replayFirst = await adjust(tenant.adminKey, sku, -3, idem);
    expect(replayFirst.headers.get("idempotent-replayed")).toBe("true");
    expect(replayFirst.body).toEqual(first.body);
    const replaySecond = await adjust(other, sku, 5, idem);
    expect(replaySecond.headers.get("idempotent-replayed")).toBe("true");
    expect(replaySecond.body).toEqual(second.body);
    // The caller's own key with another body is still a conflict.
    expect((await adjust(tenant.adminKey, sku, -1, idem)).body.code).toBe("idempotency_conflict");

    const state = await skuState(tenant.adminKey, sku);
    expect(state.inventory.body.totals.onHand).toBe(9);
    expect(adjustments(state.ledger)).toBe(3);
  });

  it("the same Idempotency-Key from two tenants is two requests", async () => {
    const a = await tenantWithStock({ "store-a": 10 });
    const b = await tenantWithStock({ "store-a": 10 });
    const idem = unique("idem");
    const sku = unique("shared-sku");
    for (const { tenant } of [a, b]) await call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: tenant.adminKey, body: { onHand: 10 } });

    const fromA = await adjust(a.tenant.adminKey, sku, -4, idem);
    const fromB = await adjust(b.tenant.adminKey, sku, -1, idem);
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect(fromB.headers.get("idempotent-replayed")).toBeNull();
    expect([fromA.body.totals.onHand, fromB.body.totals.onHand]).toEqual([6, 9]);
    expect((await adjust(b.tenant.adminKey, sku, -1, idem)).body).toEqual(fromB.body);
  });

  it("two keys creating reservations with one Idempotency-Key get two reservations", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const channelKey = await createKey(tenant, { role: "channel", channel: "web" });
    const idem = unique("idem");
    const body = { qty: 2, channel: "web", reference: "order-1" };
    const mine = await call("POST", `/v1/inventory/${sku}/reservations`, { key: tenant.adminKey, idempotencyKey: idem, body });
    const theirs = await call("POST", `/v1/inventory/${sku}/reservations`, { key: channelKey, idempotencyKey: idem, body });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect((await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey })).body.totals.reserved).toBe(4);
  });

  it("a rotated key's successor replays its predecessor's request instead of repeating the effect", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 10 });
    const old = await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { role: "erp" } });
    const idem = unique("idem");
    const first = await adjust(old.body.key, sku, -2, idem);
    expect(first.status).toBe(201);

    const rotated = await call("POST", `/v1/keys/${old.body.id}/rotate`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { overlapSeconds: 0 } });
    const retry = await adjust(rotated.body.key.key, sku, -2, idem);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.onHand).toBe(8);
  });
});
