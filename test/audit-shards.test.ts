import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { auditShards, tenantAudit } from "../durable/objects.ts";
import { call, createKey, tenantWithStock, unique } from "./api.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

interface Record {
  seq: number;
  at: string;
  requestId: string;
}

describe("a tenant's audit trail over several objects", () => {
  it("records 40 concurrent writes once each, spread over the trail's objects, and pages through them oldest first", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 100 });
    const channelKey = await createKey(tenant, { role: "channel", channel: "web" });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => call("POST", `/v1/inventory/${sku}/reservations`, { key: channelKey, idempotencyKey: unique("idem"), body: { qty: 1, channel: "web", reference: "audit" } })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array<number>(40).fill(201));

    // Held by several objects: one object per tenant no longer takes every write.
    const held = await Promise.all(
      Array.from({ length: auditShards }, (_, shard) =>
        runInDurableObject(tenantAudit(env, tenant.id, shard), (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM audit_records WHERE route = '/v1/inventory/:sku/reservations'").one().n),
      ),
    );
    expect(held.reduce((total, n) => total + n, 0)).toBe(40);
    expect(held.filter((n) => n > 0).length).toBeGreaterThan(1);

    // Paged 7 at a time: each write once, oldest first, every seq unique.
    const paged: Record[] = [];
    let cursor = "";
    for (let pages = 0; pages < 20; pages++) {
      const page = await call("GET", `/v1/audit?kind=write&route=/v1/inventory/:sku/reservations&limit=7${cursor}`, { key: tenant.adminKey });
      expect(page.status).toBe(200);
      paged.push(...page.body.records);
      if (!page.body.nextCursor) break;
      cursor = `&cursor=${page.body.nextCursor}`;
    }
    expect(paged.map((record) => record.requestId).sort()).toEqual(answers.map((answer) => answer.headers.get("x-request-id")).sort());
    expect(new Set(paged.map((record) => record.seq)).size).toBe(40);
    expect(paged.map((record) => record.at)).toEqual(paged.map((record) => record.at).sort());

    // A cursor of one number, as pages gave before the trail was split, still reads (as the first object's place).
    expect((await call("GET", "/v1/audit?cursor=0&limit=500", { key: tenant.adminKey })).status).toBe(200);
    const bad = await call("GET", "/v1/audit?cursor=1.x", { key: tenant.adminKey });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation_failed");
  });
});
