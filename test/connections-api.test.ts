import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openCredentials, sealCredentials } from "../durable/credentials.ts";
import { channelConnection } from "../durable/objects.ts";
import { call, createKey, createStockedTenant, type TestTenant } from "./api.ts";
import { expectProblem } from "./fixtures.ts";

const accessToken = "shpat_0123456789abcdef0123456789abcdef";

/** A valid connection of the `web` channel; the refused port keeps its background pushes from reaching anything. */
function shopifyConnection(overrides: Record<string, unknown> = {}) {
  return {
    type: "shopify",
    channel: "web",
    settings: { shopDomain: "acme-test.myshopify.com", apiVersion: "2026-04", baseUrl: "http://127.0.0.1:9" },
    credentials: { accessToken },
    locations: { pool: "gid://shopify/Location/68231790836" },
    enabled: false,
    ...overrides,
  };
}

function putConnection(tenant: TestTenant, id: string, body: unknown, key = tenant.adminKey) {
  return call("PUT", `/v1/connections/${id}`, { key, body });
}

async function expectNoConnections(tenant: TestTenant, id: string): Promise<void> {
  expectProblem(await call("GET", `/v1/connections/${id}`, { key: tenant.adminKey }), 404, "not_found");
  expect((await call("GET", "/v1/connections", { key: tenant.adminKey })).body).toEqual({ connections: [] });
}

