import { env, listDurableObjectIds } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { tenantRegistry } from "../durable/objects.ts";
import { ManualClock, systemClock } from "../shared/clock.ts";
import { keyChecks, keyCheckTtlMs } from "../workers/middleware/authenticate.ts";
import { call, createTenant, platformKey, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { deliver } from "./shopify-fixtures.ts";

quietAccessLog();

afterEach(() => {
  keyChecks.clock = systemClock;
});

/** The edge's key cache and the tenant's registry on one manual clock, so a test moves time on instead of waiting. */
async function manualTime(tenant: TestTenant): Promise<ManualClock> {
  const clock = new ManualClock(Date.now());
  keyChecks.clock = clock;
  await useClock(tenantRegistry(env, tenant.id), clock);
  return clock;
}

async function keyRow(tenant: TestTenant, id: string) {
  const listed = await call("GET", "/v1/keys", { key: tenant.adminKey });
  return listed.body.keys.find((key: { id: string }) => key.id === id);
}

function readTenant(key: string) {
  return call("GET", "/v1/tenant", { key });
}

async function newKey(tenant: TestTenant, body: Record<string, unknown> = { role: "readonly" }): Promise<{ id: string; secret: string }> {
  const response = await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body });
  expect(response.status).toBe(201);
  return { id: response.body.id, secret: response.body.key };
}

describe("revoking a key", () => {
  it("refuses the key at once at the edge that revoked it, with 401 key_revoked, and lists it as revoked", async () => {
    const tenant = await createTenant();
    const key = await newKey(tenant);
    expect((await readTenant(key.secret)).status).toBe(200);

    const revoked = await call("DELETE", `/v1/keys/${key.id}`, { key: tenant.adminKey });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: key.id, status: "revoked", revokedAt: expect.any(String), key: null });

    expectProblem(await readTenant(key.secret), 401, "key_revoked");
    expectProblem(await call("POST", "/v1/keys", { key: key.secret, idempotencyKey: unique("idem"), body: { role: "readonly" } }), 401, "key_revoked");
    expect(await keyRow(tenant, key.id)).toMatchObject({ status: "revoked" });
    // Revoking again answers the revoked key; the admin key is untouched.
    expect((await call("DELETE", `/v1/keys/${key.id}`, { key: tenant.adminKey })).body).toMatchObject({ id: key.id, status: "revoked" });
    expect((await readTenant(tenant.adminKey)).status).toBe(200);
  });

  it("reaches every edge within the key cache's bound: an edge that checked the key before trusts it at most keyCheckTtlMs", async () => {
    const tenant = await createTenant();
    const clock = await manualTime(tenant);
    const key = await newKey(tenant);
    expect((await readTenant(key.secret)).status).toBe(200);

    // Revoked through another edge: this one's cache was not told.
    expect((await tenantRegistry(env, tenant.id).revokeKey(key.id)).ok).toBe(true);
    clock.advance(keyCheckTtlMs - 1);
    expect((await readTenant(key.secret)).status).toBe(200);
    clock.advance(1);
    expectProblem(await readTenant(key.secret), 401, "key_revoked");
    expect(keyCheckTtlMs).toBeLessThanOrEqual(30_000);
  });

  it("is for the tenant's admins only; another tenant's key id is 404, like an unknown one", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const key = await newKey(tenant);
    const readonly = await newKey(tenant);

    expectProblem(await call("DELETE", `/v1/keys/${key.id}`, { key: readonly.secret }), 403, "forbidden");
    expectProblem(await call("POST", `/v1/keys/${key.id}/rotate`, { key: readonly.secret, idempotencyKey: unique("idem"), body: {} }), 403, "forbidden");
    expectProblem(await call("DELETE", `/v1/keys/${key.id}`, { key: other.adminKey }), 404, "not_found");
    expectProblem(await call("POST", `/v1/keys/${key.id}/rotate`, { key: other.adminKey, idempotencyKey: unique("idem"), body: {} }), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/keys/key_doesnotexist", { key: tenant.adminKey }), 404, "not_found");
    expectProblem(await call("DELETE", `/v1/keys/${key.id}`, { key: platformKey }), 401, "unauthorized");
    expect((await readTenant(key.secret)).status).toBe(200);
  });

  it("refuses to revoke the tenant's last usable admin key (409), which would lock the tenant out", async () => {
    const tenant = await createTenant();
    const [initial] = (await call("GET", "/v1/keys", { key: tenant.adminKey })).body.keys;
    expectProblem(await call("DELETE", `/v1/keys/${initial.id}`, { key: tenant.adminKey }), 409, "conflict");
    const second = await newKey(tenant, { role: "admin" });
    expect((await call("DELETE", `/v1/keys/${initial.id}`, { key: second.secret })).status).toBe(200);
    expectProblem(await readTenant(tenant.adminKey), 401, "key_revoked");
  });
});

