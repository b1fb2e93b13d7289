import { describe, expect, it } from "vitest";
import type { ErpConnectionList } from "../shared/schemas/erp-connections.ts";
import { call, createKey, createTenant, type TestTenant } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

const bearerToken = "inbox-token-0123456789abcdefWXYZ";
const clientSecret = "bc-secret-0123456789abcdefQRST";

/** Disabled, and pointed at a refused port: nothing runs in the background. */
const fileConnection = { type: "file", settings: { deliverTo: "http://127.0.0.1:9/inbox" }, credentials: { bearerToken }, enabled: false };
const businessCentral = {
  type: "business-central",
  settings: { directoryId: "contoso.onmicrosoft.com", companyId: "b6c3f9a0-3c1e-4c7a-9a55-1b2f0f3a4d11", baseUrl: "http://127.0.0.1:9", tokenUrl: "http://127.0.0.1:9/token" },
  credentials: { clientId: "bc-client-0123456789", clientSecret },
  enabled: false,
};

function list(tenant: TestTenant, key = tenant.adminKey) {
  return call<ErpConnectionList>("GET", "/v1/erp/connections", { key });
}

describe("ERP connections, listed and disabled", () => {
  it("are listed by id with credentials masked, the tenant's own only", async () => {
    const tenant = await createTenant();
    expect((await list(tenant)).body).toEqual({ connections: [] });
    const books = await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: fileConnection });
    const bc = await call("PUT", "/v1/erp/connections/bc-main", { key: tenant.adminKey, body: businessCentral });
    expect([books.status, bc.status]).toEqual([201, 201]);

    const listed = await list(tenant);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ connections: [bc.body, books.body] });
    expect(listed.body.connections.map((c) => c.credentials)).toEqual([{ clientId: "••••••••6789", clientSecret: "••••••••QRST" }, { bearerToken: "••••••••WXYZ" }]);
    expect(JSON.stringify(listed.body)).not.toContain(bearerToken.slice(0, -4));
    expect(JSON.stringify(listed.body)).not.toContain(clientSecret.slice(0, -4));
    expectProblem(await list(tenant, await createKey(tenant, { role: "readonly" })), 403, "forbidden");

    const other = await createTenant();
    expect((await list(other)).body).toEqual({ connections: [] });
    expectProblem(await call("GET", "/v1/erp/connections/books", { key: other.adminKey }), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/erp/connections/books", { key: other.adminKey }), 404, "not_found");
    expect((await list(other)).body).toEqual({ connections: [] });
    expect((await call("GET", "/v1/erp/connections/books", { key: tenant.adminKey })).body).toMatchObject({ enabled: false, type: "file" });
  });

  it("DELETE disables, keeps the configuration, and lists the connection disabled; PUT resumes it", async () => {
    const tenant = await createTenant();
    const created = await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { ...fileConnection, enabled: true } });
    expect(created.body).toMatchObject({ enabled: true });

    const disabled = await call("DELETE", "/v1/erp/connections/books", { key: tenant.adminKey });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: "books", type: "file", enabled: false, settings: fileConnection.settings, credentials: { bearerToken: "••••••••WXYZ" }, createdAt: created.body.createdAt });
    expect((await call("GET", "/v1/erp/connections/books/status", { key: tenant.adminKey })).body).toMatchObject({ state: "disabled" });
    expect((await list(tenant)).body).toEqual({ connections: [disabled.body] });
    expect((await call("DELETE", "/v1/erp/connections/books", { key: tenant.adminKey })).body).toMatchObject({ enabled: false });
    expectProblem(await call("DELETE", "/v1/erp/connections/books", { key: await createKey(tenant, { role: "erp" }) }), 403, "forbidden");

    const resumed = await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { ...fileConnection, enabled: true } });
    expect(resumed.status).toBe(200);
    expect((await list(tenant)).body.connections).toMatchObject([{ id: "books", enabled: true, createdAt: created.body.createdAt }]);
  });

  it("a bad id or an unknown one is a problem, nothing stored", async () => {
    const tenant = await createTenant();
    for (const id of ["Books", "-books", "bo_oks", "x".repeat(64)]) {
      expectProblem(await call("DELETE", `/v1/erp/connections/${id}`, { key: tenant.adminKey }), 400, "validation_failed");
      expectProblem(await call("PUT", `/v1/erp/connections/${id}`, { key: tenant.adminKey, body: fileConnection }), 400, "validation_failed");
    }
    expectProblem(await call("DELETE", "/v1/erp/connections/nothing-here", { key: tenant.adminKey }), 404, "not_found");
    expect((await list(tenant)).body).toEqual({ connections: [] });
  });
});
