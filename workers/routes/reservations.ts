import { z } from "@hono/zod-openapi";
import { AppError } from "../../shared/errors.ts";
import { IdempotencyKeyHeader, Sku } from "../../shared/schemas/common.ts";
import { CreateReservationRequest, Reservation } from "../../shared/schemas/inventory.ts";
import { authorize } from "../auth.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { skuObject } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const reservers = ["admin", "channel"] as const;
const ReservationParams = z.object({ sku: Sku, id: z.string().min(1).max(64) });

const reservations = routesOf("Reservations");

const create = reservations.post("/v1/inventory/{sku}/reservations", "createReservation", {
  summary: "Reserve units for a channel, at a location or against the channel's pool",
  description: "Granted only if the channel may have the units now (its pool less buffer, within its caps). Expires after ttlSeconds unless committed or released.",
  request: { params: z.object({ sku: Sku }), headers: IdempotencyKeyHeader, body: body(CreateReservationRequest) },
  responses: { 201: json(Reservation, "The reservation") },
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
    const access = await authorize(c, { roles: reservers, channel: input.channel, location: input.location });
    if (!access.channel) throw new AppError("unknown_channel", `No channel ${input.channel}`);
    if (input.location !== undefined && !access.location) throw new AppError("unknown_location", `No location ${input.location}`);
    const idempotency = await idempotencyOf(c, input, { required: true });
    const { tenantId } = access.principal;
    const result = await skuObject(c.env, tenantId, sku).reserve({ ...input, rules: access.channel }, idempotency);
    return c.json(settle(c, result).reservation, 201);
  })
  .openapi(read, async (c) => {
    const { sku, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: [...reservers, "readonly"] });
    const result = await skuObject(c.env, principal.tenantId, sku).getReservation(id, principal.channel);
    return c.json(unwrap(result).reservation, 200);
  })
  .openapi(commit, async (c) => {
    const { sku, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: reservers });
    const idempotency = await idempotencyOf(c, {}, { required: true });
    const result = await skuObject(c.env, principal.tenantId, sku).commit(id, principal.channel, idempotency);
    return c.json(settle(c, result).reservation, 200);
  })
  .openapi(release, async (c) => {
    const { sku, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: reservers });
    const idempotency = await idempotencyOf(c, {}, { required: true });
    const result = await skuObject(c.env, principal.tenantId, sku).release(id, principal.channel, idempotency);
    return c.json(settle(c, result).reservation, 200);
  });
