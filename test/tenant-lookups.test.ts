import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tenantRegistry } from "../durable/objects.ts";
import { TenantRegistry } from "../durable/tenant-registry.ts";
import { ManualClock, systemClock } from "../shared/clock.ts";
import { lookupTtlMs, tenantLookups } from "../workers/auth.ts";
import { call, createKey, tenantWithStock, unique } from "./api.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

afterEach(() => {
  tenantLookups.clock = systemClock;
  vi.restoreAllMocks();
});

function reserve(key: string, sku: string, qty = 1) {
  return call("POST", `/v1/inventory/${sku}/reservations`, { key, idempotencyKey: unique("idem"), body: { qty, channel: "web", reference: "lookups" } });
}

describe("a tenant's traffic and its registry", () => {
  it("makes no registry call per request once the isolate knows the key and the channel", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 1_000 });
    const channelKey = await createKey(tenant, { role: "channel", channel: "web" });
    // The first request of the key and the channel asks the registry; those after it do not.
    expect((await reserve(channelKey, sku)).status).toBe(201);
    // The read model trails the SKU object by its publish delay.
    await vi.waitUntil(async () => (await call("GET", `/v1/availability/${sku}?channel=web`, { key: channelKey })).status === 200, { timeout: 5_000, interval: 50 });
    const authenticate = vi.spyOn(TenantRegistry.prototype, "authenticate");
    const lookUp = vi.spyOn(TenantRegistry.prototype, "lookUp");

    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => reserve(channelKey, sku)),
      ...Array.from({ length: 20 }, () => call("GET", `/v1/availability/${sku}?channel=web`, { key: channelKey })),
    ]);
    expect(answers.map((answer) => `${answer.status} ${answer.body?.code ?? ""}`)).toEqual([...Array<string>(20).fill("201 "), ...Array<string>(20).fill("200 ")]);
    expect(authenticate).not.toHaveBeenCalled();
    expect(lookUp).not.toHaveBeenCalled();

    // The spies do see the registry: a channel this isolate has not looked up is asked for once.
    await call("GET", `/v1/availability/${sku}?channel=pos`, { key: tenant.adminKey });
    expect(lookUp).toHaveBeenCalledTimes(1);
  });

  it("applies a channel change made through this isolate at once, and one made elsewhere within the lookup bound", async () => {
    const clock = new ManualClock(Date.now());
    tenantLookups.clock = clock;
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const channelKey = await createKey(tenant, { role: "channel", channel: "web" });
    expect((await reserve(channelKey, sku)).status).toBe(201);

    // Through the API here: a buffer of 8 leaves 1 of the 9 units; the next reservation of 2 is refused at once.
    expect((await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 8 } })).status).toBe(200);
    const refused = await reserve(channelKey, sku, 2);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("insufficient_stock");

    // Elsewhere (another isolate changed the registry): this isolate keeps the rules it read until the bound has passed.
    const registry = tenantRegistry(env, tenant.id);
    const put = await registry.putChannel("web", { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 0, maxUnits: null, maxPercent: null });
    expect(put.outcome).toMatchObject({ ok: true });
    expect((await reserve(channelKey, sku, 2)).status).toBe(409);
    clock.advance(lookupTtlMs);
    expect((await reserve(channelKey, sku, 2)).status).toBe(201);
  });

  it("asks again for a channel the registry did not know, so a channel made elsewhere works at once", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const outlet = () => call("POST", `/v1/inventory/${sku}/reservations`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { qty: 1, channel: "outlet", reference: "lookups" } });
    const unknown = await outlet();
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe("unknown_channel");
    // Made in the registry directly, as another isolate would: nothing here was told.
    expect((await tenantRegistry(env, tenant.id).putChannel("outlet", { locations: ["wh-1"], bufferUnits: 0, maxUnits: null, maxPercent: null })).outcome).toMatchObject({ ok: true });
    expect((await outlet()).status).toBe(201);
  });
});
