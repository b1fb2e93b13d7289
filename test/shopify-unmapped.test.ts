import { describe, expect, it } from "vitest";
import { call } from "./api.ts";
import { newlyOpened } from "./exception-fixtures.ts";
import { skuState } from "./fixtures.ts";
import { deliver, shopifyOrder, shopifyRefund, shopifyTenant, toShopifyJson } from "./shopify-fixtures.ts";

describe("a signed payload that does not map becomes an exception, answered 200, nothing else changed", () => {
  it("records an orders/create with a line item without a SKU as webhook_unmapped, with its payload and the webhook id", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const before = await skuState(tenant.adminKey, sku);
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "19.99" }, { sku: null, quantity: 1, price: "5.00" }], shipping: "4.99" }));

    const response = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "unmapped", summary: { exceptionId: expect.stringMatching(/^exc_/), reason: expect.stringContaining("has no SKU") } });

    const exceptions = await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey });
    expect(exceptions.body.exceptions).toEqual([
      newlyOpened({
        id: response.body.summary.exceptionId,
        type: "webhook_unmapped",
        subject: "shopify:orders/create",
        correlationId: response.webhookId,
        payload: { source: "shopify", topic: "orders/create", webhookId: response.webhookId, reasons: [expect.stringContaining("line_items[1] has no SKU")], body },
      }),
    ]);
    // The mappable line reserved nothing: the whole order waits for a person.
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
  });

  it("records a body that is not JSON, an order on an inexact amount, and a refund of an order Shelfsync never took", async () => {
    const { tenant, secret } = await shopifyTenant();
    const cases = [
      { topic: "orders/create", body: "{not json" },
      { topic: "orders/create", body: toShopifyJson(shopifyOrder({ lines: [{ sku: "A", quantity: 1, price: "1.005" }] })) },
      { topic: "refunds/create", body: toShopifyJson(shopifyRefund("450789469999999999", [{ sku: "A", quantity: 1, restockType: "return" }])) },
    ];
    for (const delivery of cases) {
      const response = await deliver(tenant.id, secret, delivery);
      expect({ status: response.status, outcome: response.body.status }).toEqual({ status: 200, outcome: "unmapped" });
    }
    const exceptions = await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey });
    expect(exceptions.body.exceptions.map((e: any) => e.payload.body)).toEqual(cases.map((c) => c.body));
  });
});
