import { z } from "@hono/zod-openapi";
import { ChannelId, Timestamp } from "./common.ts";

/** Two days: Shopify's 4 hours of retries, with room for an outage on either side. */
export const defaultMaxDeliveryAgeSeconds = 48 * 3600;

export const PutShopifyIntegrationRequest = z
  .object({
    webhookSecret: z.string().min(16).max(256).openapi({ description: "The Shopify app's client secret that signs webhooks. Stored, never shown again in clear." }),
    channel: ChannelId.openapi({ description: "The channel Shopify orders arrive on; it must exist." }),
    maxDeliveryAgeSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(defaultMaxDeliveryAgeSeconds)
      .openapi({
        description:
          "A delivery whose event (the time its signed body records, and X-Shopify-Triggered-At) is older than this is refused with `webhook_stale` and kept as a `webhook_unmapped` exception, for a person to replay if it is genuine. Shopify retries a failed delivery for 4 hours; the default, 48 hours, leaves room for an outage on either side.",
      }),
  })
  .strict()
  .openapi("PutShopifyIntegrationRequest");
export type PutShopifyIntegrationRequest = z.infer<typeof PutShopifyIntegrationRequest>;

export const ShopifyIntegration = z
  .object({
    channel: ChannelId,
    webhookSecret: z.string().openapi({ description: "Masked: only its last 4 characters show.", example: "••••••••3f9a" }),
    maxDeliveryAgeSeconds: z.number().int(),
    webhookUrl: z.string().openapi({ description: "Where to point the shop's webhooks (orders/create, orders/cancelled, refunds/create).", example: "/v1/webhooks/shopify/acme-retail" }),
    updatedAt: Timestamp,
  })
  .openapi("ShopifyIntegration");
export type ShopifyIntegration = z.infer<typeof ShopifyIntegration>;

export const ShopifyWebhookStatus = z.enum(["applied", "unmapped", "ignored", "duplicate"]);
export type ShopifyWebhookStatus = z.infer<typeof ShopifyWebhookStatus>;

export const ShopifyWebhookAnswer = z
  .object({
    webhookId: z.string(),
    topic: z.string(),
    status: ShopifyWebhookStatus.openapi({
      description:
        "applied: it took effect; unmapped: it does not map and is in the exception queue (answered 200 so that Shopify does not retry forever); ignored: a topic Shelfsync does not use; duplicate: this webhook id was already handled, nothing changed.",
    }),
    summary: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).openapi({ description: "What it did, e.g. the order id." }),
  })
  .openapi("ShopifyWebhookAnswer");
export type ShopifyWebhookAnswer = z.infer<typeof ShopifyWebhookAnswer>;

export const ShopifyWebhookHeaders = z.object({
  "x-shopify-hmac-sha256": z.string().optional().openapi({ description: "base64(HMAC-SHA256(raw body, webhook secret)); a missing or wrong one is 401." }),
  "x-shopify-topic": z.string().optional().openapi({ example: "orders/create" }),
  "x-shopify-webhook-id": z.string().optional().openapi({ description: "Required. Recognises a repeat when the delivery has no X-Shopify-Event-Id.", example: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" }),
  "x-shopify-event-id": z.string().optional().openapi({ description: "Shopify's key for duplicates: a repeated event id has no second effect, whatever its webhook id.", example: "98880550-7158-44d4-b7cd-2c97c8a091b5" }),
});

