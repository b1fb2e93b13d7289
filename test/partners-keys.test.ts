import { describe, expect, it } from "vitest";
import { call, platformKey, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { asPartner, createPartner, partnerTenant } from "./partner-fixtures.ts";

describe("partner keys: created once, revoked, rotated, like tenant keys", () => {
  quietAccessLog();

  it("POST /v1/partners shows the key once; a replay under the same Idempotency-Key answers it without the secret", async () => {
    const id = unique("p");
    const idempotencyKey = unique("idem");
    const first = await call("POST", "/v1/partners", { key: platformKey, idempotencyKey, body: { id, name: "Northwind" } });
    expect(first.status).toBe(201);
    expect(first.body.adminKey.key).toMatch(new RegExp(`^ssp_${id}_[0-9a-z]{40}$`));
    const replay = await call("POST", "/v1/partners", { key: platformKey, idempotencyKey, body: { id, name: "Northwind" } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.adminKey).toMatchObject({ id: first.body.adminKey.id, key: null });
    expectProblem(await call("POST", "/v1/partners", { key: platformKey, idempotencyKey: unique("idem"), body: { id, name: "Again" } }), 409, "conflict");
    expectProblem(await call("POST", "/v1/partners", { key: platformKey, idempotencyKey: unique("idem"), body: { id: "Bad_Id", name: "x" } }), 400, "validation_failed");
    expectProblem(await call("POST", "/v1/partners", { key: platformKey, body: { id: unique("p"), name: "x" } }), 400, "idempotency_key_required");
  });

  it("a revoked partner key is refused at once (401 key_revoked) on its routes and on its tenants; the last usable key cannot be revoked", async () => {
    const partner = await createPartner();
    const tenant = await partnerTenant(partner);
    expectProblem(await call("DELETE", `/v1/partners/${partner.id}/keys/${partner.keyId}`, { key: partner.key }), 409, "conflict");

    const second = await call("POST", `/v1/partners/${partner.id}/keys`, { key: partner.key, idempotencyKey: unique("idem"), body: { name: "integration team" } });
    expect(second.status).toBe(201);
    const revoked = await call("DELETE", `/v1/partners/${partner.id}/keys/${partner.keyId}`, { key: second.body.key });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe("revoked");

    expectProblem(await call("GET", "/v1/tenants", { key: partner.key }), 401, "key_revoked");
    expectProblem(await asPartner(partner, tenant.id, "GET", "/v1/tenant"), 401, "key_revoked");
    expect((await call("GET", "/v1/tenants", { key: second.body.key })).status).toBe(200);
  });

  it("a rotated partner key hands over to its successor; with no overlap the old one is refused as key_expired", async () => {
    const partner = await createPartner();
    const tenant = await partnerTenant(partner);
    const rotated = await call("POST", `/v1/partners/${partner.id}/keys/${partner.keyId}/rotate`, { key: partner.key, idempotencyKey: unique("idem"), body: { overlapSeconds: 0 } });
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous).toMatchObject({ id: partner.keyId, replacedBy: rotated.body.key.id });
    expectProblem(await call("GET", "/v1/tenants", { key: partner.key }), 401, "key_expired");
    const successor = { ...partner, key: rotated.body.key.key as string };
    expect((await asPartner(successor, tenant.id, "GET", "/v1/tenant")).body.id).toBe(tenant.id);
    const keys = await call("GET", `/v1/partners/${partner.id}/keys`, { key: platformKey });
    expect(keys.body.keys.map((k: { status: string }) => k.status)).toEqual(["expired", "active"]);
    expect(JSON.stringify(keys.body)).not.toContain(rotated.body.key.key);
  });

  it("a made-up partner key costs no object of that partner's name and is 401", async () => {
    expectProblem(await call("GET", "/v1/tenants", { key: `ssp_${unique("ghost")}_${"a".repeat(40)}` }), 401, "unauthorized");
    const partner = await createPartner();
    expectProblem(await call("GET", "/v1/tenants", { key: `ssp_${partner.id}_${"b".repeat(40)}` }), 401, "unauthorized");
  });
});
