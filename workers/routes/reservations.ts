import { traceIdOf } from "../../shared/tracing.ts";
import { z } from "@hono/zod-openapi";
import { AppError, fail } from "../../shared/errors.ts";
import { IdempotencyKeyHeader, Sku } from "../../shared/schemas/common.ts";
import { CreateReservationRequest, Reservation, ReservationListQuery, ReservationPage } from "../../shared/schemas/inventory.ts";
import { authorize, authorizeKey } from "../auth.ts";
import { forgetHotRoute, hotRoute, rememberHotRoute } from "../hot-routes.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { usageMeter } from "../usage-meter.ts";
import { allotmentShard, skuObject } from "../../durable/objects.ts";
import type { IdempotencyInput } from "../../durable/idempotency.ts";
import { shardOfReservation } from "../../shared/schemas/allotments.ts";
import { sha256Hex } from "../../shared/ids.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const reservers = ["admin", "channel"] as const;
// A flash sale shard's reservation id carries its shard and channel (shared/schemas/allotments.ts): longer than a SKU object's.
const ReservationParams = z.object({ sku: Sku, id: z.string().min(1).max(100) });

const reservations = routesOf("Reservations");

const create = reservations.post("/v1/inventory/{sku}/reservations", "createReservation", {
  summary: "Reserve units for a channel, at a location or against the channel's pool",
  description:
    "Granted only if the channel may have the units now (its pool less buffer, within its caps). Expires after ttlSeconds unless committed or released. " +
    "While the SKU is hot for the channel (PUT /v1/inventory/{sku}/hot), a pool reservation is served by one of its allotment shards; its id then starts with `hot_`.",
  request: { params: z.object({ sku: Sku }), headers: IdempotencyKeyHeader, body: body(CreateReservationRequest) },
  responses: { 201: json(Reservation, "The reservation") },
});

const list = reservations.get("/v1/inventory/{sku}/reservations", "listReservations", {
  summary: "The SKU's reservations of one status (active by default), in the order they were taken, by cursor",
  description:
    "A channel key sees its own channel's only: a page may then hold fewer than `limit` while nextCursor goes on. " +
    "Reservations a flash sale's shards hold are not listed here; GET /v1/inventory/{sku}/hot counts them per shard.",
  request: { params: z.object({ sku: Sku }), query: ReservationListQuery },
  responses: { 200: json(ReservationPage, "A page of reservations") },
});

const read = reservations.get("/v1/inventory/{sku}/reservations/{id}", "getReservation", {
  summary: "Read a reservation",
  request: { params: ReservationParams },
  responses: { 200: json(Reservation, "The reservation") },
});

const commit = reservations.post("/v1/inventory/{sku}/reservations/{id}/commit", "commitReservation", {
  summary: "Commit a reservation: its units leave onHand",
  request: { params: ReservationParams, headers: IdempotencyKeyHeader },
  responses: { 200: json(Reservation, "The committed reservation") },
});

const release = reservations.post("/v1/inventory/{sku}/reservations/{id}/release", "releaseReservation", {
  summary: "Release a reservation: its units become available again",
  request: { params: ReservationParams, headers: IdempotencyKeyHeader },
  responses: { 200: json(Reservation, "The released reservation") },
});

