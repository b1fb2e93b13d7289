import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { call, tenantWithStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { shopifyOrder, shopifySignature, toShopifyJson } from "./shopify-payloads.ts";

export * from "./shopify-payloads.ts";

/**
 * Shopify webhook deliveries to the edge under test, signed as Shopify signs
 * them (base64 of the HMAC-SHA256 of the exact body bytes, keyed with the
 * app's secret), and tenants connected to a shop. The payloads themselves
 * are in ./shopify-payloads.ts.
 */

export interface Delivery {
  topic: string;
  body: string;
  webhookId?: string;
  /** X-Shopify-Event-Id; none when omitted (older deliveries). */
  eventId?: string;
  /** X-Shopify-Triggered-At; now when omitted. */
  triggeredAt?: string;
  signature?: string | null;
}

/** Delivers a webhook to the edge as Shopify does: raw body, signature and topic headers, no API key. */
export async function deliver(tenantId: string, secret: string, delivery: Delivery): Promise<ApiResponse & { webhookId: string }> {
  const webhookId = delivery.webhookId ?? crypto.randomUUID();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-shopify-topic": delivery.topic,
    "x-shopify-webhook-id": webhookId,
    "x-shopify-shop-domain": "shelfsync-test.myshopify.com",
    "x-shopify-api-version": "2026-10",
    "x-shopify-triggered-at": delivery.triggeredAt ?? new Date().toISOString(),
  };
  if (delivery.eventId) headers["x-shopify-event-id"] = delivery.eventId;
  const signature = delivery.signature === undefined ? await shopifySignature(secret, delivery.body) : delivery.signature;
  if (signature !== null) headers["x-shopify-hmac-sha256"] = signature;
  const response = await SELF.fetch(`https://edge.test/v1/webhooks/shopify/${tenantId}`, { method: "POST", headers, body: delivery.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null, webhookId };
}

/** Connects a tenant's Shopify shop: its webhook secret and the channel its orders arrive on. */
export async function connectShopify(tenant: TestTenant, channel = "web"): Promise<string> {
  const secret = `shpss_${unique("secret").replace(/[^a-z0-9]/g, "")}`;
  const response = await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: secret, channel } });
  if (response.status !== 200) throw new Error(`connect failed: ${response.status} ${JSON.stringify(response.body)}`);
  return secret;
}

/**
 * A stocked tenant with its Shopify shop connected on `web`, the shop's
 * webhook secret, and one fresh SKU per argument stocked as given (see tenantWithStock).
 */
export async function shopifyTenant<T extends Record<string, number>[]>(...stock: T) {
  const { tenant, skus } = await tenantWithStock(...stock);
  const secret = await connectShopify(tenant);
  return { tenant, secret, skus };
}

/**
 * A Shopify tenant sent an orders/create for one unit of a SKU it never
 * stocked: the delivery is answered unmapped (unknown_sku) and recorded as the
 * tenant's one webhook_unmapped exception, returned with the delivered body.
 */
export async function orderOfUnknownSku() {
  const { tenant, secret } = await shopifyTenant();
  const sku = unique("sku");
  const body = toShopifyJson(shopifyOrder({ lines: [{ sku, quantity: 1, price: "19.99" }] }));
  const delivered = await deliver(tenant.id, secret, { topic: "orders/create", body });
  expect(delivered.body).toMatchObject({ status: "unmapped", summary: { reason: expect.stringContaining("unknown_sku") } });
  const exceptions = await call("GET", "/v1/exceptions?type=webhook_unmapped", { key: tenant.adminKey });
  expect(exceptions.body.exceptions).toHaveLength(1);
  return { tenant, sku, body, exception: exceptions.body.exceptions[0] as Record<string, any> };
}
