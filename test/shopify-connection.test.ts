import { describe, expect, it } from "vitest";
import { call, createKey, createStockedTenant } from "./api.ts";
import { expectProblem } from "./fixtures.ts";

describe("PUT /v1/integrations/shopify connects a shop; the secret is never shown again", () => {
  it("stores the secret and channel, and shows the secret masked", async () => {
    const tenant = await createStockedTenant();
    const secret = "shpss_0123456789abcdef0123456789ab3f9a";
    const put = await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: secret, channel: "web" } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ channel: "web", webhookSecret: "••••••••3f9a", maxDeliveryAgeSeconds: 172_800, webhookUrl: `/v1/webhooks/shopify/${tenant.id}`, updatedAt: expect.any(String) });
    const read = await call("GET", "/v1/integrations/shopify", { key: tenant.adminKey });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(put.body);
    expect(JSON.stringify(read.body)).not.toContain(secret.slice(0, 12));

    const moved = await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: "shpss_ffffffffffffffffffffffff00001111", channel: "pos" } });
    expect(moved.body).toMatchObject({ channel: "pos", webhookSecret: "••••••••1111" });
  });

  it("refuses a channel that does not exist, a short secret, and keys that are not the tenant's admin", async () => {
    const tenant = await createStockedTenant();
    expectProblem(await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: "shpss_0123456789abcdef", channel: "nowhere" } }), 422, "unknown_channel");
    expectProblem(await call("PUT", "/v1/integrations/shopify", { key: tenant.adminKey, body: { webhookSecret: "short", channel: "web" } }), 400, "validation_failed");
    const erp = await createKey(tenant, { role: "erp" });
    expectProblem(await call("PUT", "/v1/integrations/shopify", { key: erp, body: { webhookSecret: "shpss_0123456789abcdef", channel: "web" } }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/integrations/shopify", { key: erp }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/integrations/shopify", { key: tenant.adminKey }), 404, "not_found");
  });
});