describe("rotating a key", () => {
  it("issues a successor with the same role and binding; the old key works until the overlap ends, then 401 key_expired", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const clock = await manualTime(tenant);
    const old = await newKey(tenant, { role: "store", location: "store-a", name: "till 1" });
    expect((await readTenant(old.secret)).status).toBe(200);

    const rotated = await call("POST", `/v1/keys/${old.id}/rotate`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { overlapSeconds: 120 } });
    expect(rotated.status).toBe(201);
    const successor = rotated.body.key;
    expect(successor).toMatchObject({ role: "store", location: "store-a", name: "till 1", replaces: old.id, status: "active", key: expect.stringMatching(/^ssk_/) });
    expect(rotated.body.previous).toMatchObject({ id: old.id, replacedBy: successor.id, status: "active", expiresAt: new Date(clock.now() + 120_000).toISOString() });

    clock.advance(119_000);
    expect((await readTenant(old.secret)).status).toBe(200);
    expect((await readTenant(successor.key)).status).toBe(200);
    clock.advance(1_000);
    const refused = await readTenant(old.secret);
    expectProblem(refused, 401, "key_expired");
    expect(refused.body.detail).toContain(successor.id);
    expect((await readTenant(successor.key)).status).toBe(200);
    expect(await keyRow(tenant, old.id)).toMatchObject({ status: "expired", replacedBy: successor.id });
  });

  it("rotates a key once (409 after that), never a revoked one, and bounds the overlap", async () => {
    const tenant = await createTenant();
    const key = await newKey(tenant);
    const rotate = (id: string, body: Record<string, unknown>) => call("POST", `/v1/keys/${id}/rotate`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body });

    expectProblem(await rotate(key.id, { overlapSeconds: 7 * 24 * 3600 + 1 }), 400, "validation_failed");
    expectProblem(await rotate(key.id, { overlapSeconds: -1 }), 400, "validation_failed");
    const first = await rotate(key.id, {});
    expect(first.status).toBe(201);
    // The default overlap is an hour.
    expect(Date.parse(first.body.previous.expiresAt) - Date.parse(first.body.key.createdAt)).toBe(3_600_000);
    expectProblem(await rotate(key.id, {}), 409, "conflict");

    const revoked = await newKey(tenant);
    await call("DELETE", `/v1/keys/${revoked.id}`, { key: tenant.adminKey });
    expectProblem(await rotate(revoked.id, {}), 409, "conflict");
  });

  it("answers a retried rotation with the same successor, without its secret, and issues no second key", async () => {
    const tenant = await createTenant();
    const key = await newKey(tenant);
    const idempotencyKey = unique("idem");
    const first = await call("POST", `/v1/keys/${key.id}/rotate`, { key: tenant.adminKey, idempotencyKey, body: { overlapSeconds: 60 } });
    const retry = await call("POST", `/v1/keys/${key.id}/rotate`, { key: tenant.adminKey, idempotencyKey, body: { overlapSeconds: 60 } });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.key).toEqual({ ...first.body.key, key: null });
    const listed = (await call("GET", "/v1/keys", { key: tenant.adminKey })).body.keys;
    expect(listed.filter((listedKey: { replaces: string | null }) => listedKey.replaces === key.id)).toHaveLength(1);
  });
});

