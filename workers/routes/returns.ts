import { z } from "@hono/zod-openapi";
import { AppError } from "../../shared/errors.ts";
import { IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import { CreateReturnRequest, ReceiveReturnRequest, Return } from "../../shared/schemas/orders.ts";
import { authorize } from "../auth.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { tenantReturns } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";
import { openReturn, receiveReturn, storeMaySeeReturnsOf } from "../returns/service.ts";

const ReturnParams = z.object({ id: z.string().min(1).max(64).openapi({ example: "ret_0w3x9q2k4m6n8p1r3t5v" }) });

const returns = routesOf("Returns");

const open = returns.post("/v1/returns", "openReturn", {
  summary: "Open a return (RMA) against an order's fulfilled lines",
  description:
    "Each SKU may ask for no more than was fulfilled and not already returned, across all the order's returns; otherwise 409 return_exceeds_fulfilled and nothing changes. Idempotency-Key required. A store key opens returns only of orders fulfilled from its own location, for at most the units fulfilled there; any other order is 404 not_found.",
  request: { headers: IdempotencyKeyHeader, body: body(CreateReturnRequest) },
  responses: { 201: json(Return, "The return, open") },
});

const receive = returns.post("/v1/returns/{id}/receive", "receiveReturn", {
  summary: "Record units of a return arriving at a location, with a disposition per line",
  description: [
    "restock: the units come back to the location's onHand through the SKU (ledger: adjustment, reason return_restock, reference return:<id>:receipt:<n>:line:<i>).",
    "damaged: written off, a write_off ledger entry and no stock change. vendor_return: recorded on the return, no stock change.",
    "Every unit received earns its refund (see Return.refund). More units than the return still expects: 409 return_exceeds_open, nothing changed. Idempotency-Key required; a retry never restocks twice.",
  ].join(" "),
  request: { params: ReturnParams, headers: IdempotencyKeyHeader, body: body(ReceiveReturnRequest) },
  responses: { 201: json(Return, "The return after the receipt") },
});

const read = returns.get("/v1/returns/{id}", "getReturn", {
  summary: "A return: its lines, what was received, its refund, state and events",
  request: { params: ReturnParams },
  responses: { 200: json(Return, "The return") },
});

const list = returns.get("/v1/returns", "listReturns", {
  summary: "The returns of one order, oldest first",
  request: { query: z.object({ orderId: z.string().min(1).max(64) }) },
  responses: { 200: json(z.object({ returns: z.array(Return) }), "The order's returns") },
});

export const returnRoutes = createRouter()
  .openapi(open, async (c) => {
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin", "erp", "store"] });
    const idempotency = await idempotencyOf(c, input, { required: true });
    const fulfilledAt = principal.role === "store" ? (principal.location ?? undefined) : undefined;
    const opened = settle(c, await openReturn(c.env, principal.tenantId, input, { idempotency, fulfilledAt }));
    return c.json(opened.return, 201);
  })
  .openapi(receive, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: ["admin", "erp", "store"], location: input.location });
    if (!access.location) throw new AppError("unknown_location", `No location ${input.location}`);
    const idempotency = await idempotencyOf(c, input, { required: true });
    const received = settle(c, await receiveReturn(c.env, access.principal.tenantId, id, input, idempotency));
    return c.json(received.return, 201);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: ["admin", "erp", "store", "readonly"] });
    const found = unwrap(await tenantReturns(c.env, principal.tenantId).getReturn(id)).return;
    // A store's key sees the returns of orders its store fulfilled; any other is as good as unknown.
    if (principal.role === "store" && !(await storeMaySeeReturnsOf(c.env, principal.tenantId, found.orderId, principal.location!))) throw new AppError("not_found", `No return ${id}`);
    return c.json(found, 200);
  })
  .openapi(list, async (c) => {
    const { orderId } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: ["admin", "erp", "store", "readonly"] });
    if (principal.role === "store" && !(await storeMaySeeReturnsOf(c.env, principal.tenantId, orderId, principal.location!))) return c.json({ returns: [] }, 200);
    return c.json({ returns: await tenantReturns(c.env, principal.tenantId).listForOrder(orderId) }, 200);
  });
