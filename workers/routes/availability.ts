import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../shared/errors.ts";
import { systemClock, type Clock } from "../../shared/clock.ts";
import { sha256Hex } from "../../shared/ids.ts";
import { AvailabilityChanges, AvailabilityChangesQuery, AvailabilityQuery, BulkAvailability, BulkAvailabilityQuery, ChannelAvailability, type ChannelAvailability as ChannelAvailabilityFigure } from "../../shared/schemas/availability.ts";
import { Sku } from "../../shared/schemas/common.ts";
import { authorize } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { availabilityIndex } from "../../durable/objects.ts";
import { createRouter, json, routesOf } from "../openapi.ts";
import { readAvailability } from "../availability-reads.ts";

const pollers = ["admin", "channel", "erp", "readonly"] as const;

/**
 * How long an isolate answers single-SKU polls from the figure it last read
 * of the read model: a marketplace polling one SKU hundreds of times a
 * second costs the read model a few calls a second per isolate, and a 304
 * costs little more than the HTTP floor. It adds at most this much to the
 * read model's own lag (docs/decisions/0031-availability-poll-cache.md).
 */
export const availabilityCacheMs = 250;

const maxCachedFigures = 10_000;

interface CachedFigure {
  item: ChannelAvailabilityFigure;
  etag: string;
  at: number;
}

/** The isolate's recent single-SKU figures, by tenant, channel and SKU; a SKU with no stock is never kept. */
class AvailabilityCache {
  /** Tests replace it to move time on instead of waiting. */
  clock: Clock = systemClock;
  private readonly figures = new Map<string, CachedFigure>();

  async read(env: Env, tenantId: string, channel: string, sku: string): Promise<CachedFigure | null> {
    const key = `${tenantId}\u0000${channel}\u0000${sku}`;
    const now = this.clock.now();
    const cached = this.figures.get(key);
    if (cached && now - cached.at < availabilityCacheMs) return cached;
    this.figures.delete(key);
    const [item] = await readAvailability(env, tenantId, channel, [sku]);
    if (!item) return null;
    const figure = { item, etag: `"${(await sha256Hex(JSON.stringify(item))).slice(0, 32)}"`, at: now };
    if (this.figures.size >= maxCachedFigures) this.figures.delete(this.figures.keys().next().value!);
    this.figures.set(key, figure);
    return figure;
  }
}

/** The isolate's availability figures (module state lives as long as the isolate). */
export const availabilityCache = new AvailabilityCache();

const availability = routesOf("Availability");

const single = availability.get("/v1/availability/{sku}", "getAvailability", {
  summary: "What a channel may sell of one SKU (ETag; 304 on If-None-Match)",
  description: "Served from the availability read model, which trails the SKU objects by at most the publish delay (200 ms by default) plus one internal call; each edge isolate answers repeated polls of a SKU from the figure it read for up to 250 ms.",
  request: { params: z.object({ sku: Sku }), query: AvailabilityQuery },
  responses: { 200: json(ChannelAvailability, "The channel's availability"), 304: { description: "Not modified since the ETag you sent" } },
});

const bulk = availability.get("/v1/availability", "getBulkAvailability", {
  summary: "What a channel may sell of many SKUs, in one call",
  request: { query: BulkAvailabilityQuery },
  responses: { 200: json(BulkAvailability, "The channel's availability per SKU") },
});

const changes = availability.get("/v1/availability/changes", "listAvailabilityChanges", {
  summary: "Every SKU whose availability on the channel changed since the cursor",
  description: "Start without a cursor to get every SKU once; then pass nextCursor back. A SKU that changed several times appears once, with its latest figure.",
  request: { query: AvailabilityChangesQuery },
  responses: { 200: json(AvailabilityChanges, "A page of changes") },
});

async function channelAccess(c: Context<AppEnv>, channel: string) {
  const access = await authorize(c, { roles: pollers, channel });
  if (!access.channel) throw new AppError("unknown_channel", `No channel ${channel}`);
  return access;
}

export const availabilityRoutes = createRouter()
  .openapi(changes, async (c) => {
    const { channel, cursor, limit } = c.req.valid("query");
    const { principal } = await channelAccess(c, channel);
    return c.json(await availabilityIndex(c.env, principal.tenantId).changes(channel, Number(cursor ?? 0), limit), 200);
  })
  .openapi(single, async (c) => {
    const { sku } = c.req.valid("param");
    const { channel } = c.req.valid("query");
    const { principal } = await channelAccess(c, channel);
    const figure = await availabilityCache.read(c.env, principal.tenantId, channel, sku);
    if (!figure) throw new AppError("not_found", `No stock recorded for SKU ${sku}`);
    const { item, etag } = figure;
    c.header("ETag", etag);
    c.header("Cache-Control", "private, no-cache");
    const ifNoneMatch = c.req.header("if-none-match");
    if (ifNoneMatch && ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)) return c.body(null, 304);
    return c.json(item, 200);
  })
  .openapi(bulk, async (c) => {
    const { channel, skus } = c.req.valid("query");
    const { principal } = await channelAccess(c, channel);
    const items = await readAvailability(c.env, principal.tenantId, channel, skus);
    const found = new Set(items.map((item) => item.sku));
    return c.json({ channel, items, unknown: skus.filter((sku) => !found.has(sku)) }, 200);
  });
