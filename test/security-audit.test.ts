import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { auditShards, tenantAudit } from "../durable/objects.ts";
import { ManualClock, systemClock } from "../shared/clock.ts";
import { auditClock, signInResolutionMs } from "../workers/middleware/audit-trail.ts";
import { call, createKey, reserve, tenantWithStock, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

afterEach(() => {
  auditClock.clock = systemClock;
});

interface Audit {
  seq: number;
  at: string;
  kind: string;
  keyId: string | null;
  role: string | null;
  method: string;
  route: string;
  objectId: string | null;
  status: number;
  outcome: string;
  requestId: string;
  traceId: string;
}

async function audit(tenant: TestTenant, query = ""): Promise<{ records: Audit[]; nextCursor: string | null }> {
  const response = await call("GET", `/v1/audit?limit=500${query}`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body as { records: Audit[]; nextCursor: string | null };
}

/** Sign-ins by reads are recorded after the answer (waitUntil): ask until the record is there. */
async function eventually(tenant: TestTenant, query: string, accept: (records: Audit[]) => boolean): Promise<Audit[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { records } = await audit(tenant, query);
    if (accept(records) || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function newKey(tenant: TestTenant, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body });
  expect(response.status).toBe(201);
  return { id: response.body.id, secret: response.body.key };
}

describe("the audit trail", () => {
  it("records every write with who, what, outcome, request id and trace id, before the write is answered", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 2 });
    const channel = await newKey(tenant, { role: "channel", channel: "web" });
    const readonly = await newKey(tenant, { role: "readonly" });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    const granted = await reserve({ ...tenant, adminKey: channel.secret }, sku, { qty: 2 }, unique("idem"));
    expect(granted.status).toBe(201);
    const refused = await call("POST", `/v1/inventory/${sku}/reservations`, {
      key: channel.secret,
      idempotencyKey: unique("idem"),
      body: { qty: 1, channel: "web", reference: "order-2" },
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expectProblem(refused, 409, "insufficient_stock");
    expectProblem(await call("PUT", `/v1/inventory/${sku}/locations/wh-1`, { key: readonly.secret, body: { onHand: 0 } }), 403, "forbidden");

    // No waiting: a write's record is in before its answer.
    const { records } = await audit(tenant, "&kind=write");
    const route = "/v1/inventory/:sku/reservations";
    expect(records.filter((record) => record.keyId === channel.id)).toEqual([
      expect.objectContaining({ kind: "write", role: "channel", method: "POST", route, objectId: sku, status: 201, outcome: "ok", requestId: granted.headers.get("x-request-id"), traceId: granted.headers.get("traceresponse")!.split("-")[1] }),
      expect.objectContaining({ kind: "write", role: "channel", method: "POST", route, objectId: sku, status: 409, outcome: "insufficient_stock", requestId: refused.body.instance, traceId }),
    ]);
    expect(records.find((record) => record.keyId === readonly.id)).toMatchObject({ role: "readonly", method: "PUT", route: "/v1/inventory/:sku/locations/:location", objectId: `${sku}/wh-1`, status: 403, outcome: "forbidden" });
    // The key creations are writes of the admin, naming the key created.
    expect(records.filter((record) => record.route === "/v1/keys").map((record) => record.objectId)).toEqual(expect.arrayContaining([channel.id, readonly.id]));
    expect(records.every((record) => !Number.isNaN(Date.parse(record.at)))).toBe(true);
  });

  it("records a key's reads as one sign-in a minute, and a refused key of the tenant as a failed sign-in", async () => {
    const { tenant } = await tenantWithStock();
    const clock = new ManualClock(Date.now());
    auditClock.clock = clock;
    const readonly = await newKey(tenant, { role: "readonly" });

    for (let i = 0; i < 3; i++) expect((await call("GET", "/v1/tenant", { key: readonly.secret })).status).toBe(200);
    let signIns = await eventually(tenant, `&keyId=${readonly.id}`, (records) => records.length >= 1);
    expect(signIns).toEqual([expect.objectContaining({ kind: "sign_in", role: "readonly", method: "GET", route: "/v1/tenant", status: 200, outcome: "ok" })]);

    clock.advance(signInResolutionMs);
    expect((await call("GET", "/v1/locations", { key: readonly.secret })).status).toBe(200);
    signIns = await eventually(tenant, `&keyId=${readonly.id}`, (records) => records.length >= 2);
    expect(signIns.map((record) => record.route)).toEqual(["/v1/tenant", "/v1/locations"]);

    expect((await call("DELETE", `/v1/keys/${readonly.id}`, { key: tenant.adminKey })).status).toBe(200);
    const revokedUse = await call("GET", "/v1/tenant", { key: readonly.secret });
    expectProblem(revokedUse, 401, "key_revoked");
    const failed = await eventually(tenant, "&outcome=key_revoked", (records) => records.length >= 1);
    expect(failed).toEqual([expect.objectContaining({ kind: "sign_in", keyId: null, role: null, status: 401, requestId: revokedUse.body.instance })]);
    expect((await audit(tenant, "&route=/v1/keys/:id")).records).toEqual([expect.objectContaining({ method: "DELETE", objectId: readonly.id, outcome: "ok" })]);
  });

  it("filters by key, route, outcome and time, and pages with a cursor", async () => {
    const { tenant } = await tenantWithStock();
    const clock = new ManualClock(Date.now());
    // Every object of the trail on the test's clock: a record's time is that of the object that holds it.
    for (let shard = 0; shard < auditShards; shard++) await useClock(tenantAudit(env, tenant.id, shard), clock);
    const before = await audit(tenant, "&kind=write");
    const split = new Date(clock.advance(60_000)).toISOString();
    // A millisecond apart: the trail is ordered by time, and records of the same instant (in different objects) in no set order.
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      expect((await call("PUT", `/v1/locations/extra-${i}`, { key: tenant.adminKey, body: { type: "store" } })).status).toBe(200);
    }
    clock.advance(60_000);
    expectProblem(await call("PUT", "/v1/channels/bad", { key: tenant.adminKey, body: { locations: ["nowhere"] } }), 422, "unknown_location");

    const since = await audit(tenant, `&kind=write&since=${encodeURIComponent(split)}`);
    expect(since.records.map((record) => record.objectId)).toEqual(["extra-0", "extra-1", "extra-2", "extra-3", "extra-4", "bad"]);
    const until = await audit(tenant, `&kind=write&until=${encodeURIComponent(split)}`);
    expect(until.records.map((record) => record.seq)).toEqual(before.records.map((record) => record.seq));
    expect((await audit(tenant, "&outcome=unknown_location")).records.map((record) => record.objectId)).toEqual(["bad"]);
    expect((await audit(tenant, "&route=/v1/locations/:location&outcome=ok")).records).toHaveLength(8);

    const paged: number[] = [];
    let cursor = "";
    for (let pages = 0; pages < 20; pages++) {
      const response = await call("GET", `/v1/audit?kind=write&route=/v1/locations/:location&limit=3${cursor}`, { key: tenant.adminKey });
      paged.push(...response.body.records.map((record: Audit) => record.seq));
      if (!response.body.nextCursor) break;
      cursor = `&cursor=${response.body.nextCursor}`;
    }
    expect(paged).toEqual((await audit(tenant, "&kind=write&route=/v1/locations/:location")).records.map((record) => record.seq));
    expect(new Set(paged).size).toBe(8);
  });

  it("is for the tenant's admins only, shows nothing of another tenant, and no route changes or deletes a record", async () => {
    const { tenant } = await tenantWithStock();
    const { tenant: other } = await tenantWithStock();
    const readonly = await createKey(tenant, { role: "readonly" });
    const channel = await createKey(tenant, { role: "channel", channel: "web" });
    const mine = await audit(tenant);
    expect(mine.records.length).toBeGreaterThan(0);

    expectProblem(await call("GET", "/v1/audit", { key: readonly }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/audit", { key: channel }), 403, "forbidden");
    const theirs = await audit(other);
    const myRequests = new Set(mine.records.map((record) => record.requestId));
    expect(theirs.records.some((record) => myRequests.has(record.requestId))).toBe(false);

    for (const [method, path] of [["PUT", "/v1/audit"], ["DELETE", "/v1/audit"], ["POST", "/v1/audit"], ["PATCH", "/v1/audit"], ["DELETE", `/v1/audit/${mine.records[0]!.seq}`], ["PUT", `/v1/audit/${mine.records[0]!.seq}`]] as const) {
      expectProblem(await call(method, path, { key: tenant.adminKey, body: { outcome: "ok" } }), 404, "not_found");
    }
    const after = await audit(tenant, "&kind=write");
    expect(after.records).toEqual(mine.records.filter((record) => record.kind === "write"));
  });
});