describe("expiry and last use", () => {
  it("refuses a key after its expiresAt with 401 key_expired, and an expiresAt already past with 400", async () => {
    const tenant = await createTenant();
    const clock = await manualTime(tenant);
    const expiresAt = new Date(clock.now() + 10 * 60_000).toISOString();
    const key = await newKey(tenant, { role: "readonly", expiresAt });
    expect(await keyRow(tenant, key.id)).toMatchObject({ expiresAt, status: "active" });
    expect((await readTenant(key.secret)).status).toBe(200);
    clock.advance(10 * 60_000);
    expectProblem(await readTenant(key.secret), 401, "key_expired");
    expect(await keyRow(tenant, key.id)).toMatchObject({ status: "expired" });

    const past = new Date(clock.now() - 1).toISOString();
    expectProblem(await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { role: "readonly", expiresAt: past } }), 400, "validation_failed");
    expectProblem(await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { role: "readonly", expiresAt: "tomorrow" } }), 400, "validation_failed");
  });

  it("shows when a key was last used, written at most once a minute", async () => {
    const tenant = await createTenant();
    const clock = await manualTime(tenant);
    const key = await newKey(tenant);
    expect(await keyRow(tenant, key.id)).toMatchObject({ lastUsedAt: null });

    const firstUse = clock.now();
    await readTenant(key.secret);
    expect(await keyRow(tenant, key.id)).toMatchObject({ lastUsedAt: new Date(firstUse).toISOString() });

    // Past the cache's bound but within the minute: the registry is asked, and writes nothing.
    clock.advance(keyCheckTtlMs);
    await readTenant(key.secret);
    expect(await keyRow(tenant, key.id)).toMatchObject({ lastUsedAt: new Date(firstUse).toISOString() });

    clock.advance(60_000);
    await readTenant(key.secret);
    expect(await keyRow(tenant, key.id)).toMatchObject({ lastUsedAt: new Date(clock.now()).toISOString() });
  });
});

describe("the key is checked before the body", () => {
  const bogusKey = `ssk_nobody-here_${"a".repeat(40)}`;

  it("answers a bad or missing key with a malformed or invalid body 401, not 400", async () => {
    const tenant = await createTenant();
    const wrongSecret = `ssk_${tenant.id}_${"b".repeat(40)}`;
    for (const key of [undefined, "not-a-key", wrongSecret, bogusKey]) {
      expectProblem(await call("POST", "/v1/keys", { key, idempotencyKey: unique("idem"), rawBody: "{ not json" }), 401, "unauthorized");
      expectProblem(await call("POST", "/v1/inventory/sku-1/adjustments", { key, idempotencyKey: unique("idem"), body: { delta: "lots" } }), 401, "unauthorized");
      expectProblem(await call("PUT", "/v1/channels/web", { key, rawBody: "[" }), 401, "unauthorized");
    }
    expectProblem(await call("POST", "/v1/tenants", { key: "not-the-platform-key", idempotencyKey: unique("idem"), rawBody: "{" }), 401, "unauthorized");
    // With a good key the same body is the client's mistake.
    expectProblem(await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), rawBody: "{ not json" }), 400, "malformed_json");
  });
});

/** Whether Miniflare holds an object of that name in the namespace: objects that were never created have no id there. */
async function exists<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, name: string): Promise<boolean> {
  const wanted = namespace.idFromName(name);
  return (await listDurableObjectIds(namespace)).some((id) => id.equals(wanted));
}

describe("nothing is created for an unknown tenant", () => {
  it("refuses keys and webhooks naming a made-up tenant without bringing any object of it into being", async () => {
    const ghost = unique("ghost");
    const ghostKey = `ssk_${ghost}_${"c".repeat(40)}`;
    expectProblem(await readTenant(ghostKey), 401, "unauthorized");
    expectProblem(await call("POST", "/v1/inventory/sku-1/reservations", { key: ghostKey, idempotencyKey: unique("idem"), body: { qty: 1, channel: "web", reference: "x" } }), 401, "unauthorized");
    const webhook = await deliver(ghost, "any-secret", { topic: "orders/create", body: "{}" });
    expectProblem(webhook, 401, "unauthorized");

    expect(await exists(env.TENANT_REGISTRY, ghost)).toBe(false);
    expect(await exists(env.SHOPIFY_INTEGRATION, ghost)).toBe(false);
    expect(await exists(env.AVAILABILITY_INDEX, ghost)).toBe(false);
    expect(await exists(env.SKU_INVENTORY, `${ghost}/sku-1`)).toBe(false);

    // Created later, the tenant starts empty: its first admin key is its only key.
    const tenant = await createTenant(ghost);
    expect((await call("GET", "/v1/keys", { key: tenant.adminKey })).body.keys).toHaveLength(1);
    expect(await exists(env.TENANT_REGISTRY, ghost)).toBe(true);
  });
});
