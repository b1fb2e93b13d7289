import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { traceIdOf } from "../../shared/tracing.ts";
import { logLine } from "../log.ts";

/** Logs each request as one JSON line carrying the request id, and the trace id of a request that sent a traceparent. */
export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  logLine({
    requestId: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    status: c.res.status,
    ms: Date.now() - started,
    tenant: c.get("principal")?.tenantId,
    traceId: traceIdOf(c.req.header("traceparent")) ?? undefined,
  });
});
