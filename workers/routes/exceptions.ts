import { traceIdOf } from "../../shared/tracing.ts";
import { IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import {
  ExceptionPage,
  ExceptionParams,
  ExceptionRecord,
  ExceptionsQuery,
  ReplayAnswer,
  ReplayExceptionRequest,
  ResolveExceptionRequest,
} from "../../shared/schemas/exceptions.ts";
import { authorize } from "../auth.ts";
import { forRole, pageForRole } from "../exceptions/personal-data.ts";
import { replayException } from "../exceptions/replay.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { exceptionQueue } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const readers = ["admin", "readonly"] as const;

const exceptions = routesOf("Exceptions");

const list = exceptions.get("/v1/exceptions", "listExceptions", {
  summary: "What a person should look at, oldest first: reservations a store sale left short, unknown SKUs, …",
  description: "Filter by `type` and `state`; page with `cursor` (the previous page's `nextCursor`).",
  request: { query: ExceptionsQuery },
  responses: { 200: json(ExceptionPage, "A page of exceptions") },
});

const read = exceptions.get("/v1/exceptions/{id}", "getException", {
  summary: "One exception, with every change of its state",
  request: { params: ExceptionParams },
  responses: { 200: json(ExceptionRecord, "The exception") },
});

const replay = exceptions.post("/v1/exceptions/{id}/replay", "replayException", {
  summary: "Run the failed step again (tenant admin)",
  description: [
    "backorder: a new reservation attempt for the order; webhook_unmapped: the stored Shopify payload, as it arrived, on the current mapping; reservations_short: re-checks whether the store's stock covers the reservations again (moving them elsewhere is a person's call); unknown_sku: re-checks the catalog and applies the held lines of codes it now knows; tender_short: nothing runs again (reconcile the till, then resolve); loyalty_short: nothing runs again (adjust the customer's points, then resolve); event_delivery_failed: hands the event (same id) to the queue again, and the exception is resolved once it is delivered.",
    "The exception is `retrying` while the step runs, then `resolved`, or `open` again with `lastFailure` saying why. A replay of a resolved or ignored exception runs nothing and answers `already_closed`, whatever its Idempotency-Key: two replays have one effect. A replay while another runs is 409 `conflict`.",
  ].join(" "),
  request: { params: ExceptionParams, headers: IdempotencyKeyHeader, body: { content: { "application/json": { schema: ReplayExceptionRequest } }, required: false } },
  responses: { 200: json(ReplayAnswer, "What the replay did, and the exception after it") },
});

const resolve = exceptions.post("/v1/exceptions/{id}/resolve", "resolveException", {
  summary: "Close an exception with a note, as resolved or ignored (tenant admin)",
  description: "Nothing runs: the note records what a person did about it. An exception already resolved or ignored is 409 `conflict`.",
  request: { params: ExceptionParams, headers: IdempotencyKeyHeader, body: body(ResolveExceptionRequest) },
  responses: { 200: json(ExceptionRecord, "The closed exception") },
});

export const exceptionRoutes = createRouter()
  .openapi(list, async (c) => {
    const { type, state, cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(pageForRole(await exceptionQueue(c.env, principal.tenantId).list({ type, state }, Number(cursor ?? 0), limit), principal.role), 200);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(forRole(unwrap(await exceptionQueue(c.env, principal.tenantId).get(id)).exception, principal.role), 200);
  })
  .openapi(replay, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, input, { required: true });
    const { result, replayed } = await replayException(c.env, { tenantId: principal.tenantId, exceptionId: id, by: `key:${principal.keyId}`, note: input.note ?? null, idempotency, traceId: traceIdOf(c.get("traceparent")) ?? undefined });
    return c.json(settle(c, { outcome: result, replayed }).answer, 200);
  })
  .openapi(resolve, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, input, { required: true });
    const result = await exceptionQueue(c.env, principal.tenantId).resolve(id, input, `key:${principal.keyId}`, idempotency);
    return c.json(settle(c, result).exception, 200);
  });
