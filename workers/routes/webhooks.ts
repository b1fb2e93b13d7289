import { z } from "@hono/zod-openapi";
import { TenantId } from "../../shared/schemas/common.ts";
import { ShopifyWebhookAnswer, ShopifyWebhookHeaders } from "../../shared/schemas/integrations.ts";
import { handleShopifyWebhook } from "../integrations/shopify/webhook.ts";
import { unwrap } from "../idempotency.ts";
import { shopifyIntegration } from "../../durable/objects.ts";
import { createRouter, json, routesOf } from "../openapi.ts";
import { keyChecks } from "../middleware/authenticate.ts";
import { AppError } from "../../shared/errors.ts";

const webhooks = routesOf("Webhooks");

const shopifyWebhook = webhooks.post("/v1/webhooks/shopify/{tenant}", "receiveShopifyWebhook", {
  summary: "Shopify's signed webhooks: orders/create, orders/cancelled, refunds/create",
  description: [
    "No API key: the request is authenticated by X-Shopify-Hmac-Sha256, base64(HMAC-SHA256(raw body, the tenant's webhook secret)), checked in constant time over the bytes as they arrived. A missing or wrong signature is 401 and changes nothing.",
    "Each X-Shopify-Event-Id (Shopify's key for spotting duplicates; X-Shopify-Webhook-Id when a delivery has none) takes effect once: a redelivery, or the same event delivered to a second subscription, within 30 days answers `duplicate` and changes nothing; after that, the order's natural key (channel + Shopify order id) and the refund id still make it a no-op.",
    "orders/create becomes a canonical order on the connected channel; orders/cancelled cancels it; refunds/create cancels refunded unshipped units and returns shipped ones (restock_type return: restocked where they shipped from; no_restock: written off).",
    "A payload that does not map (e.g. a line item without a SKU) is recorded as a `webhook_unmapped` exception and answered 200 `unmapped`, so that Shopify does not retry it for hours and then drop the subscription; a person replays or resolves it from the exception queue. Other topics are answered 200 `ignored`.",
  ].join(" "),
  // No API key: the HMAC signature header authenticates the request (see the description).
  security: [],
  request: { params: z.object({ tenant: TenantId }), headers: ShopifyWebhookHeaders },
  responses: { 200: json(ShopifyWebhookAnswer, "Handled: applied, unmapped, ignored or duplicate") },
});

export const webhookRoutes = createRouter().openapi(shopifyWebhook, async (c) => {
  const { tenant } = c.req.valid("param");
  // The tenant comes from the URL: a made-up one must not bring its integration object into being. Answered like a bad signature.
  if (!(await keyChecks.tenantExists(c.env, tenant))) throw new AppError("unauthorized", "Unknown webhook");
  const body = new Uint8Array(await c.req.arrayBuffer());
  const webhookId = c.req.header("x-shopify-webhook-id") ?? "";
  const topic = c.req.header("x-shopify-topic") ?? "";
  // Shopify's documented duplicate key; two subscriptions to one topic deliver one event under two webhook ids.
  const deliveryId = c.req.header("x-shopify-event-id") || webhookId;
  const integration = shopifyIntegration(c.env, tenant);
  const admission = unwrap(await integration.admit({ body, signature: c.req.header("x-shopify-hmac-sha256") ?? null, webhookId, deliveryId, topic }));
  if (admission.duplicate) return c.json({ webhookId, topic, status: "duplicate" as const, summary: { ...admission.summary, first: admission.state } }, 200);
  try {
    const outcome = await handleShopifyWebhook(c.env, { tenantId: tenant, channel: admission.channel, topic, webhookId, body });
    await integration.settle(deliveryId, outcome.state, outcome.summary);
    return c.json({ webhookId, topic, status: outcome.state, summary: outcome.summary }, 200);
  } catch (error) {
    // Our fault, not the payload's: Shopify's retry may handle it again.
    await integration.release(deliveryId);
    throw error;
  }
});
