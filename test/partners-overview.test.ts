import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { exceptionQueue, storeHealthBoard, tenantRegistry } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { tenantHeader } from "../shared/schemas/partners.ts";
import { healthOfTenants } from "../workers/partners/health.ts";
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

/** Collects the JSON log lines written from now on, printing none. */
function logLines(): () => Record<string, unknown>[] {
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  return () => log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

/**
 * Breaks the tenant's exception queue as a lost table would: its next read
 * fails in the object itself (SQLITE_ERROR), a real failure of a real call.
 */
async function breakExceptionQueue(tenantId: string): Promise<void> {
  await runInDurableObject(exceptionQueue(env, tenantId), (_instance, state) => {
    state.storage.sql.exec("ALTER TABLE exceptions RENAME TO exceptions_lost");
  });
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
      status: "ok",
      stores: { total: 2, online: 0, offline: 1, unknown: 1, backlog: 4, oldestPendingAgeSeconds: expect.any(Number), deadLetters: 1 },
      exceptions: { open: 1, byType: [{ type: "backorder", open: 1 }] },
      connections: { total: 2, failing: 0, throttled: 0, maxSyncLagMs: null, oldestPendingAgeSeconds: null },
    });
    expect(byId.get(troubled.id)!.stores.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(120);
    expect(byId.get(calm.id)).toEqual({ tenant: calm.id, name: `Tenant ${calm.id}`, status: "ok", ...quiet });

    // The figures are the tenant's own answers, summed: the overview adds nothing of its own.
    const stores = await call("GET", "/v1/stores", { key: troubled.adminKey });
    expect(stores.body.stores.map((store: { location: string; status: string }) => [store.location, store.status])).toEqual([
      ["store-a", "offline"],
      ["store-b", "unknown"],
    ]);
  });

  it("answers 200 when one tenant's objects fail: that row says read_failed with no figures, the others keep theirs, and one JSON line logs it", async () => {
    const partner = await createPartner();
    const troubled = await troubledTenant(partner);
    const broken = await partnerTenant(partner);
    const calm = await partnerTenant(partner);
    await breakExceptionQueue(broken.id);
    const loggedLines = logLines();

    const page = await overview(partner);
    expect(page.status).toBe(200);
    const byId = new Map<string, Record<string, any>>(page.body.tenants.map((tenant: Record<string, any>) => [tenant.tenant, tenant]));
    expect([...byId.keys()]).toEqual([troubled.id, broken.id, calm.id].sort());
    expect(byId.get(broken.id)).toEqual({
      tenant: broken.id,
      name: `Tenant ${broken.id}`,
      status: "unavailable",
      unavailable: { code: "read_failed", detail: expect.stringContaining("failed") },
    });
    expect(byId.get(calm.id)).toEqual({ tenant: calm.id, name: `Tenant ${calm.id}`, status: "ok", ...quiet });
    expect(byId.get(troubled.id)).toMatchObject({ status: "ok", stores: { total: 2, offline: 1, unknown: 1 }, exceptions: { open: 1 }, connections: { total: 2 } });

    const logged = loggedLines().filter((line) => line.message === "tenant health read failed");
    expect(logged).toEqual([expect.objectContaining({ level: "error", tenantId: broken.id, requestId: expect.any(String), error: expect.stringContaining("no such table") })]);
  });

  it("marks a tenant whose objects do not answer within the bound as timeout, without waiting for it", async () => {
    const partner = await createPartner();
    const slow = await partnerTenant(partner);
    const calm = await partnerTenant(partner);
    // The slow tenant's registry takes no calls for 1.2 s, as a busy or stuck object would.
    const loggedLines = logLines();
    const busy = runInDurableObject(tenantRegistry(env, slow.id), (_instance, state) => state.blockConcurrencyWhile(() => new Promise((resolve) => setTimeout(resolve, 1_200))));

    const startedAt = Date.now();
    const rows = await healthOfTenants(env, [{ id: slow.id, name: "Slow" }, { id: calm.id, name: "Calm" }], { timeoutMs: 200 });
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(rows).toEqual([
      { tenant: slow.id, name: "Slow", status: "unavailable", unavailable: { code: "timeout", detail: "The tenant's objects did not answer within 0.2 s." } },
      { tenant: calm.id, name: "Calm", status: "ok", ...quiet },
    ]);
    expect(loggedLines().filter((line) => line.message === "tenant health not read in time")).toEqual([expect.objectContaining({ level: "warn", tenantId: slow.id, timeoutMs: 200 })]);
    await busy;
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
