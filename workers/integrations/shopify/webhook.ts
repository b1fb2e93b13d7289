import type { SettledState, WebhookSummary } from "../../../durable/shopify-integration.ts";
import type { WebhookUnmappedPayload } from "../../../shared/schemas/exceptions.ts";
import { exceptionQueue, shopifyIntegration } from "../../../durable/objects.ts";
import { mapShopifyCancellation, mapShopifyOrder } from "./order.ts";
import { parseShopifyJson, type JsonValue } from "./payload.ts";
import { mapShopifyRefund } from "./refund.ts";
import { cancelShopifyOrder, refundShopifyOrder, submitShopifyOrder, type Applied } from "./effects.ts";

export interface ShopifyWebhook {
  tenantId: string;
  channel: string;
  topic: string;
  webhookId: string;
  body: Uint8Array;
}

export interface WebhookOutcome {
  state: SettledState;
  summary: WebhookSummary;
}

type Handler = (env: Env, webhook: ShopifyWebhook, payload: JsonValue | null) => Promise<Applied>;

const handlers: Record<string, Handler> = {
  "orders/create": async (env, webhook, payload) => {
    const mapped = mapShopifyOrder(payload, webhook.channel);
    return mapped.ok ? submitShopifyOrder(env, webhook.tenantId, mapped.value) : { ok: false, reasons: mapped.reasons };
  },
  "orders/cancelled": async (env, webhook, payload) => {
    const mapped = mapShopifyCancellation(payload);
    return mapped.ok ? cancelShopifyOrder(env, webhook.tenantId, webhook.channel, mapped.value) : { ok: false, reasons: mapped.reasons };
  },
  "refunds/create": async (env, webhook, payload) => {
    const mapped = mapShopifyRefund(payload);
    return mapped.ok ? refundShopifyOrder(env, webhook.tenantId, webhook.channel, mapped.value) : { ok: false, reasons: mapped.reasons };
  },
};

/**
 * Handles one signed, first-time delivery. What does not map (or what the
 * order service refuses) is recorded as a `webhook_unmapped` exception with
 * the payload as it arrived and the webhook id as correlation, and nothing
 * else changes; a topic Shelfsync does not use is ignored. Infrastructure
 * faults throw, so that Shopify retries.
 */
export async function handleShopifyWebhook(env: Env, webhook: ShopifyWebhook): Promise<WebhookOutcome> {
  const handler = handlers[webhook.topic];
  if (!handler) return { state: "ignored", summary: { reason: `topic ${webhook.topic} is not used` } };
  const text = new TextDecoder().decode(webhook.body);
  const applied = await handler(env, webhook, parseShopifyJson(text));
  if (applied.ok) return { state: "applied", summary: applied.summary };
  const [exception] = await exceptionQueue(env, webhook.tenantId).record([
    {
      type: "webhook_unmapped",
      naturalKey: `webhook_unmapped:shopify:${webhook.webhookId}`,
      subject: `shopify:${webhook.topic}`,
      correlationId: webhook.webhookId,
      payload: { source: "shopify", topic: webhook.topic, webhookId: webhook.webhookId, reasons: applied.reasons, body: text },
    },
  ]);
  return { state: "unmapped", summary: { exceptionId: exception!.id, reason: applied.reasons.join("; ").slice(0, 500) } };
}

/**
 * Runs a `webhook_unmapped` exception's payload again, as it arrived, on the
 * tenant's current Shopify channel (e.g. after the SKU was added to the
 * catalog). Its effects are idempotent by their natural keys; if it still
 * does not map, the same exception stands (same natural key).
 */
export async function replayUnmappedShopifyWebhook(env: Env, tenantId: string, payload: WebhookUnmappedPayload): Promise<WebhookOutcome> {
  const settings = await shopifyIntegration(env, tenantId).getSettings();
  if (!settings) return { state: "unmapped", summary: { reason: "Shopify is not connected" } };
  const body = new TextEncoder().encode(payload.body);
  return handleShopifyWebhook(env, { tenantId, channel: settings.channel, topic: payload.topic, webhookId: payload.webhookId, body });
}
