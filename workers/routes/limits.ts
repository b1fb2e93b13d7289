import { partnerKeyChecks } from "../middleware/partner-keys.ts";
import { IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import { RateLimits } from "../../shared/schemas/limits.ts";
import { authorize } from "../auth.ts";
import { idempotencyOf, settle } from "../idempotency.ts";
import { keyChecks } from "../middleware/authenticate.ts";
import { rateLimiter } from "../middleware/rate-limit.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const limits = routesOf("Rate limits");

const readLimits = limits.get("/v1/limits", "getRateLimits", {
  summary: "The tenant's rate limits: per key and for the whole tenant (tenant admin)",
  responses: { 200: json(RateLimits, "The limits in force (the defaults until an admin sets them)") },
});

const putLimits = limits.put("/v1/limits", "putRateLimits", {
  summary: "Set the tenant's rate limits (tenant admin)",
  description:
    "A request over a limit is answered 429 rate_limited with Retry-After and the RateLimit-Policy and RateLimit headers, and changes nothing. The new limits apply at once on the edge that took this request and within 30 seconds everywhere else (with the next key check).",
  request: { headers: IdempotencyKeyHeader, body: body(RateLimits) },
  responses: { 200: json(RateLimits, "The limits now in force") },
});

export const limitRoutes = createRouter()
  .openapi(readLimits, async (c) => {
    const { registry } = await authorize(c, { roles: ["admin"] });
    return c.json(await registry.getRateLimits(), 200);
  })
  .openapi(putLimits, async (c) => {
    const input = c.req.valid("json");
    const { registry, principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, input, { required: false });
    const saved = settle(c, await registry.putRateLimits(input, idempotency)).limits;
    keyChecks.forgetTenant(principal.tenantId);
    rateLimiter.forgetTenant(principal.tenantId);
    partnerKeyChecks.forgetTenant(principal.tenantId);
    return c.json(saved, 200);
  });
