import { z } from "@hono/zod-openapi";
import { TenantId } from "../../shared/schemas/common.ts";
import { ShopifyWebhookAnswer, ShopifyWebhookHeaders } from "../../shared/schemas/integrations.ts";
import { handleShopifyWebhook } from "../integrations/shopify/webhook.ts";
import { unwrap } from "../idempotency.ts";
import { exceptionQueue, shopifyIntegration } from "../../durable/objects.ts";
import { sha256Hex } from "../../shared/ids.ts";
import { staleness, topicMismatch } from "../integrations/shopify/delivery-checks.ts";
import { parseShopifyJson } from "../integrations/shopify/payload.ts";
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
    "The topic header is not signed, so the body must fit it: an order for orders/create, a cancelled order for orders/cancelled, a refund for refunds/create, else 400 `webhook_topic_mismatch`. A delivery whose event (the time its signed body records, and X-Shopify-Triggered-At) is older than the integration's maxDeliveryAgeSeconds (48 h by default) is 400 `webhook_stale`, and kept as a `webhook_unmapped` exception for a person to replay if it is genuine.",
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
  const refusal = await refuseUnfit(c.env, tenant, { topic, webhookId, body, triggeredAt: c.req.header("x-shopify-triggered-at"), maxAgeMs: admission.maxDeliveryAgeSeconds * 1000 });
  if (refusal) {
    await integration.release(deliveryId);
    throw refusal;
  }
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

/**
 * The checks a signed delivery must also pass, since its topic and times
 * travel in unsigned headers: a body that does not fit its topic (a signed
 * orders/create resent as orders/cancelled) is refused outright; one whose
 * event is older than the integration accepts is refused too, and kept as a
 * `webhook_unmapped` exception (one per body) that a person may replay if it
 * is genuine, so that a late but real order is never lost unseen.
 */
async function refuseUnfit(env: Env, tenantId: string, delivery: { topic: string; webhookId: string; body: Uint8Array; triggeredAt: string | undefined; maxAgeMs: number }): Promise<AppError | null> {
  const text = new TextDecoder().decode(delivery.body);
  const payload = parseShopifyJson(text);
  const mismatch = topicMismatch(delivery.topic, payload);
  if (mismatch) return new AppError("webhook_topic_mismatch", mismatch);
  const stale = staleness(delivery.topic, payload, delivery.triggeredAt, Date.now(), delivery.maxAgeMs);
  if (!stale) return null;
  await exceptionQueue(env, tenantId).record([
    {
      type: "webhook_unmapped",
      naturalKey: `webhook_unmapped:shopify:stale:${await sha256Hex(text)}`,
      subject: `shopify:${delivery.topic}`,
      correlationId: delivery.webhookId,
      payload: { source: "shopify", topic: delivery.topic, webhookId: delivery.webhookId, reasons: [`stale: ${stale}`], body: text },
    },
  ]);
  return new AppError("webhook_stale", `${stale}; kept as a webhook_unmapped exception to replay if it is genuine`);
}
