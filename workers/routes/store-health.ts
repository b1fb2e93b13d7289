import { z } from "@hono/zod-openapi";
import { storeHealthBoard } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { LocationId } from "../../shared/schemas/common.ts";
import { StoreHealth, StoreHealthDetail, StoreHealthReport, StoreList } from "../../shared/schemas/store-health.ts";
import { authorize } from "../auth.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";
import { storeHeardFrom } from "../store-contact.ts";

const readers = ["admin", "readonly", "store"] as const;
const StoreParams = z.object({ location: LocationId });

const health = routesOf("Stores");

const report = health.post("/v1/stores/{location}/health", "reportStoreHealth", {
  summary: "The store's agent reports its health (every 30 s and when something changes)",
  description: "Store key of that location only. A store that has not reported for STORE_OFFLINE_AFTER_MS (90 s by default) is offline until its next report.",
  request: { params: StoreParams, body: body(StoreHealthReport) },
  responses: { 200: json(StoreHealth, "The store's health as the edge now holds it") },
});

const list = health.get("/v1/stores", "listStores", {
  summary: "Every store location of the tenant with its health: online, offline, or unknown (never reported)",
  responses: { 200: json(StoreList, "The stores") },
});

const detail = health.get("/v1/stores/{location}/health", "getStoreHealth", {
  summary: "One store's health and its samples over the last 24 hours",
  description: "A store key reads its own location only.",
  request: { params: StoreParams },
  responses: { 200: json(StoreHealthDetail, "The store's health") },
});

/** A store location that never reported: everything unknown. */
function neverReported(location: string): StoreHealth {
  return {
    location,
    status: "unknown",
    lastReportAt: null,
    onlineSince: null,
    offlineSince: null,
    agentVersion: null,
    backlog: null,
    oldestPendingAt: null,
    oldestPendingAgeSeconds: null,
    lastPushAt: null,
    lastPullAt: null,
    deadLetters: null,
  };
}

export const storeHealthRoutes = createRouter()
  .openapi(report, async (c) => {
    const { location } = c.req.valid("param");
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: ["store"], location });
    if (!access.location) throw new AppError("unknown_location", `No location ${location}`);
    storeHeardFrom(c, access.principal.tenantId, location);
    return c.json(await storeHealthBoard(c.env, access.principal.tenantId).report(location, input), 200);
  })
  .openapi(list, async (c) => {
    const { registry, principal } = await authorize(c, { roles: ["admin", "readonly"] });
    const board = storeHealthBoard(c.env, principal.tenantId);
    const [locations, { stores: reported, offlineAfterMs }] = await Promise.all([registry.listLocations(), board.list()]);
    const byLocation = new Map(reported.map((health) => [health.location, health]));
    const stores = locations.filter((location) => location.type === "store").map((location) => byLocation.get(location.id) ?? neverReported(location.id));
    return c.json({ stores, offlineAfterSeconds: offlineAfterMs / 1000 }, 200);
  })
  .openapi(detail, async (c) => {
    const { location } = c.req.valid("param");
    const access = await authorize(c, { roles: [...readers], location });
    if (!access.location) throw new AppError("unknown_location", `No location ${location}`);
    const found = await storeHealthBoard(c.env, access.principal.tenantId).detail(location);
    return c.json(found ?? { ...neverReported(location), samples: [] }, 200);
  });
