import { describe, expect, it } from "vitest";
import { call } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { deliver, shopifyId, shopifyOrder, shopifyRefund, shopifyTenant, toShopifyJson } from "./shopify-fixtures.ts";

describe("orders/cancelled cancels the order found by its natural key", () => {
  it("releases the order's reservations and records the cause", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const payload = shopifyOrder({ lines: [{ sku, quantity: 3, price: "12.00" }] });
    const created = await deliver(tenant.id, secret, { topic: "orders/create", body: toShopifyJson(payload) });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(3);

    const cancelled = await deliver(tenant.id, secret, { topic: "orders/cancelled", body: toShopifyJson({ ...payload, cancel_reason: "customer", cancelled_at: new Date().toISOString() }) });
    expect(cancelled.body).toMatchObject({ status: "applied", summary: { orderId: created.body.summary.orderId, status: "cancelled" } });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals).toMatchObject({ onHand: 10, reserved: 0 });
    const order = await call("GET", `/v1/orders/${created.body.summary.orderId}`, { key: tenant.adminKey });
    expect(order.body.status).toBe("cancelled");
    expect(JSON.stringify(order.body.events)).toContain("shopify: customer");

    // Shopify sends it again under a new webhook id: nothing more happens.
    const again = await deliver(tenant.id, secret, { topic: "orders/cancelled", body: toShopifyJson({ ...payload, cancel_reason: "customer", cancelled_at: new Date().toISOString() }) });
    expect(again.body).toMatchObject({ status: "applied", summary: { status: "cancelled" } });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals).toMatchObject({ onHand: 10, reserved: 0 });
  });

  it("records the cancellation of an order Shelfsync never took as an exception", async () => {
    const { tenant, secret } = await shopifyTenant();
    const response = await deliver(tenant.id, secret, { topic: "orders/cancelled", body: toShopifyJson(shopifyOrder({ cancelReason: "fraud", lines: [{ sku: "A", quantity: 1, price: "1.00" }] })) });
    expect(response.body).toMatchObject({ status: "unmapped", summary: { reason: expect.stringContaining("not_found") } });
  });
});

describe("Shopify's refund of a cancelled order", () => {
  it("takes refunds/create cancel lines for units orders/cancelled already cancelled as done, not an exception", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const id = shopifyId();
    const payload = shopifyOrder({ id, lines: [{ sku, quantity: 2, price: "12.00" }] });
    await deliver(tenant.id, secret, { topic: "orders/create", body: toShopifyJson(payload) });
    await deliver(tenant.id, secret, { topic: "orders/cancelled", body: toShopifyJson({ ...payload, cancel_reason: "customer" }) });
    const refund = await deliver(tenant.id, secret, { topic: "refunds/create", body: toShopifyJson(shopifyRefund(id, [{ sku, quantity: 2, restockType: "cancel" }])) });
    expect(refund.body).toMatchObject({ status: "applied" });
    expect((await call("GET", "/v1/exceptions", { key: tenant.adminKey })).body.exceptions).toEqual([]);
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals).toMatchObject({ onHand: 10, reserved: 0 });
  });
});
