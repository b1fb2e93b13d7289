import { z } from "@hono/zod-openapi";

const Bucket = z
  .object({
    requestsPerSecond: z.number().int().min(1).max(100_000).openapi({ description: "Sustained requests a second.", example: 50 }),
    burst: z.number().int().min(1).max(200_000).openapi({ description: "Requests that may arrive at once after a quiet spell (the bucket's size).", example: 100 }),
  })
  .strict();

export const RateLimits = z
  .object({
    perKey: Bucket.openapi({ description: "Each API key of the tenant, counted in each edge isolate (docs/decisions/0019)." }),
    perTenant: Bucket.openapi({ description: "All the tenant's keys together, across the whole edge." }),
  })
  .strict()
  .openapi("RateLimits");
export type RateLimits = z.infer<typeof RateLimits>;

/**
 * What a tenant gets until its admin sets its own: far above what one key
 * reached in the benchmarks (about 1,700 reservations a second, docs/benchmarks.md),
 * so they stop a runaway client, not a busy one.
 */
export const defaultRateLimits: RateLimits = {
  perKey: { requestsPerSecond: 10_000, burst: 20_000 },
  perTenant: { requestsPerSecond: 20_000, burst: 40_000 },
};

/**
 * Requests without a usable key, per source address: webhooks (which carry a
 * signature, not a key) and every refused key check. Not configurable per
 * tenant: nobody is authenticated yet.
 */
export const addressRateLimit = { requestsPerSecond: 50, burst: 500 } as const;
