import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Principal } from "../../durable/tenant-registry.ts";
import { tenantRegistry } from "../../durable/objects.ts";
import { systemClock, type Clock } from "../../shared/clock.ts";
import { AppError } from "../../shared/errors.ts";
import { addressRateLimit, type RateLimits } from "../../shared/schemas/limits.ts";
import { TokenBucket, type BucketLimit } from "../../shared/token-bucket.ts";
import type { AppEnv } from "../env.ts";

const maxBuckets = 10_000;

/** A policy as the RateLimit-Policy header names it (draft-ietf-httpapi-ratelimit-headers). */
type PolicyName = "key" | "tenant" | "address";

/** The tenant-wide budget this isolate holds, taken from the tenant's registry a slice at a time. */
interface TenantLease {
  tokens: number;
  /** Lease calls of this isolate in flight. */
  calls: number;
}

/**
 * The edge's rate limits (docs/decisions/0019-rate-limits.md): a token
 * bucket per key and one per source address in this isolate's memory, and
 * the tenant-wide budget leased from the tenant's registry in slices of a
 * fiftieth of its burst, so that most requests cost no object call.
 */
class RateLimiter {
  /** Tests replace it to move time on instead of waiting. */
  clock: Clock = systemClock;
  private readonly keys = new Map<string, TokenBucket>();
  private readonly addresses = new Map<string, TokenBucket>();
  private readonly leases = new Map<string, TenantLease>();

  /** Admits a request of an authenticated key, or throws 429 rate_limited naming the policy that refused. */
  async admitKey(c: Context<AppEnv>, principal: Principal, limits: RateLimits): Promise<void> {
    const now = this.clock.now();
    const key = bucketOf(this.keys, principal.keyId, limits.perKey, now);
    const keyPolicy = policyHeader("key", limits.perKey);
    c.header("RateLimit-Policy", `${keyPolicy}, ${policyHeader("tenant", limits.perTenant)}`);
    if (key.take(1, now) === 0) refuse(c, "key", key.retryAfterMs(now), `Key ${principal.keyId} is over its limit of ${limits.perKey.requestsPerSecond} requests a second (burst ${limits.perKey.burst})`);
    c.header("RateLimit", `"key";r=${key.remaining(now)};t=${seconds(key.fullAfterMs(now))}`);
    const waitMs = await this.takeTenantRequest(c.env, principal.tenantId, limits);
    if (waitMs > 0) refuse(c, "tenant", waitMs, `Tenant ${principal.tenantId} is over its limit of ${limits.perTenant.requestsPerSecond} requests a second (burst ${limits.perTenant.burst})`);
  }

  /** Charges a request without a usable key to its source address; throws 429 once the address has spent its burst. */
  chargeAddress(c: Context<AppEnv>): void {
    const now = this.clock.now();
    const bucket = bucketOf(this.addresses, sourceAddress(c), addressRateLimit, now);
    c.header("RateLimit-Policy", policyHeader("address", addressRateLimit));
    if (bucket.take(1, now) === 0) refuse(c, "address", bucket.retryAfterMs(now), "Too many requests without a usable key from this address");
    c.header("RateLimit", `"address";r=${bucket.remaining(now)};t=${seconds(bucket.fullAfterMs(now))}`);
  }

  /** Refuses at once an address that has spent its burst, before any key check costs an object call. */
  refuseSpentAddress(c: Context<AppEnv>): void {
    const now = this.clock.now();
    const bucket = this.addresses.get(sourceAddress(c));
    if (bucket && bucket.remaining(now) === 0) {
      c.header("RateLimit-Policy", policyHeader("address", addressRateLimit));
      refuse(c, "address", bucket.retryAfterMs(now), "Too many requests without a usable key from this address");
    }
  }

  /** Drops what this isolate holds for a tenant whose limits changed here; other isolates learn them with their next key check (30 s at most). */
  forgetTenant(tenantId: string): void {
    this.leases.delete(tenantId);
  }

  /** Takes one request of the tenant-wide budget: 0 when admitted, else how long until the registry has one. */
  private async takeTenantRequest(env: Env, tenantId: string, limits: RateLimits): Promise<number> {
    let lease = this.leases.get(tenantId);
    if (!lease) {
      if (this.leases.size >= maxBuckets) this.leases.delete(this.leases.keys().next().value!);
      lease = { tokens: 0, calls: 0 };
      this.leases.set(tenantId, lease);
    }
    const slice = Math.max(1, Math.floor(limits.perTenant.burst / 50));
    for (let attempt = 0; attempt < 3; attempt++) {
      if (lease.tokens > 0) {
        lease.tokens -= 1;
        return 0;
      }
      // Each request asks for itself: a promise of one request awaited by another breaks the runtime's rule that a
      // request's I/O belongs to it, and workerd then fails the waiting request's answer with a 500 of its own
      // (docs/decisions/0044). The first asks for a slice; those that come while a call is in flight ask for one
      // request each, so the isolate never holds more than a slice it has not used.
      const size = lease.calls > 0 ? 1 : slice;
      lease.calls += 1;
      const answer = await tenantRegistry(env, tenantId)
        .leaseRequests(size)
        .finally(() => {
          lease.calls -= 1;
        });
      lease.tokens += answer.granted;
      if (answer.granted === 0) return answer.retryAfterMs;
    }
    return 1_000;
  }
}

/** The isolate's rate limiter (module state lives as long as the isolate). */
export const rateLimiter = new RateLimiter();

function bucketOf(buckets: Map<string, TokenBucket>, id: string, limit: BucketLimit, now: number): TokenBucket {
  let bucket = buckets.get(id);
  if (!bucket || bucket.limit.requestsPerSecond !== limit.requestsPerSecond || bucket.limit.burst !== limit.burst) {
    if (!bucket && buckets.size >= maxBuckets) buckets.delete(buckets.keys().next().value!);
    bucket = new TokenBucket(limit, now);
    buckets.set(id, bucket);
  }
  return bucket;
}

/** Cloudflare sets CF-Connecting-IP (a client cannot); a local edge without it counts every caller as one address. */
export function sourceAddress(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? "local";
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/** A token bucket as a quota policy: `burst` requests (q) in the time an empty bucket takes to fill (w, seconds). */
function policyHeader(name: PolicyName, limit: BucketLimit): string {
  return `"${name}";q=${limit.burst};w=${Math.max(1, Math.ceil(limit.burst / limit.requestsPerSecond))}`;
}

function refuse(c: Context<AppEnv>, policy: PolicyName, retryAfterMs: number, detail: string): never {
  const retryAfter = Math.max(1, seconds(retryAfterMs));
  c.header("Retry-After", String(retryAfter));
  c.header("RateLimit", `"${policy}";r=0;t=${retryAfter}`);
  throw new AppError("rate_limited", detail, { policy, retryAfterSeconds: retryAfter });
}

/** Rate limits a route without an API key (a signed webhook) by its source address. */
export const limitAddress = createMiddleware<AppEnv>(async (c, next) => {
  rateLimiter.chargeAddress(c);
  await next();
});
