import { describe, expect, it } from "vitest";
import { orderIdOf } from "../durable/objects.ts";
import { call, unique } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { deliver, shopifyId, shopifyOrder, shopifyTenant, toShopifyJson } from "./shopify-fixtures.ts";

describe("orders/create becomes a canonical order on the connected channel, with its reservations", () => {
  it("maps Shopify's fields and reserves every line", async () => {
    const { tenant, secret, skus: [skuA, skuB] } = await shopifyTenant({ "wh-1": 10 }, { "wh-1": 10 });
    const id = shopifyId();
    const body = toShopifyJson(
      shopifyOrder({
        id,
        lines: [
          { sku: skuA, quantity: 2, price: "199.00", discount: "5.00", tax: "23.58" },
          { sku: skuB, quantity: 1, price: "0.10" },
        ],
        shipping: "10.00",
      }),
    );

    const response = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(response.status).toBe(200);
    const orderId = await orderIdOf(tenant.id, "web", id);
    expect(response.body).toEqual({ webhookId: response.webhookId, topic: "orders/create", status: "applied", summary: { orderId, status: "reserved", externalId: id } });

    const order = await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey });
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      id: orderId,
      channel: "web",
      externalId: id,
      status: "reserved",
      currency: "USD",
      lines: [
        { sku: skuA, qty: 2, unitPrice: 19900, discount: 500, tax: 2358 },
        { sku: skuB, qty: 1, unitPrice: 10, discount: 0, tax: 0 },
      ],
      delivery: { type: "ship", address: { name: "Steve Shipper", line1: "123 Shipping Street", city: "Shippington", region: "KY", postalCode: "40003", country: "US" } },
    });
    expect(order.body.allocations).toEqual([
      expect.objectContaining({ location: "wh-1", sku: skuA, qty: 2, reservationId: expect.any(String) }),
      expect.objectContaining({ location: "wh-1", sku: skuB, qty: 1, reservationId: expect.any(String) }),
    ]);
    expect((await skuState(tenant.adminKey, skuA)).inventory.body.totals).toMatchObject({ onHand: 10, reserved: 2 });
    expect((await skuState(tenant.adminKey, skuB)).inventory.body.totals).toMatchObject({ onHand: 10, reserved: 1 });
  });

  it("records an order the order service refuses (a SKU it does not know) as an exception, nothing reserved", async () => {
    const { tenant, secret, skus: [known] } = await shopifyTenant({ "wh-1": 10 });
    const response = await deliver(tenant.id, secret, { topic: "orders/create", body: toShopifyJson(shopifyOrder({ lines: [{ sku: known, quantity: 1, price: "1.00" }, { sku: unique("never"), quantity: 1, price: "1.00" }] })) });
    expect(response.body).toMatchObject({ status: "unmapped", summary: { reason: expect.stringContaining("unknown_sku") } });
    expect((await skuState(tenant.adminKey, known)).inventory.body.totals.reserved).toBe(0);
    const exceptions = await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey });
    expect(exceptions.body.exceptions).toHaveLength(1);
  });
});

describe("a large Shopify order", () => {
  it("is taken even though its body is well over the API's usual 64 KiB", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 500 });
    const body = toShopifyJson(shopifyOrder({ lines: Array.from({ length: 90 }, () => ({ sku, quantity: 2, price: "3.50", tax: "0.21" })) }));
    expect(body.length).toBeGreaterThan(64 * 1024);
    const response = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(response.body).toMatchObject({ status: "applied", summary: { status: "reserved" } });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(180);
  });
});
