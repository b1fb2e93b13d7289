import { describe, expect, it } from "vitest";
import { verifyShopifySignature } from "../shared/signatures.ts";
import { call, createStockedTenant } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { connectShopify, deliver, shopifySignature } from "./shopify-fixtures.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("Shopify webhooks are authenticated by their signature over the raw body", () => {
  it("matches Shopify's algorithm on a known vector: base64(HMAC-SHA256(body, secret))", async () => {
    const secret = "shpss_0123456789abcdef0123456789abcdef";
    const body = '{"id":820982911946154508,"name":"#9999","line_items":[{"sku":"IPOD2008PINK","quantity":1,"price":"199.00"}]}';
    // Computed apart, with Python's hmac and base64 modules.
    const expected = "6EY8zIlpPfRdgzCFQ1HnWMJKMh7cX3/yCKXTq21Jt60=";
    expect(await shopifySignature(secret, body)).toBe(expected);
    expect(await verifyShopifySignature(secret, bytes(body), expected)).toBe(true);
    expect(await verifyShopifySignature(secret, bytes(body.replace("199.00", "1.00")), expected)).toBe(false);
    expect(await verifyShopifySignature(`${secret}x`, bytes(body), expected)).toBe(false);
    expect(await verifyShopifySignature(secret, bytes(body), expected.replace("6EY8", "6EY9"))).toBe(false);
    expect(await verifyShopifySignature(secret, bytes(body), "not base64!")).toBe(false);
    expect(await verifyShopifySignature(secret, bytes(body), "")).toBe(false);
    expect(await verifyShopifySignature(secret, bytes(body), null)).toBe(false);
  });

  it("accepts a delivery signed with the tenant's secret", async () => {
    const tenant = await createStockedTenant();
    const secret = await connectShopify(tenant);
    const response = await deliver(tenant.id, secret, { topic: "products/update", body: '{"id": 632910392}' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ webhookId: response.webhookId, topic: "products/update", status: "ignored", summary: expect.any(Object) });
  });

  it("refuses a forged, re-serialized, missing or foreign signature with 401, and remembers nothing of it", async () => {
    const tenant = await createStockedTenant();
    const secret = await connectShopify(tenant);
    const body = '{\n  "id": 632910392,\n  "title": "IPod Nano"\n}';
    const webhookId = crypto.randomUUID();
    const forged = await deliver(tenant.id, secret, { topic: "products/update", body, webhookId, signature: await shopifySignature("shpss_not-the-secret-at-all", body) });
    expectProblem(forged, 401, "unauthorized");
    // Same JSON value, other bytes: the signature is over the bytes.
    const reserialized = await deliver(tenant.id, secret, { topic: "products/update", body: JSON.stringify(JSON.parse(body)), webhookId, signature: await shopifySignature(secret, body) });
    expectProblem(reserialized, 401, "unauthorized");
    expectProblem(await deliver(tenant.id, secret, { topic: "products/update", body, webhookId, signature: null }), 401, "unauthorized");
    expectProblem(await deliver(tenant.id, secret, { topic: "products/update", body, webhookId, signature: "" }), 401, "unauthorized");

    const other = await createStockedTenant();
    expectProblem(await deliver(other.id, secret, { topic: "products/update", body, webhookId }), 401, "unauthorized");
    expectProblem(await deliver("no-such-tenant", secret, { topic: "products/update", body, webhookId }), 401, "unauthorized");

    // None of the refused deliveries claimed the webhook id: the genuine one is handled, not a duplicate.
    const genuine = await deliver(tenant.id, secret, { topic: "products/update", body, webhookId });
    expect(genuine.body.status).toBe("ignored");
  });

  it("refuses an order webhook with a forged signature: no order, no exception", async () => {
    const tenant = await createStockedTenant();
    const secret = await connectShopify(tenant);
    const body = '{"id": 450789469, "currency": "USD", "line_items": [{"id": 1, "sku": null, "quantity": 1, "price": "1.00"}]}';
    expectProblem(await deliver(tenant.id, secret, { topic: "orders/create", body, signature: await shopifySignature("shpss_forger-forger-forger", body) }), 401, "unauthorized");
    const exceptions = await call("GET", "/v1/exceptions", { key: tenant.adminKey });
    expect(exceptions.body.exceptions).toEqual([]);
  });

  it("requires X-Shopify-Webhook-Id and X-Shopify-Topic once the signature holds", async () => {
    const tenant = await createStockedTenant();
    const secret = await connectShopify(tenant);
    expectProblem(await deliver(tenant.id, secret, { topic: "", body: "{}" }), 400, "validation_failed");
    expectProblem(await deliver(tenant.id, secret, { topic: "orders/create", body: "{}", webhookId: "" }), 400, "validation_failed");
  });
});
