import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { tenantRegistry } from "../durable/objects.ts";
import { ManualClock, systemClock } from "../shared/clock.ts";
import { addressRateLimit, defaultRateLimits } from "../shared/schemas/limits.ts";
import { rateLimiter } from "../workers/middleware/rate-limit.ts";
import { call, createKey, createTenant, platformKey, reserve, tenantWithStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

afterEach(() => {
  rateLimiter.clock = systemClock;
});

/** The edge's buckets and the tenant's registry (the tenant-wide bucket) on one clock that moves only when told. */
async function manualTime(...tenants: TestTenant[]): Promise<ManualClock> {
  const clock = new ManualClock(Date.now());
  rateLimiter.clock = clock;
  for (const tenant of tenants) await useClock(tenantRegistry(env, tenant.id), clock);
  return clock;
}

async function setLimits(tenant: TestTenant, limits: Record<string, unknown>) {
  const response = await call("PUT", "/v1/limits", { key: tenant.adminKey, body: { ...defaultRateLimits, ...limits } });
  expect(response.status).toBe(200);
  return response.body;
}

function expectRateLimited(response: ApiResponse, policy: "key" | "tenant" | "address"): void {
  expectProblem(response, 429, "rate_limited");
  expect(response.body.policy).toBe(policy);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.headers.get("ratelimit")).toBe(`"${policy}";r=0;t=${retryAfter}`);
  expect(response.headers.get("ratelimit-policy")).toContain(`"${policy}";q=`);
}

describe("the per-key limit", () => {
  it("answers 429 once a key spends its burst, changes nothing, leaves the tenant's other keys and other tenants alone, and refills with time", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 100 });
    const other = await tenantWithStock({ "wh-1": 100 });
    const busy = await createKey(tenant, { role: "channel", channel: "web" });
    const calm = await createKey(tenant, { role: "channel", channel: "web" });
    const clock = await manualTime(tenant);
    await setLimits(tenant, { perKey: { requestsPerSecond: 1, burst: 3 } });

    for (let i = 0; i < 3; i++) {
      const granted = await reserve({ ...tenant, adminKey: busy }, sku, { qty: 1 });
      expect(granted.status).toBe(201);
      expect(granted.headers.get("ratelimit-policy")).toBe(`"key";q=3;w=3, "tenant";q=${defaultRateLimits.perTenant.burst};w=2`);
      expect(granted.headers.get("ratelimit")).toMatch(new RegExp(`^"key";r=${2 - i};t=\\d+$`));
    }
    const refused = await reserve({ ...tenant, adminKey: busy }, sku, { qty: 1 });
    expectRateLimited(refused, "key");
    expect(refused.headers.get("retry-after")).toBe("1");

    expect((await reserve({ ...tenant, adminKey: calm }, sku, { qty: 1 })).status).toBe(201);
    expect((await reserve(other.tenant, other.skus[0], { qty: 1 })).status).toBe(201);
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals).toMatchObject({ reserved: 4 });

    clock.advance(1_000);
    expect((await reserve({ ...tenant, adminKey: busy }, sku, { qty: 1 })).status).toBe(201);
    expectRateLimited(await reserve({ ...tenant, adminKey: busy }, sku, { qty: 1 }), "key");
  });
});

describe("the tenant-wide limit", () => {
  it("counts every key of the tenant together and refuses the one over it, while another tenant goes on", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 100 });
    const other = await tenantWithStock({ "wh-1": 100 });
    const keys = [await createKey(tenant, { role: "channel", channel: "web" }), await createKey(tenant, { role: "channel", channel: "web" })];
    const clock = await manualTime(tenant);
    await setLimits(tenant, { perTenant: { requestsPerSecond: 1, burst: 4 } });

    for (let i = 0; i < 4; i++) expect((await reserve({ ...tenant, adminKey: keys[i % 2]! }, sku, { qty: 1 })).status).toBe(201);
    expectRateLimited(await reserve({ ...tenant, adminKey: keys[0]! }, sku, { qty: 1 }), "tenant");
    expectRateLimited(await reserve({ ...tenant, adminKey: keys[1]! }, sku, { qty: 1 }), "tenant");
    expectRateLimited(await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey }), "tenant");
    expect((await reserve(other.tenant, other.skus[0], { qty: 1 })).status).toBe(201);

    clock.advance(1_000);
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.status).toBe(200);
    expect(inventory.body.totals).toMatchObject({ reserved: 4 });
  });
  it("answers every request of a burst that finds the isolate's lease empty: each from the app, none failed by the runtime", async () => {
    // A lease of one request a call (burst / 50), so that nearly every request of the burst finds it empty while
    // another request's lease call is in flight. Sharing that call's promise across requests made workerd fail
    // some answers with a 500 of its own ("Cannot perform I/O on behalf of a different request").
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 100 });
    await setLimits(tenant, { perKey: { requestsPerSecond: 10_000, burst: 10_000 }, perTenant: { requestsPerSecond: 10_000, burst: 50 } });

    const answers = await Promise.all(Array.from({ length: 40 }, () => call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey })));
    // Within the tenant's burst of 50 every one is admitted, and each answer is the app's own: the inventory, not the runtime's 500.
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers.map((answer) => answer.body.totals)).toEqual(answers.map(() => expect.objectContaining({ onHand: 100 })));
  });
});

