import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../shared/errors.ts";
import { IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import { CancelOrderRequest, CreateOrderRequest, FulfillmentRequest, Order, OrderPage, OrderSettings, OrdersQuery } from "../../shared/schemas/orders.ts";
import { authorize } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { orderIndex } from "../../durable/objects.ts";
import { cancelOrder, fulfillOrder, getOrder, listOrders, submitOrder, type OrderAnswer } from "../orders/service.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

/** Channel keys act on their own channel's orders only; another channel's order is not_found to them. */
const writers = ["admin", "channel"] as const;
const readers = [...writers, "readonly"] as const;
const OrderParams = z.object({ id: z.string().min(1).max(64).openapi({ example: "ord_3f1c0d9a8b7e6f5a4c3b2a1d0e" }) });

const orders = routesOf("Orders");

const create = orders.post("/v1/orders", "createOrder", {
  summary: "Take a channel order: route it, reserve every line, or backorder it",
  description:
    "Routing: a pickup reserves at its location (in the channel's pool); a shipped order goes to the first pool location (priority order) that can supply every line, else each line to the first location that has it all, split only when none has. If a line cannot be had, every reservation taken is released and the order is `backordered` (or `in_exception`, per the tenant's order settings). The natural key (channel, externalId) makes a re-sent order a duplicate: it answers the order as it now is, with `Idempotent-Replayed: true`, whatever its Idempotency-Key. A W3C `traceparent` header is continued as the order's trace (a missing or malformed one starts a new trace): the order's `traceId`, and its events' `traceparent`.",
  request: { headers: IdempotencyKeyHeader, body: body(CreateOrderRequest) },
  responses: { 201: json(Order, "The order, reserved, backordered or in exception") },
});

const list = orders.get("/v1/orders", "listOrders", {
  summary: "The tenant's orders, oldest first, by status and channel",
  description: "A channel key sees its channel's orders only. The list follows each order within moments of its change.",
  request: { query: OrdersQuery },
  responses: { 200: json(OrderPage, "A page of orders") },
});

const read = orders.get("/v1/orders/{id}", "getOrder", {
  summary: "An order with its allocations, fulfilled and cancelled units, and every transition",
  request: { params: OrderParams },
  responses: { 200: json(Order, "The order") },
});

const fulfill = orders.post("/v1/orders/{id}/fulfillments", "fulfillOrder", {
  summary: "Record units shipped or collected at a location: their reservations are committed",
  description:
    "Only units the order holds at that location: otherwise 409 `not_reserved` and nothing changes. A fulfilment of part of a reservation commits those units and leaves the rest reserved.",
  request: { params: OrderParams, headers: IdempotencyKeyHeader, body: body(FulfillmentRequest) },
  responses: { 200: json(Order, "The order after the fulfilment") },
});

const cancel = orders.post("/v1/orders/{id}/cancel", "cancelOrder", {
  summary: "Cancel some or all unfulfilled units: their reservations are released",
  request: { params: OrderParams, headers: IdempotencyKeyHeader, body: body(CancelOrderRequest) },
  responses: { 200: json(Order, "The order after the cancellation") },
});

const readSettings = orders.get("/v1/settings/orders", "getOrderSettings", {
  summary: "The tenant's order settings",
  responses: { 200: json(OrderSettings, "The settings") },
});

const putSettings = orders.put("/v1/settings/orders", "setOrderSettings", {
  summary: "Set the tenant's order settings: what a shortage makes of an order (backorder or exception)",
  request: { body: body(OrderSettings) },
  responses: { 200: json(OrderSettings, "The settings") },
});

/** The order of an answer, with `Idempotent-Replayed: true` when the write had already happened. */
function answered(c: Context<AppEnv>, answer: OrderAnswer): Order {
  if (answer.ok && answer.replayed) c.header("Idempotent-Replayed", "true");
  return unwrap(answer).order;
}

export const orderRoutes = createRouter()
  .openapi(create, async (c) => {
    const input = c.req.valid("json");
    const location = input.delivery.type === "pickup" ? input.delivery.location : undefined;
    const access = await authorize(c, { roles: writers, channel: input.channel, location });
    if (!access.channel) throw new AppError("unknown_channel", `No channel ${input.channel}`);
    if (location !== undefined && !access.location) throw new AppError("unknown_location", `No location ${location}`);
    const idempotency = await idempotencyOf(c, input, { required: true });
    return c.json(answered(c, await submitOrder(c.env, access.principal.tenantId, input, idempotency, c.get("traceparent"))), 201);
  })
  .openapi(list, async (c) => {
    const query = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers, channel: query.channel });
    return c.json(await listOrders(c.env, principal.tenantId, { ...query, channel: principal.channel ?? query.channel }), 200);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(unwrap(await getOrder(c.env, principal.tenantId, id, principal.channel)).order, 200);
  })
  .openapi(fulfill, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: writers });
    const idempotency = await idempotencyOf(c, input, { required: true });
    return c.json(answered(c, await fulfillOrder(c.env, principal.tenantId, id, input, idempotency, principal.channel)), 200);
  })
  .openapi(cancel, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: writers });
    const idempotency = await idempotencyOf(c, input, { required: true });
    return c.json(answered(c, await cancelOrder(c.env, principal.tenantId, id, input, idempotency, principal.channel)), 200);
  })
  .openapi(readSettings, async (c) => {
    const { principal } = await authorize(c, { roles: ["admin", "readonly"] });
    return c.json(await orderIndex(c.env, principal.tenantId).getSettings(), 200);
  })
  .openapi(putSettings, async (c) => {
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json(settle(c, await orderIndex(c.env, principal.tenantId).putSettings(input)).settings, 200);
  });
