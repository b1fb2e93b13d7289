import { describe, expect, it } from "vitest";
import { tenantHeader } from "../shared/schemas/partners.ts";
import { call, createTenant, platformKey, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { asPartner, createPartner, partnerTenant } from "./partner-fixtures.ts";

/** Two partners with a tenant each, and a tenant of the platform's own. */
async function twoPartners() {
  const a = await createPartner();
  const b = await createPartner();
  return { a, b, aTenant: await partnerTenant(a), bTenant: await partnerTenant(b), platformTenant: await createTenant() };
}

describe("platform → partner → tenant: a partner reaches its own tenants and nothing sideways", () => {
  quietAccessLog();

  it("a partner key creates tenants that are its own, and lists only those; the platform lists every tenant with its partner", async () => {
    const { a, b, aTenant, bTenant, platformTenant } = await twoPartners();
    const second = await partnerTenant(a);

    const listed = await call("GET", "/v1/tenants", { key: a.key });
    expect(listed.status).toBe(200);
    expect(listed.body.tenants.map((t: { id: string }) => t.id)).toEqual([aTenant.id, second.id].sort());
    expect(listed.body.tenants.every((t: { partner: string }) => t.partner === a.id)).toBe(true);
    // The overview with health reads the same tenants, and only those.
    const health = await call("GET", `/v1/partners/${a.id}/tenants/health`, { key: a.key });
    expect(health.body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual([aTenant.id, second.id].sort());

    const all = await call("GET", "/v1/tenants", { key: platformKey });
    const partnerOf = new Map(all.body.tenants.map((t: { id: string; partner: string | null }) => [t.id, t.partner]));
    expect(partnerOf.get(aTenant.id)).toBe(a.id);
    expect(partnerOf.get(bTenant.id)).toBe(b.id);
    expect(partnerOf.get(platformTenant.id)).toBeNull();

    // The tenant's own admin key works as for any tenant.
    expect((await call("GET", "/v1/tenant", { key: aTenant.adminKey })).body.id).toBe(aTenant.id);
  });

  it("a partner key acts on its tenant as that tenant's admin, and the tenant sees the change", async () => {
    const { a, aTenant } = await twoPartners();
    const put = await asPartner(a, aTenant.id, "PUT", "/v1/locations/store-1", { body: { type: "store" } });
    expect(put.status).toBe(200);
    const key = await asPartner(a, aTenant.id, "POST", "/v1/keys", { idempotencyKey: unique("idem"), body: { role: "readonly" } });
    expect(key.status).toBe(201);

    const seen = await call("GET", "/v1/locations", { key: aTenant.adminKey });
    expect(seen.body.locations.map((l: { id: string }) => l.id)).toEqual(["store-1"]);
    const keys = await call("GET", "/v1/keys", { key: aTenant.adminKey });
    expect(keys.body.keys.map((k: { id: string }) => k.id)).toContain(key.body.id);
    expect((await call("GET", "/v1/tenant", { key: key.body.key })).body.id).toBe(aTenant.id);
  });

  it("partner A's key is 404 on partner B's tenant and on the platform's, and changes nothing there", async () => {
    const { a, bTenant, platformTenant } = await twoPartners();
    for (const tenantId of [bTenant.id, platformTenant.id, "no-such-tenant"]) {
      expectProblem(await asPartner(a, tenantId, "GET", "/v1/tenant"), 404, "not_found");
      expectProblem(await asPartner(a, tenantId, "GET", "/v1/locations"), 404, "not_found");
      expectProblem(await asPartner(a, tenantId, "PUT", "/v1/locations/intruder", { body: { type: "store" } }), 404, "not_found");
      expectProblem(await asPartner(a, tenantId, "POST", "/v1/keys", { idempotencyKey: unique("idem"), body: { role: "admin" } }), 404, "not_found");
    }
    expect((await call("GET", "/v1/locations", { key: bTenant.adminKey })).body.locations).toEqual([]);
    expect((await call("GET", "/v1/keys", { key: bTenant.adminKey })).body.keys).toHaveLength(1);
  });

  it("partner A's key is 404 on partner B's routes: keys, usage, branding", async () => {
    const { a, b } = await twoPartners();
    expectProblem(await call("GET", `/v1/partners/${b.id}/keys`, { key: a.key }), 404, "not_found");
    expectProblem(await call("POST", `/v1/partners/${b.id}/keys`, { key: a.key, idempotencyKey: unique("idem"), body: {} }), 404, "not_found");
    expectProblem(await call("DELETE", `/v1/partners/${b.id}/keys/${b.keyId}`, { key: a.key }), 404, "not_found");
    expectProblem(await call("GET", `/v1/partners/${b.id}/usage?month=2026-12`, { key: a.key }), 404, "not_found");
    const branding = { displayName: "Hijack", colors: { primary: "#000000" }, support: { email: "x@example.com" }, hosts: [] };
    expectProblem(await call("PUT", `/v1/partners/${b.id}/branding`, { key: a.key, body: branding }), 404, "not_found");
    expectProblem(await call("GET", `/v1/partners/${b.id}/branding`, { key: a.key }), 404, "not_found");
    expectProblem(await call("GET", `/v1/partners/${b.id}/tenants/health`, { key: a.key }), 404, "not_found");
    // B's key still works: nothing of B was revoked.
    expect((await call("GET", `/v1/partners/${b.id}/keys`, { key: b.key })).status).toBe(200);
  });

  it("a partner key without the tenant header is refused on tenant routes, and is not the platform key", async () => {
    const { a } = await twoPartners();
    expectProblem(await call("GET", "/v1/locations", { key: a.key }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/partners", { key: a.key, idempotencyKey: unique("idem"), body: { id: unique("p"), name: "Mine" } }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/partners", { key: a.key }), 401, "unauthorized");
  });

  it("a tenant key reaches no partner route and no other tenant, header or not", async () => {
    const { a, aTenant, bTenant } = await twoPartners();
    const key = aTenant.adminKey;
    expectProblem(await call("GET", `/v1/partners/${a.id}/usage?month=2026-12`, { key }), 401, "unauthorized");
    expectProblem(await call("GET", `/v1/partners/${a.id}/keys`, { key }), 401, "unauthorized");
    expectProblem(await call("PUT", `/v1/partners/${a.id}/branding`, { key, body: { displayName: "X", colors: { primary: "#000000" }, support: { email: "x@example.com" } } }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/tenants", { key }), 401, "unauthorized");
    expectProblem(await call("GET", `/v1/partners/${a.id}/tenants/health`, { key }), 401, "unauthorized");
    expectProblem(await call("POST", "/v1/tenants", { key, idempotencyKey: unique("idem"), body: { id: unique("t"), name: "Sideways" } }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/partners", { key }), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/tenant", { key, headers: { [tenantHeader]: bTenant.id } }), 404, "not_found");
    expect((await call("GET", "/v1/tenant", { key, headers: { [tenantHeader]: aTenant.id } })).body.id).toBe(aTenant.id);
  });

  it("the platform key reads any partner's routes and keeps creating tenants of its own", async () => {
    const { a, aTenant } = await twoPartners();
    expect((await call("GET", `/v1/partners/${a.id}/keys`, { key: platformKey })).body.keys).toHaveLength(1);
    const usage = await call("GET", `/v1/partners/${a.id}/usage?month=2026-12`, { key: platformKey });
    expect(usage.body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual([aTenant.id]);
    expectProblem(await call("GET", "/v1/partners/no-such-partner/keys", { key: platformKey }), 404, "not_found");
    const partners = await call("GET", "/v1/partners", { key: platformKey });
    expect(partners.body.partners.map((p: { id: string }) => p.id)).toContain(a.id);
  });

  it("tenant and partner ids are one namespace each: a taken tenant id is 409 whoever asks", async () => {
    const { a, bTenant } = await twoPartners();
    const taken = await call("POST", "/v1/tenants", { key: a.key, idempotencyKey: unique("idem"), body: { id: bTenant.id, name: "Again" } });
    expectProblem(taken, 409, "conflict");
    const listed = await call("GET", "/v1/tenants", { key: a.key });
    expect(listed.body.tenants.map((t: { id: string }) => t.id)).not.toContain(bTenant.id);
  });
});