export const reservationRoutes = createRouter()
  .openapi(create, async (c) => {
    const { sku } = c.req.valid("param");
    const input = c.req.valid("json");
    const rule = { roles: reservers, channel: input.channel, location: input.location };
    // A flash sale's pool reservation skips the registry and the SKU object while the isolate knows the route (./hot-routes.ts).
    const known = input.location === undefined ? hotRoute(authorizeKey(c, rule).tenantId, sku, input.channel, Date.now()) : null;
    const access = known ? null : await authorize(c, rule);
    const tenantId = access?.principal.tenantId ?? c.get("principal")!.tenantId;
    const rules = known?.rules ?? access?.channel;
    if (!rules) throw new AppError("unknown_channel", `No channel ${input.channel}`);
    if (input.location !== undefined && !access?.location) throw new AppError("unknown_location", `No location ${input.location}`);
    const idempotency = await idempotencyOf(c, input, { required: true });
    const { location: _none, ...poolRequest } = input;
    /** The 201 of a reservation taken (counted for the throughput charts unless it is an Idempotency-Key replay). */
    const taken = <R extends { ok: true; reservation: Reservation } | { ok: false }>(result: { outcome: R; replayed: boolean }) => {
      const { reservation } = settle(c, result) as { reservation: Reservation };
      if (!result.replayed) usageMeter.countThroughput(c, tenantId, "reservations", 1);
      return c.json(reservation, 201);
    };
    /** One of the sale's shards reserves; null when the sale has cooled (not_hot): then the SKU object serves. */
    const viaShard = async (shards: number) => {
      const shard = allotmentShard(c.env, tenantId, sku, input.channel, await shardFor(idempotency!, shards));
      const result = await shard.reserve({ ...poolRequest, rules }, idempotency);
      if ("outcome" in result) return result;
      forgetHotRoute(tenantId, sku, input.channel);
      return null;
    };
    if (known) {
      const served = await viaShard(known.shards);
      if (served) return taken(served);
    }
    // The SKU object answers a pool reservation of a channel it is hot for with the shards (at most twice: a sale cooling meanwhile).
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await skuObject(c.env, tenantId, sku).reserveUnlessHot({ ...input, rules, traceId: traceIdOf(c.get("traceparent")) }, idempotency);
      if (!("hot" in result)) return taken(result);
      rememberHotRoute(tenantId, sku, rules, result.hot.shards, Date.now());
      const served = await viaShard(result.hot.shards);
      if (served) return taken(served);
    }
    throw new AppError("internal_error", `The flash sale of ${sku} on ${input.channel} was changing while this reservation was routed; retry it with the same Idempotency-Key`);
  })
  .openapi(list, async (c) => {
    const { sku } = c.req.valid("param");
    const { status, cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: [...reservers, "readonly"] });
    return c.json(await skuObject(c.env, principal.tenantId, sku).listReservations(status, Number(cursor ?? 0), limit, principal.channel), 200);
  })
  .openapi(read, async (c) => {
    const { sku, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: [...reservers, "readonly"] });
    const result = await holderOf(c.env, principal.tenantId, sku, id, principal.channel)?.getReservation(id, principal.channel);
    return c.json(unwrap(result ?? noReservation(sku, id)).reservation, 200);
  })
  .openapi(commit, async (c) => {
    const { sku, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: reservers });
    const idempotency = await idempotencyOf(c, {}, { required: true });
    const result = await holderOf(c.env, principal.tenantId, sku, id, principal.channel)?.commit(id, principal.channel, idempotency);
    return c.json(settle(c, result ?? { outcome: noReservation(sku, id), replayed: false }).reservation, 200);
  })
  .openapi(release, async (c) => {
    const { sku, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: reservers });
    const idempotency = await idempotencyOf(c, {}, { required: true });
    const result = await holderOf(c.env, principal.tenantId, sku, id, principal.channel)?.release(id, principal.channel, idempotency);
    return c.json(settle(c, result ?? { outcome: noReservation(sku, id), replayed: false }).reservation, 200);
  });

/**
 * The object that holds reservation `id`: the shard its id names, or the SKU
 * object. null: a shard reservation of another channel than a channel key's.
 */
function holderOf(env: Env, tenantId: string, sku: string, id: string, onlyChannel: string | null) {
  const shard = shardOfReservation(id);
  if (!shard) return skuObject(env, tenantId, sku);
  if (onlyChannel !== null && shard.channel !== onlyChannel) return null;
  return allotmentShard(env, tenantId, sku, shard.channel, shard.shard);
}

function noReservation(sku: string, id: string) {
  return fail("not_found", `No reservation ${id} for SKU ${sku}`);
}

/** The shard of a request: chosen by its Idempotency-Key, so that a retry reaches the shard that answered it first. */
async function shardFor(idempotency: IdempotencyInput, shards: number): Promise<number> {
  const digest = await sha256Hex(`${idempotency.scope ?? ""}\n${idempotency.key}`);
  return Number.parseInt(digest.slice(0, 8), 16) % shards;
}
