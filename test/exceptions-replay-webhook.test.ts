import { describe, expect, it } from "vitest";
import { createStockedTenant, setStock, unique } from "./api.ts";
import { exceptionById, exceptionsOf, path, replay } from "./exception-fixtures.ts";
import { skuState } from "./fixtures.ts";
import { reservedOf } from "./order-api.ts";
import { connectShopify, deliver, shopifyOrder, toShopifyJson } from "./shopify-fixtures.ts";

describe("replaying a webhook_unmapped exception runs the stored Shopify payload again", () => {
  it("fails while the cause stands (recorded on the exception), takes the order once it is fixed, and only once", async () => {
    const tenant = await createStockedTenant();
    const secret = await connectShopify(tenant);
    const sku = unique("sku");
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "19.99" }] }));
    expect((await deliver(tenant.id, secret, { topic: "orders/create", body })).body.status).toBe("unmapped");
    const [exception] = await exceptionsOf(tenant, "?type=webhook_unmapped");

    const early = await replay(tenant.adminKey, exception!.id);

    expect(early.body).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("unknown_sku"),
      exception: { state: "open", replays: 1, lastFailure: { reason: expect.stringContaining("still does not map") } },
    });
    const before = await skuState(tenant.adminKey, sku);
    expect(before.inventory.status).toBe(404);

    await setStock(tenant, sku, "wh-1", 5);
    const fixed = await replay(tenant.adminKey, exception!.id);

    expect(fixed.body).toMatchObject({ outcome: "resolved", detail: expect.stringMatching(/^webhook applied: orderId ord_[0-9a-f]{26}, status reserved/), exception: { state: "resolved", replays: 2 } });
    expect(await reservedOf(tenant, sku)).toBe(1);
    expect((await replay(tenant.adminKey, exception!.id)).body).toMatchObject({ outcome: "already_closed" });
    expect(await reservedOf(tenant, sku)).toBe(1);
    const read = await exceptionById(tenant, exception!.id);
    expect(path(read)).toEqual(["∅→open", "open→retrying", "retrying→open", "open→retrying", "retrying→resolved"]);
    expect(read.payload.body).toBe(body);
  });
});
