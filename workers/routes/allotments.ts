import { z } from "@hono/zod-openapi";
import { AppError } from "../../shared/errors.ts";
import { CoolQuery, HotSku, MarkHotRequest } from "../../shared/schemas/allotments.ts";
import { IdempotencyKeyHeader, Sku } from "../../shared/schemas/common.ts";
import { authorize } from "../auth.ts";
import { skuObject } from "../../durable/objects.ts";
import { forgetHotRoute } from "../hot-routes.ts";
import { unwrap } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const admins = ["admin"] as const;

const allotments = routesOf("Inventory");

const markHot = allotments.put("/v1/inventory/{sku}/hot", "markSkuHot", {
  summary: "Mark a SKU hot for a channel (a flash sale): its pool reservations are served by allotment shards",
  description:
    "The units the channel may have now are split over `shards` objects, each reserving from its own units; a shard that runs dry borrows from the others. " +
    "Reservations at a location and other channels stay with the SKU and do not see the allotted units. Marking it again with the same shards changes nothing; " +
    "another number of shards is 409 conflict (cool it first). docs/decisions/0029-flash-sale-allotments.md.",
  request: { params: z.object({ sku: Sku }), headers: IdempotencyKeyHeader, body: body(MarkHotRequest) },
  responses: { 200: json(HotSku, "The SKU's flash sales and each shard's units") },
});

const cool = allotments.delete("/v1/inventory/{sku}/hot", "coolSku", {
  summary: "End a SKU's flash sale on a channel: free units go back to the SKU at once",
  description: "Units held by the shards' open reservations stay there until those are committed, released or expire; released and expired units then go back too.",
  request: { params: z.object({ sku: Sku }), query: CoolQuery },
  responses: { 200: json(HotSku, "The SKU's flash sales after cooling") },
});

const read = allotments.get("/v1/inventory/{sku}/hot", "getSkuHot", {
  summary: "The channels a SKU is hot for, and each shard's allotted, free and reserved units",
  request: { params: z.object({ sku: Sku }) },
  responses: { 200: json(HotSku, "The SKU's flash sales") },
});

export const allotmentRoutes = createRouter()
  .openapi(markHot, async (c) => {
    const { sku } = c.req.valid("param");
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: admins, channel: input.channel });
    if (!access.channel) throw new AppError("unknown_channel", `No channel ${input.channel}`);
    // From here the SKU object answers the channel's pool reservations with its shards (reserveUnlessHot): no other routing to update.
    const { hot } = unwrap(await skuObject(c.env, access.principal.tenantId, sku).markHot(input.channel, input.shards, access.channel));
    return c.json(hot, 200);
  })
  .openapi(cool, async (c) => {
    const { sku } = c.req.valid("param");
    const { channel } = c.req.valid("query");
    const access = await authorize(c, { roles: admins, channel });
    // A shard reached through another isolate's route meanwhile answers not_hot, and the SKU object serves the request.
    forgetHotRoute(access.principal.tenantId, sku, channel);
    const { hot } = unwrap(await skuObject(c.env, access.principal.tenantId, sku).cool(channel));
    return c.json(hot, 200);
  })
  .openapi(read, async (c) => {
    const { sku } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: [...admins, "readonly"] });
    const { hot } = unwrap(await skuObject(c.env, principal.tenantId, sku).getHot());
    return c.json(hot, 200);
  });
