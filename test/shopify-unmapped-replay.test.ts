import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { replayUnmappedShopifyWebhook } from "../workers/integrations/shopify/webhook.ts";
import { setStock } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { orderOfUnknownSku } from "./shopify-fixtures.ts";

describe("an unmapped webhook can be run again once the cause is fixed", () => {
  it("replays the stored payload: the order is taken, the exception's natural key is unchanged", async () => {
    const { tenant, sku, exception } = await orderOfUnknownSku();

    await setStock(tenant, sku, "wh-1", 5);
    const replayed = await replayUnmappedShopifyWebhook(env, tenant.id, exception.payload);
    expect(replayed).toMatchObject({ state: "applied", summary: { status: "reserved" } });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(1);
    const again = await replayUnmappedShopifyWebhook(env, tenant.id, exception.payload);
    expect(again.summary.orderId).toBe(replayed.summary.orderId);
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(1);
  });
});
