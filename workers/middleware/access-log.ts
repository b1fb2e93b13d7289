import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { logLine } from "../log.ts";

/** Logs each request as one JSON line carrying the request id. */
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
  });
});
