import type { ShopifySettingsView } from "../../durable/shopify-integration.ts";
import { AppError } from "../../shared/errors.ts";
import { PutShopifyIntegrationRequest, ShopifyIntegration } from "../../shared/schemas/integrations.ts";
import { authorize } from "../auth.ts";
import { shopifyIntegration } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const integrations = routesOf("Integrations");

const putShopify = integrations.put("/v1/integrations/shopify", "connectShopify", {
  summary: "Connect the tenant's Shopify shop: the webhook secret and the channel its orders arrive on (tenant admin)",
  description: "Point the shop's orders/create, orders/cancelled and refunds/create webhooks at `webhookUrl`. The secret is stored and never shown again in clear.",
  request: { body: body(PutShopifyIntegrationRequest) },
  responses: { 200: json(ShopifyIntegration, "The connection, secret masked") },
});

const readShopify = integrations.get("/v1/integrations/shopify", "getShopifyIntegration", {
  summary: "The tenant's Shopify connection, secret masked (tenant admin)",
  responses: { 200: json(ShopifyIntegration, "The connection, secret masked") },
});

function view(tenantId: string, settings: ShopifySettingsView): ShopifyIntegration {
  return {
    channel: settings.channel,
    webhookSecret: settings.maskedSecret,
    maxDeliveryAgeSeconds: settings.maxDeliveryAgeSeconds,
    webhookUrl: `/v1/webhooks/shopify/${tenantId}`,
    updatedAt: new Date(settings.updatedAt).toISOString(),
  };
}

export const integrationRoutes = createRouter()
  .openapi(putShopify, async (c) => {
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: ["admin"], channel: input.channel });
    if (!access.channel) throw new AppError("unknown_channel", `No channel ${input.channel}; create it with PUT /v1/channels/${input.channel}`);
    const { tenantId } = access.principal;
    return c.json(view(tenantId, await shopifyIntegration(c.env, tenantId).configure(input)), 200);
  })
  .openapi(readShopify, async (c) => {
    const { principal } = await authorize(c, { roles: ["admin"] });
    const settings = await shopifyIntegration(c.env, principal.tenantId).getSettings();
    if (!settings) throw new AppError("not_found", "Shopify is not connected; PUT /v1/integrations/shopify");
    return c.json(view(principal.tenantId, settings), 200);
  });
