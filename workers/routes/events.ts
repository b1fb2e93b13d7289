import type { EventSettingsView } from "../../durable/event-webhook.ts";
import { AppError } from "../../shared/errors.ts";
import { EventSettings, PutEventSettingsRequest } from "../../shared/schemas/events.ts";
import { authorize } from "../auth.ts";
import { eventWebhook } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const signature = 'Shelfsync-Signature: sha256=<hex HMAC-SHA256(secret, Shelfsync-Timestamp + "." + raw body)>';

const events = routesOf("Events");

const putSettings = events.put("/v1/settings/events", "setEventSettings", {
  summary: "Where the tenant's events go: a webhook URL and its signing secret (tenant admin)",
  description: [
    "Every event (order.created, order.reserved, order.fulfilled, order.cancelled, order.returned, availability.changed) is POSTed to `url` as JSON (an OutboundEvent), with `Shelfsync-Event-Id`, `Shelfsync-Event-Type`, `Shelfsync-Timestamp` and `" + signature + "`.",
    "Delivery is at least once: answer 2xx once stored, and drop an event id seen before. Anything else is retried with exponential backoff; an event that fails every retry becomes an `event_delivery_failed` exception, which a replay sends again.",
    "The secret is stored and never shown again in clear.",
  ].join(" "),
  request: { body: body(PutEventSettingsRequest) },
  responses: { 200: json(EventSettings, "The webhook, secret masked") },
});

const readSettings = events.get("/v1/settings/events", "getEventSettings", {
  summary: "The tenant's event webhook, secret masked (tenant admin)",
  responses: { 200: json(EventSettings, "The webhook, secret masked") },
});

function view(settings: EventSettingsView): EventSettings {
  return { url: settings.url, secret: settings.maskedSecret, signature, updatedAt: new Date(settings.updatedAt).toISOString() };
}

export const eventRoutes = createRouter()
  .openapi(putSettings, async (c) => {
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json(view(await eventWebhook(c.env, principal.tenantId).configure(input)), 200);
  })
  .openapi(readSettings, async (c) => {
    const { principal } = await authorize(c, { roles: ["admin"] });
    const settings = await eventWebhook(c.env, principal.tenantId).getSettings();
    if (!settings) throw new AppError("not_found", "No event webhook is set; PUT /v1/settings/events");
    return c.json(view(settings), 200);
  });
