import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { erpConnection } from "../durable/objects.ts";
import type { ErpFileList } from "../shared/schemas/erp-connections.ts";
import { call, type TestTenant } from "./api.ts";
import { eventually } from "./event-fixtures.ts";
import { booksWithASale, erpInbox } from "./erp-posting-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

async function files(tenant: TestTenant): Promise<ErpFileList["files"]> {
  return (await call<ErpFileList>("GET", "/v1/erp/connections/books/files", { key: tenant.adminKey })).body.files;
}

/** When the connection's alarm is due, in ms from now (null: none set). */
async function alarmIn(tenant: TestTenant): Promise<number | null> {
  const at = await runInDurableObject(erpConnection(env, tenant.id, "books"), (_instance, state) => state.storage.getAlarm());
  return at === null ? null : at - Date.now();
}

describe("the ledger nudges the tenant's enabled ERP connections when it posts", () => {
  it("a journal the ledger posts reaches the connection within seconds, not a catch-up period (60 s here)", async () => {
    const { tenant, journalId, closeDay } = await booksWithASale();
    const inbox = erpInbox();
    expect((await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { type: "file", settings: { deliverTo: inbox.url } } })).status).toBe(201);
    await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
    expect(await files(tenant)).toEqual([]);
    expect(await alarmIn(tenant)).toBeGreaterThan(30_000);

    await closeDay();
    await eventually(async () => ((await files(tenant)).some((file) => file.delivered) ? true : undefined), 5_000);
    expect((await files(tenant)).map((file) => file.journalId)).toEqual([journalId]);
    expect(inbox.deliveries.map((delivery) => delivery.idempotencyKey)).toEqual([journalId]);
  });

  it("a disabled connection sends nothing, is not nudged, and takes the journal when a PUT resumes it", async () => {
    const { tenant, journalId, closeDay } = await booksWithASale();
    const inbox = erpInbox();
    const body = { type: "file", settings: { deliverTo: inbox.url } };
    expect((await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body })).status).toBe(201);
    await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
    expect((await call("DELETE", "/v1/erp/connections/books", { key: tenant.adminKey })).status).toBe(200);

    await closeDay();
    await scheduler.wait(1_000);
    expect(await alarmIn(tenant)).not.toBeLessThan(30_000);
    await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
    expect(await files(tenant)).toEqual([]);
    expect(inbox.deliveries).toEqual([]);
    expect(await alarmIn(tenant)).toBeNull();

    expect((await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { ...body, enabled: true } })).status).toBe(200);
    await eventually(async () => (inbox.deliveries.length > 0 ? true : undefined), 5_000);
    expect(inbox.deliveries.map((delivery) => delivery.idempotencyKey)).toEqual([journalId]);
    expect((await files(tenant)).map((file) => [file.journalId, file.delivered])).toEqual([[journalId, true]]);
  });
});