describe("connections", () => {
  it("are created and read back with their credentials masked, and stored sealed", async () => {
    const tenant = await createStockedTenant();
    const created = await putConnection(tenant, "shopify-main", shopifyConnection());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: "shopify-main",
      type: "shopify",
      channel: "web",
      settings: { shopDomain: "acme-test.myshopify.com", apiVersion: "2026-04", baseUrl: "http://127.0.0.1:9" },
      credentials: { accessToken: "••••••••cdef" },
      locations: { pool: "gid://shopify/Location/68231790836" },
      enabled: false,
    });
    expect(JSON.stringify(created.body)).not.toContain(accessToken.slice(0, -4));

    const read = await call("GET", "/v1/connections/shopify-main", { key: tenant.adminKey });
    expect(read.body).toEqual(created.body);
    const readonly = await createKey(tenant, { role: "readonly" });
    expect((await call("GET", "/v1/connections", { key: readonly })).body).toEqual({ connections: [created.body] });

    const stored = await runInDurableObject(channelConnection(env, tenant.id, "shopify-main"), (_instance, state) =>
      state.storage.sql.exec<{ sealed_credentials: string; masked_credentials: string }>("SELECT sealed_credentials, masked_credentials FROM connection").one(),
    );
    expect(stored.sealed_credentials).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(accessToken.slice(0, -4));

    const again = await putConnection(tenant, "shopify-main", shopifyConnection({ locations: { pool: "gid://shopify/Location/1" } }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ locations: { pool: "gid://shopify/Location/1" }, createdAt: created.body.createdAt });
  });

  it("to Walmart mask both secrets and take Walmart's defaults", async () => {
    const tenant = await createStockedTenant();
    const clientSecret = "wm-secret-0123456789abcdefXYZW";
    const created = await putConnection(tenant, "walmart-main", {
      type: "walmart",
      channel: "web",
      settings: { baseUrl: "http://127.0.0.1:9" },
      credentials: { clientId: "wm-client-0123456789", clientSecret },
      locations: { pool: "10001234567" },
      enabled: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: "walmart",
      settings: { baseUrl: "http://127.0.0.1:9", serviceName: "Walmart Marketplace", feedThreshold: 100, inventoryCallsPerMinute: 300 },
      credentials: { clientId: "••••••••6789", clientSecret: "••••••••XYZW" },
      locations: { pool: "10001234567" },
    });
    expect(JSON.stringify(created.body)).not.toContain(clientSecret.slice(0, -4));
    const badNode = await putConnection(tenant, "walmart-main", {
      type: "walmart",
      channel: "web",
      settings: {},
      credentials: { clientId: "wm-client-0123456789", clientSecret },
      locations: { pool: "node 1" },
    });
    expectProblem(badNode, 400, "validation_failed");
    expect(badNode.body.errors).toEqual([expect.objectContaining({ path: "locations.pool" })]);
  });

  it("to Amazon mask every secret and take the region's endpoints unless told others", async () => {
    const tenant = await createStockedTenant();
    const refreshToken = "Atzr|IwEBIA-refresh-token-0123456789-ABCD";
    const created = await putConnection(tenant, "amazon-main", {
      type: "amazon",
      channel: "web",
      settings: { sellerId: "A2EUQ1WTGCTBG2", marketplaceIds: ["ATVPDKIKX0DER"], region: "na" },
      credentials: { refreshToken, clientId: "amzn1.application-oa2-client.0123456789", clientSecret: "amzn1.oa2-cs.v1.secret-0123456789WXYZ" },
      locations: { pool: "DEFAULT" },
      enabled: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: "amazon",
      settings: { sellerId: "A2EUQ1WTGCTBG2", marketplaceIds: ["ATVPDKIKX0DER"], region: "na", feedThreshold: 100, pullOrders: true, orderPollSeconds: 180, orderLookbackHours: 24 },
      credentials: { refreshToken: "••••••••ABCD", clientId: "••••••••6789", clientSecret: "••••••••WXYZ" },
      locations: { pool: "DEFAULT" },
    });
    expect(JSON.stringify(created.body)).not.toContain(refreshToken.slice(0, -4));
    const badToken = await putConnection(tenant, "amazon-main", {
      type: "amazon",
      channel: "web",
      settings: { sellerId: "A2EUQ1WTGCTBG2", marketplaceIds: ["ATVPDKIKX0DER"], region: "na", tokenUrl: "http://lwa.example.com/auth/o2/token" },
      credentials: { refreshToken, clientId: "amzn1.application-oa2-client.0123456789", clientSecret: "amzn1.oa2-cs.v1.secret-0123456789WXYZ" },
      locations: { pool: "DEFAULT" },
    });
    expectProblem(badToken, 400, "validation_failed");
    expect(badToken.body.errors).toEqual([expect.objectContaining({ path: "settings.tokenUrl" })]);
    const badPoll = await putConnection(tenant, "amazon-main", {
      type: "amazon",
      channel: "web",
      settings: { sellerId: "A2EUQ1WTGCTBG2", marketplaceIds: ["ATVPDKIKX0DER"], region: "na", orderPollSeconds: 5, orderLookbackHours: 721 },
      credentials: { refreshToken, clientId: "amzn1.application-oa2-client.0123456789", clientSecret: "amzn1.oa2-cs.v1.secret-0123456789WXYZ" },
      locations: { pool: "DEFAULT" },
    });
    expectProblem(badPoll, 400, "validation_failed");
    expect(badPoll.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["settings.orderLookbackHours", "settings.orderPollSeconds"]);
  });

  it("refuse bad settings with a problem and store nothing", async () => {
    const tenant = await createStockedTenant();
    const cases: [string, unknown, number, string][] = [
      ["plain http to another host", shopifyConnection({ settings: { shopDomain: "acme-test.myshopify.com", baseUrl: "http://shop.example.com" } }), 400, "validation_failed"],
      ["a base URL with a path", shopifyConnection({ settings: { shopDomain: "acme-test.myshopify.com", baseUrl: "https://proxy.example.com/shopify" } }), 400, "validation_failed"],
      ["an API version before 2026-04", shopifyConnection({ settings: { shopDomain: "acme-test.myshopify.com", apiVersion: "2025-10" } }), 400, "validation_failed"],
      ["a shop that is not a myshopify.com domain", shopifyConnection({ settings: { shopDomain: "acme.example.com" } }), 400, "validation_failed"],
      ["a location that is not a Shopify location id", shopifyConnection({ locations: { pool: "68231790836" } }), 400, "validation_failed"],
      ["a remote type not offered", shopifyConnection({ type: "ebay" }), 400, "validation_failed"],
      ["no credentials", { ...shopifyConnection(), credentials: undefined }, 400, "validation_failed"],
      ["an unknown field", { ...shopifyConnection(), webhookSecret: "x" }, 400, "validation_failed"],
      ["a channel the tenant does not have", shopifyConnection({ channel: "nowhere" }), 422, "unknown_channel"],
    ];
    for (const [what, body, status, code] of cases) {
      const answer = await putConnection(tenant, "shopify-main", body);
      expect({ what, status: answer.status, code: answer.body.code }).toEqual({ what, status, code });
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
    }
    expectProblem(await putConnection(tenant, "Not_An_Id", shopifyConnection()), 400, "validation_failed");
    expectProblem(await putConnection(tenant, "shopify-main", shopifyConnection(), await createKey(tenant, { role: "readonly" })), 403, "forbidden");
    await expectNoConnections(tenant, "shopify-main");
  });

  it("are disabled by DELETE, keeping their configuration, and report their status", async () => {
    const tenant = await createStockedTenant();
    await putConnection(tenant, "shopify-main", shopifyConnection({ enabled: true }));
    const status = await call("GET", "/v1/connections/shopify-main/status", { key: tenant.adminKey });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ id: "shopify-main", pending: { skus: expect.any(Number) }, lastHour: { throttled: 0 }, syncLagMs: { samples: 0 } });

    const disabled = await call("DELETE", "/v1/connections/shopify-main", { key: tenant.adminKey });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: "shopify-main", enabled: false, credentials: { accessToken: "••••••••cdef" } });
    expect((await call("GET", "/v1/connections/shopify-main/status", { key: tenant.adminKey })).body).toMatchObject({ state: "disabled" });
    expect((await call("GET", "/v1/connections", { key: tenant.adminKey })).body.connections).toEqual([expect.objectContaining({ id: "shopify-main", enabled: false })]);
    expectProblem(await call("DELETE", "/v1/connections/other", { key: tenant.adminKey }), 404, "not_found");
    expectProblem(await call("GET", "/v1/connections/other/status", { key: tenant.adminKey }), 404, "not_found");
  });
});

describe("sealed credentials", () => {
  it("open only with the same key and for the same connection", async () => {
    const key = env.CONNECTION_CREDENTIALS_KEY;
    const sealed = await sealCredentials(key, "acme/shopify-main", { accessToken });
    expect(await openCredentials(key, "acme/shopify-main", sealed)).toEqual({ accessToken });
    await expect(openCredentials(key, "acme/other", sealed)).rejects.toThrow();
    await expect(openCredentials(btoa("x".repeat(32)), "acme/shopify-main", sealed)).rejects.toThrow();
    await expect(sealCredentials("too-short", "acme/shopify-main", { accessToken })).rejects.toThrow(/32 random bytes/);
    expect(await sealCredentials(key, "acme/shopify-main", { accessToken })).not.toBe(sealed);
  });
});