describe("configuring the limits", () => {
  it("shows the defaults until a tenant admin sets its own; only an admin may, and only within bounds", async () => {
    const tenant = await createTenant();
    const readonly = await createKey(tenant, { role: "readonly" });
    expect((await call("GET", "/v1/limits", { key: tenant.adminKey })).body).toEqual(defaultRateLimits);

    const limits = { perKey: { requestsPerSecond: 20, burst: 40 }, perTenant: { requestsPerSecond: 100, burst: 200 } };
    expectProblem(await call("PUT", "/v1/limits", { key: readonly, body: limits }), 403, "forbidden");
    expectProblem(await call("PUT", "/v1/limits", { key: tenant.adminKey, body: { ...limits, perKey: { requestsPerSecond: 0, burst: 1 } } }), 400, "validation_failed");
    expectProblem(await call("PUT", "/v1/limits", { key: platformKey, body: limits }), 401, "unauthorized");
    expect((await call("GET", "/v1/limits", { key: tenant.adminKey })).body).toEqual(defaultRateLimits);

    expect((await call("PUT", "/v1/limits", { key: tenant.adminKey, body: limits })).body).toEqual(limits);
    expect((await call("GET", "/v1/limits", { key: tenant.adminKey })).body).toEqual(limits);
    expect((await call("GET", "/v1/tenant", { key: readonly })).headers.get("ratelimit-policy")).toBe('"key";q=40;w=2, "tenant";q=200;w=2');
  });
});

describe("the per-address limit without a usable key", () => {
  function fromAddress(address: string, method: string, path: string, key: string, body?: unknown) {
    return SELF.fetch(`https://edge.test${path}`, {
      method,
      headers: { "cf-connecting-ip": address, authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": unique("idem") },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, headers: response.headers, body: await response.json<Record<string, any>>() }));
  }

  it("refuses an address that spent its burst on bad keys, webhooks included, creates nothing, and leaves other addresses and cached good keys alone", async () => {
    const tenant = await createTenant();
    const attacker = `203.0.113.${Math.floor(Math.random() * 250)}`;
    await manualTime();
    expect((await fromAddress(attacker, "GET", "/v1/tenant", tenant.adminKey)).status).toBe(200);

    for (let i = 0; i < addressRateLimit.burst; i++) expect((await fromAddress(attacker, "GET", "/v1/tenant", `wrong-${i}`)).status).toBe(401);
    const ghost = unique("ghost");
    expectRateLimited(await fromAddress(attacker, "POST", "/v1/tenants", "not-the-platform-key", { id: ghost, name: "Ghost" }), "address");
    expectRateLimited(await fromAddress(attacker, "GET", "/v1/tenant", `ssk_${tenant.id}_${"x".repeat(40)}`), "address");
    const webhook = await SELF.fetch(`https://edge.test/v1/webhooks/shopify/${tenant.id}`, { method: "POST", headers: { "cf-connecting-ip": attacker, "content-type": "application/json" }, body: "{}" });
    expect(webhook.status).toBe(429);
    expect(webhook.headers.get("retry-after")).toBe("1");

    expect((await fromAddress(attacker, "GET", "/v1/tenant", tenant.adminKey)).status).toBe(200);
    expect((await fromAddress("198.51.100.1", "GET", "/v1/tenant", "wrong")).status).toBe(401);
    const tenants = await call("GET", "/v1/tenants", { key: platformKey, headers: { "cf-connecting-ip": "198.51.100.2" } });
    expect(tenants.body.tenants.map((t: { id: string }) => t.id)).not.toContain(ghost);
  });
});
