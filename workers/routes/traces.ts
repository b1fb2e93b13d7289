import { z } from "@hono/zod-openapi";
import { traceLog } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { Trace, TraceId } from "../../shared/schemas/traces.ts";
import { authorize } from "../auth.ts";
import { createRouter, json, routesOf } from "../openapi.ts";

const traces = routesOf("Traces");

const readTrace = traces.get("/v1/traces/{traceId}", "getTrace", {
  summary: "The hops recorded of one trace, oldest first: a POS transaction from the till to its stock movement",
  description:
    "A terminal may send a W3C traceparent with a sale to its agent (the agent starts a trace otherwise; the receipt names the trace id). Hops are kept 7 days. 404 when none was recorded. docs/decisions/0037-tracing.md.",
  request: { params: z.object({ traceId: TraceId }) },
  responses: { 200: json(Trace, "The trace") },
});

export const traceRoutes = createRouter().openapi(readTrace, async (c) => {
  const { traceId } = c.req.valid("param");
  const { principal } = await authorize(c, { roles: ["admin", "readonly"] });
  const trace = await traceLog(c.env, principal.tenantId, traceId).read(traceId);
  if (trace.hops.length === 0) throw new AppError("not_found", `No hops recorded of trace ${traceId}`);
  return c.json(trace, 200);
});
