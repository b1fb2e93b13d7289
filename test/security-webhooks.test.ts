import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventWebhook, shopifyIntegration } from "../durable/objects.ts";
import { signEvent as eventSignature } from "../shared/signatures.ts";
import { call, createKey } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { deliver, shopifyOrder, shopifyRefund, shopifyTenant, toShopifyJson } from "./shopify-fixtures.ts";

/*
 * Hostile Shopify deliveries. The signature covers the body only; the topic,
 * the ids and X-Shopify-Triggered-At travel in unsigned headers. A captured,
 * correctly signed body must not do what its headers claim unless the body
 * itself agrees, and an old one must not take effect unseen.
 */

const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

async function ordersOn(adminKey: string): Promise<number> {
  return (await call("GET", "/v1/orders?channel=web", { key: adminKey })).body.orders.length;
}

describe("Shopify webhooks whose unsigned headers lie", () => {
  it("refuses a signed orders/create body resent as orders/cancelled or refunds/create, and the order stays as it was", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 2, price: "10.00" }] }));
    const created = await deliver(tenant.id, secret, { topic: "orders/create", body });
    expect(created.body).toMatchObject({ status: "applied" });
    const before = await skuState(tenant.adminKey, sku);

    for (const topic of ["orders/cancelled", "refunds/create"]) {
      const forged = await deliver(tenant.id, secret, { topic, body });
      expect(forged.status).toBe(400);
      expect(forged.headers.get("content-type")).toContain("application/problem+json");
      expect(forged.body).toMatchObject({ code: "webhook_topic_mismatch", detail: expect.stringContaining(topic) });
    }
    const order = await call("GET", `/v1/orders/${created.body.summary.orderId}`, { key: tenant.adminKey });
    expect(order.body.status).toBe("reserved");
    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    // The refused deliveries left no trace: the same delivery with its true topic is handled as a first one.
    const refund = await deliver(tenant.id, secret, { topic: "orders/create", body: toShopifyJson(shopifyRefund("450789469999999999", [{ sku, quantity: 1, restockType: "return" }])) });
    expect(refund.body).toMatchObject({ code: "webhook_topic_mismatch" });
  });

  it("refuses a delivery older than the integration accepts, by the time its signed body records or its Triggered-At, and keeps it as one exception to replay", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const old = shopifyOrder({ lines: [{ sku, quantity: 1, price: "10.00" }] });
    const body = toShopifyJson({ ...old, created_at: hoursAgo(72) });
    for (let attempt = 0; attempt < 2; attempt++) {
      const stale = await deliver(tenant.id, secret, { topic: "orders/create", body });
      expect(stale.status).toBe(400);
      expect(stale.body).toMatchObject({ code: "webhook_stale", detail: expect.stringContaining("172800 s") });
    }
    // A fresh body under an old Triggered-At is as stale: the header is checked too.
    const fresh = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "10.00" }] }));
    expect((await deliver(tenant.id, secret, { topic: "orders/create", body: fresh, triggeredAt: hoursAgo(49) })).body).toMatchObject({ code: "webhook_stale" });
    expect(await ordersOn(tenant.adminKey)).toBe(0);
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals.reserved).toBe(0);

    // Kept once per body, for a person who knows it is genuine: the replay records the order.
    const exceptions = (await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey })).body.exceptions as { id: string; payload: { body: string; reasons: string[] } }[];
    expect(exceptions).toHaveLength(2);
    const kept = exceptions.find((e) => e.payload.body === body)!;
    expect(kept.payload.reasons[0]).toMatch(/^stale: orders\/create: the event is \d+ s old/);
    const replay = await call("POST", `/v1/exceptions/${kept.id}/replay`, { key: tenant.adminKey, body: {}, idempotencyKey: `replay-${kept.id}` });
    expect(replay.body).toMatchObject({ outcome: "resolved" });
    expect(await ordersOn(tenant.adminKey)).toBe(1);
  });

  it("applies each tenant's own age limit", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const body = toShopifyJson({ ...shopifyOrder({ lines: [{ sku, quantity: 1, price: "10.00" }] }), created_at: hoursAgo(0.5) });
    await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: secret, channel: "web", maxDeliveryAgeSeconds: 600 } });
    expect((await deliver(tenant.id, secret, { topic: "orders/create", body })).body).toMatchObject({ code: "webhook_stale" });
    await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: secret, channel: "web", maxDeliveryAgeSeconds: 3_600 } });
    expect((await deliver(tenant.id, secret, { topic: "orders/create", body })).body).toMatchObject({ status: "applied" });
    const tooShort = await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: secret, channel: "web", maxDeliveryAgeSeconds: 5 } });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body).toMatchObject({ code: "validation_failed" });
  });
});

