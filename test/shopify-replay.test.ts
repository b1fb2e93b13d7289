import { describe, expect, it } from "vitest";
import { call } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { deliver, shopifyOrder, shopifyTenant, toShopifyJson } from "./shopify-fixtures.ts";

describe("a repeated X-Shopify-Webhook-Id has no second effect", () => {
  it("answers duplicate to a redelivered orders/create: one order, units reserved once", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 2, price: "25.00" }] }));
    const first = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(first.body).toMatchObject({ status: "applied", summary: { orderId: expect.any(String) } });
    const afterFirst = await skuState(tenant.adminKey, sku);
    expect(afterFirst.inventory.body.totals.reserved).toBe(2);

    const again = await deliver(tenant.id, secret, { topic: "orders/create", body, webhookId: first.webhookId });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ webhookId: first.webhookId, topic: "orders/create", status: "duplicate", summary: { ...first.body.summary, first: "applied" } });
    expect(await skuState(tenant.adminKey, sku)).toEqual(afterFirst);

    // A new webhook id for the same Shopify order (Shopify re-sent it): the natural key holds.
    const resent = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(resent.body).toMatchObject({ status: "applied", summary: { orderId: first.body.summary.orderId } });
    expect(await skuState(tenant.adminKey, sku)).toEqual(afterFirst);
  });

  it("recognises one event delivered under two webhook ids (two subscriptions) by its X-Shopify-Event-Id", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 3, price: "25.00" }] }));
    const eventId = crypto.randomUUID();
    const first = await deliver(tenant.id, secret, { topic: "orders/create", body, eventId });
    expect(first.body).toMatchObject({ status: "applied" });
    const afterFirst = await skuState(tenant.adminKey, sku);
    const second = await deliver(tenant.id, secret, { topic: "orders/create", body, eventId });
    expect(second.webhookId).not.toBe(first.webhookId);
    expect(second.body).toEqual({ webhookId: second.webhookId, topic: "orders/create", status: "duplicate", summary: { ...first.body.summary, first: "applied" } });
    expect(await skuState(tenant.adminKey, sku)).toEqual(afterFirst);
  });

  it("answers duplicate to a redelivered unmapped payload: one exception", async () => {
    const { tenant, secret } = await shopifyTenant();
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku: null, quantity: 1, price: "5.00" }] }));
    const first = await deliver(tenant.id, secret, { topic: "orders/create", body });
    const again = await deliver(tenant.id, secret, { topic: "orders/create", body, webhookId: first.webhookId });
    expect(again.body).toMatchObject({ status: "duplicate", summary: { exceptionId: first.body.summary.exceptionId, first: "unmapped" } });
    const exceptions = await call("GET", "/v1/exceptions", { key: tenant.adminKey });
    expect(exceptions.body.exceptions).toHaveLength(1);
  });

  it("handles concurrent deliveries of one webhook id once", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "25.00" }] }));
    const webhookId = crypto.randomUUID();
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliver(tenant.id, secret, { topic: "orders/create", body, webhookId })));
    expect(answers.filter((a) => a.status === 200 && a.body.status === "applied")).toHaveLength(1);
    for (const answer of answers) expect([200, 409]).toContain(answer.status);
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(1);
  });
});
