import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { childTraceparent, traceIdOf } from "../../shared/tracing.ts";
import { logLine } from "../log.ts";

/**
 * Gives each request its span, in the trace of the `traceparent` it sent or
 * in a new trace when it sent none (or an invalid one), answers it in the
 * `traceresponse` header (W3C Trace Context Level 2), and logs the request as
 * one JSON line carrying its request and trace ids. Later log lines of the
 * request read the trace id with `requestTraceId`.
 */
export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const traceparent = childTraceparent(c.req.header("traceparent"));
  c.set("traceparent", traceparent);
  await next();
  try {
    c.res.headers.set("traceresponse", traceparent);
  } catch {
    // A response passed through from elsewhere has immutable headers: answer a copy.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("traceresponse", traceparent);
  }
  logLine({
    requestId: c.get("requestId"),
    traceId: traceIdOf(traceparent),
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    tenant: c.get("principal")?.tenantId,
  });
});