describe("the webhook secret at rest", () => {
  it("is sealed in the integration's storage, never in clear, and still verifies deliveries", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 3 });
    const stored = await runInDurableObject(shopifyIntegration(env, tenant.id), (_instance, state) =>
      state.storage.sql.exec<{ webhook_secret: string; masked_secret: string }>("SELECT webhook_secret, masked_secret FROM settings").toArray(),
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]!.webhook_secret).toMatch(/^v1\./);
    expect(stored[0]!.webhook_secret).not.toContain(secret.slice(6));
    expect(stored[0]!.masked_secret).toBe(`••••••••${secret.slice(-4)}`);
    const delivered = await deliver(tenant.id, secret, { topic: "orders/create", body: toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "5.00" }] })) });
    expect(delivered.body).toMatchObject({ status: "applied" });
    expect((await deliver(tenant.id, "shpss_not_the_secret_at_all_0000", { topic: "orders/create", body: toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "5.00" }] })) })).status).toBe(401);
  });
});

describe("the event webhook's signing secret at rest", () => {
  it("is sealed in the tenant's event webhook object and shown masked", async () => {
    const { tenant } = await shopifyTenant();
    const secret = "whsec-0123456789abcdef-rest";
    const put = await call("PUT", "/v1/settings/events", { key: tenant.adminKey, body: { url: "https://erp.example.com/hooks/shelfsync", secret } });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain(secret.slice(0, 12));
    const stored = await runInDurableObject(eventWebhook(env, tenant.id), (_instance, state) => state.storage.sql.exec<{ secret: string }>("SELECT secret FROM settings").toArray());
    expect(stored[0]!.secret).toMatch(/^v1\./);
    expect(stored[0]!.secret).not.toContain(secret.slice(6));
    // Signing opens it: the signature is the one the retailer computes with the secret it set.
    const signed = await eventWebhook(env, tenant.id).sign("{}", 1_700_000_000);
    expect(signed?.signature).toBe(await eventSignature(secret, 1_700_000_000, "{}"));
  });
});

describe("customer data in exceptions", () => {
  it("shows a raw Shopify payload to tenant admins only; a read-only key reads it withheld", async () => {
    const { tenant, secret } = await shopifyTenant();
    const body = toShopifyJson(shopifyOrder({ lines: [{ sku: null, quantity: 1, price: "5.00" }] }));
    expect((await deliver(tenant.id, secret, { topic: "orders/create", body })).body).toMatchObject({ status: "unmapped" });
    const readonly = await createKey(tenant, { role: "readonly", name: "auditor" });

    const asAdmin = (await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey })).body.exceptions[0];
    expect(asAdmin.payload.body).toBe(body);
    const listing = await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: readonly });
    expect(listing.status, JSON.stringify(listing.body)).toBe(200);
    const listed = listing.body.exceptions[0];
    const one = (await call("GET", `/v1/exceptions/${asAdmin.id}`, { key: readonly })).body;
    for (const seen of [listed, one]) {
      expect(seen.payload.body).toMatch(/^\[withheld/);
      expect(JSON.stringify(seen)).not.toContain("Shipping Street");
      expect(seen.payload).toMatchObject({ topic: "orders/create", reasons: asAdmin.payload.reasons });
    }
  });
});
