import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { storeHealthBoard } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { tenantHeader } from "../shared/schemas/partners.ts";
import { call, createKey, createTenant, platformKey, setStock, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";
import { createPartner, partnerTenant, type TestPartner } from "./partner-fixtures.ts";

function overview(partner: TestPartner, query = "", key = partner.key) {
  return call("GET", `/v1/partners/${partner.id}/tenants/health${query}`, { key });
}

/**
 * A tenant of `partner` with two stores (store-a reported, then fell silent
 * past the offline bound; store-b never reported), a backordered order (one
 * open exception), a disabled Shopify connection and a disabled file ERP
 * connection.
 */
async function troubledTenant(partner: TestPartner): Promise<TestTenant> {
  const tenant = await partnerTenant(partner);
  const key = tenant.adminKey;
  for (const [id, type] of [["store-a", "store"], ["store-b", "store"], ["wh-1", "warehouse"]] as const) {
    expect((await call("PUT", `/v1/locations/${id}`, { key, body: { type } })).status).toBe(200);
  }
  expect((await call("PUT", "/v1/channels/web", { key, body: { locations: ["wh-1"] } })).status).toBe(200);
  await setStock(tenant, "SKU-1", "wh-1", 1);
  expect((await submitOrder(key, orderBody([["SKU-1", 3]]))).body.status).toBe("backordered");

  const board = storeHealthBoard(env, tenant.id);
  const clock = new ManualClock(Date.now());
  await useClock(board, clock);
  const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
  const oldestPendingAt = new Date(clock.now() - 120_000).toISOString();
  const report = { agentVersion: "0.1.0", backlog: 4, oldestPendingAt, lastPushAt: null, lastPullAt: null, deadLetters: 1 };
  expect((await call("POST", "/v1/stores/store-a/health", { key: storeKey, body: report })).status).toBe(200);
  clock.advance(90_000);
  await runDurableObjectAlarm(board);

  const shopify = {
    type: "shopify",
    channel: "web",
    settings: { shopDomain: "acme-test.myshopify.com", baseUrl: "http://127.0.0.1:9" },
    credentials: { accessToken: "shpat_0123456789abcdef0123456789abcdef" },
    locations: { pool: "gid://shopify/Location/1" },
    enabled: false,
  };
  expect((await call("PUT", "/v1/connections/shop", { key, body: shopify })).status).toBe(201);
  const file = { type: "file", settings: { deliverTo: "http://127.0.0.1:9/inbox" }, credentials: { bearerToken: "file-token-0123456789WXYZ" }, enabled: false };
  expect((await call("PUT", "/v1/erp/connections/books", { key, body: file })).status).toBe(201);
  return tenant;
}

const quiet = {
  stores: { total: 0, online: 0, offline: 0, unknown: 0, backlog: 0, oldestPendingAgeSeconds: null, deadLetters: 0 },
  exceptions: { open: 0, byType: [] },
  connections: { total: 0, failing: 0, throttled: 0, maxSyncLagMs: null, oldestPendingAgeSeconds: null },
};

describe("a partner's overview: its tenants with their health", () => {
  quietAccessLog();

  it("shows each of the partner's tenants with stores offline and never reported, the oldest backlog, open exceptions by type and connections", async () => {
    const partner = await createPartner();
    const troubled = await troubledTenant(partner);
    const calm = await partnerTenant(partner);

    const page = await overview(partner);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ partner: partner.id, nextCursor: null, asOf: expect.any(String) });
    const byId = new Map<string, Record<string, any>>(page.body.tenants.map((tenant: Record<string, any>) => [tenant.tenant, tenant]));
    expect([...byId.keys()]).toEqual([troubled.id, calm.id].sort());
    expect(byId.get(troubled.id)).toEqual({
      tenant: troubled.id,
      name: `Tenant ${troubled.id}`,
      stores: { total: 2, online: 0, offline: 1, unknown: 1, backlog: 4, oldestPendingAgeSeconds: expect.any(Number), deadLetters: 1 },
      exceptions: { open: 1, byType: [{ type: "backorder", open: 1 }] },
      connections: { total: 2, failing: 0, throttled: 0, maxSyncLagMs: null, oldestPendingAgeSeconds: null },
    });
    expect(byId.get(troubled.id)!.stores.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(120);
    expect(byId.get(calm.id)).toEqual({ tenant: calm.id, name: `Tenant ${calm.id}`, ...quiet });

    // The figures are the tenant's own answers, summed: the overview adds nothing of its own.
    const stores = await call("GET", "/v1/stores", { key: troubled.adminKey });
    expect(stores.body.stores.map((store: { location: string; status: string }) => [store.location, store.status])).toEqual([
      ["store-a", "offline"],
      ["store-b", "unknown"],
    ]);
  });

  it("never shows another partner's tenants nor the platform's, however they are paged", async () => {
    const a = await createPartner();
    const b = await createPartner();
    const mine = [await partnerTenant(a), await partnerTenant(a), await partnerTenant(a)].map((tenant) => tenant.id).sort();
    await partnerTenant(b);
    await createTenant();

    const first = await overview(a, "?limit=2");
    expect(first.body.tenants.map((tenant: { tenant: string }) => tenant.tenant)).toEqual(mine.slice(0, 2));
    expect(first.body.nextCursor).toBe(mine[1]);
    const second = await overview(a, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.tenants.map((tenant: { tenant: string }) => tenant.tenant)).toEqual(mine.slice(2));
    expect(second.body.nextCursor).toBeNull();

    // The platform key reads any partner's overview: the same tenants.
    const asPlatform = await overview(a, "", platformKey);
    expect(asPlatform.body.tenants.map((tenant: { tenant: string }) => tenant.tenant)).toEqual(mine);
  });

  it("answers a partner acting on one of its tenants (the console sends the tenant header) as without it", async () => {
    const partner = await createPartner();
    const tenant = await partnerTenant(partner);
    const page = await call("GET", `/v1/partners/${partner.id}/tenants/health`, { key: partner.key, headers: { [tenantHeader]: tenant.id } });
    expect(page.status).toBe(200);
    expect(page.body.tenants.map((entry: { tenant: string }) => entry.tenant)).toEqual([tenant.id]);
  });

  it("refuses bad paging with validation_failed, an unknown partner with not_found, and no key with unauthorized", async () => {
    const partner = await createPartner();
    for (const query of ["?limit=0", "?limit=51", "?limit=ten", "?cursor=Not_A_Tenant!", "?cursor=-x"]) {
      expectProblem(await overview(partner, query), 400, "validation_failed");
    }
    expectProblem(await call("GET", "/v1/partners/no-such-partner/tenants/health", { key: platformKey }), 404, "not_found");
    expectProblem(await call("GET", `/v1/partners/${partner.id}/tenants/health`), 401, "unauthorized");
  });
});
