import { describe, expect, it } from "vitest";
import { call, createKey, createStockedTenant, type TestTenant } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

/** Disabled, and pointed at a refused port: nothing runs in the background, so each status holds still. */
function shopify(pool: string) {
  return {
    type: "shopify",
    channel: "web",
    settings: { shopDomain: "acme-test.myshopify.com", baseUrl: "http://127.0.0.1:9" },
    credentials: { accessToken: "shpat_0123456789abcdef0123456789abcdef" },
    locations: { pool },
    enabled: false,
  };
}
const file = { type: "file", settings: { deliverTo: "http://127.0.0.1:9/inbox" }, credentials: { bearerToken: "inbox-token-0123456789abcdefWXYZ" }, enabled: false };

async function withConnections(): Promise<TestTenant> {
  const tenant = await createStockedTenant();
  for (const [id, pool] of [["shop-b", "gid://shopify/Location/2"], ["shop-a", "gid://shopify/Location/1"]]) {
    expect((await call("PUT", `/v1/connections/${id}`, { key: tenant.adminKey, body: shopify(pool!) })).status).toBe(201);
  }
  expect((await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: file })).status).toBe(201);
  return tenant;
}

describe("every connection's status in one call: include=status", () => {
  quietAccessLog();

  it("lists each channel connection with the status its own status route answers, in id order", async () => {
    const tenant = await withConnections();
    const listed = await call("GET", "/v1/connections?include=status", { key: tenant.adminKey });
    expect(listed.status).toBe(200);
    expect(listed.body.connections.map((connection: { id: string; type: string; channel: string }) => [connection.id, connection.type, connection.channel])).toEqual([
      ["shop-a", "shopify", "web"],
      ["shop-b", "shopify", "web"],
    ]);
    for (const connection of listed.body.connections) {
      const { status, ...rest } = connection;
      expect(rest).toEqual((await call("GET", `/v1/connections/${connection.id}`, { key: tenant.adminKey })).body);
      expect(status).toEqual((await call("GET", `/v1/connections/${connection.id}/status`, { key: tenant.adminKey })).body);
      expect(status).toMatchObject({ id: connection.id, state: "disabled", lastError: null, syncLagMs: { samples: 0 } });
    }
    // Without include, the list is as it always was: no status.
    const plain = await call("GET", "/v1/connections", { key: tenant.adminKey });
    expect(plain.body.connections.map((connection: Record<string, unknown>) => "status" in connection)).toEqual([false, false]);
  });

  it("lists each ERP connection with its status", async () => {
    const tenant = await withConnections();
    const listed = await call("GET", "/v1/erp/connections?include=status", { key: tenant.adminKey });
    expect(listed.status).toBe(200);
    expect(listed.body.connections).toHaveLength(1);
    const [{ status, ...connection }] = listed.body.connections;
    expect(connection).toMatchObject({ id: "books", type: "file", enabled: false });
    expect(status).toEqual((await call("GET", "/v1/erp/connections/books/status", { key: tenant.adminKey })).body);
    expect(status).toMatchObject({ id: "books", type: "file", state: "disabled" });
  });

  it("answers the roles the list answers, and nothing of another tenant", async () => {
    const tenant = await withConnections();
    const readonly = await createKey(tenant, { role: "readonly" });
    expect((await call("GET", "/v1/connections?include=status", { key: readonly })).body.connections).toHaveLength(2);
    const store = await createKey(tenant, { role: "store", location: "store-a" });
    expectProblem(await call("GET", "/v1/connections?include=status", { key: store }), 403, "forbidden");
    const erp = await createKey(tenant, { role: "erp" });
    expectProblem(await call("GET", "/v1/connections?include=status", { key: erp }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/erp/connections?include=status", { key: readonly }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/connections?include=status"), 401, "unauthorized");

    const other = await createStockedTenant();
    expect((await call("GET", "/v1/connections?include=status", { key: other.adminKey })).body).toEqual({ connections: [] });
    expect((await call("GET", "/v1/erp/connections?include=status", { key: other.adminKey })).body).toEqual({ connections: [] });
  });

  it("refuses an include it does not know with validation_failed", async () => {
    const tenant = await createStockedTenant();
    for (const path of ["/v1/connections?include=health", "/v1/connections?include=", "/v1/erp/connections?include=statuses"]) {
      expectProblem(await call("GET", path, { key: tenant.adminKey }), 400, "validation_failed");
    }
  });
});
