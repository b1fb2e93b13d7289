import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { replayUnmappedShopifyWebhook } from "../workers/integrations/shopify/webhook.ts";
import { call, createStockedTenant, setStock, unique } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { connectShopify, deliver, shopifyOrder, toShopifyJson } from "./shopify-fixtures.ts";

describe("an unmapped webhook can be run again once the cause is fixed", () => {
  it("replays the stored payload: the order is taken, the exception's natural key is unchanged", async () => {
    const tenant = await createStockedTenant();
    const secret = await connectShopify(tenant);
    const sku = unique("sku");
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "19.99" }] }));
    const first = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(first.body).toMatchObject({ status: "unmapped", summary: { reason: expect.stringContaining("unknown_sku") } });
    const [exception] = (await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey })).body.exceptions;

    await setStock(tenant, sku, "wh-1", 5);
    const replayed = await replayUnmappedShopifyWebhook(env, tenant.id, exception.payload);
    expect(replayed).toMatchObject({ state: "applied", summary: { status: "reserved" } });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(1);
    const again = await replayUnmappedShopifyWebhook(env, tenant.id, exception.payload);
    expect(again.summary.orderId).toBe(replayed.summary.orderId);
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(1);
  });
});
