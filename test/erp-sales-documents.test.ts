import { runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErpConnection } from "../durable/erp-connection.ts";
import { erpConnection, financeLedger } from "../durable/objects.ts";
import { connection } from "../durable/schema/erp-connection.ts";
import type { ErpConnectionStatus, ErpSalesDocumentList } from "../shared/schemas/erp-connections.ts";
import type { SourceTrace } from "../shared/schemas/finance.ts";
import { call, tenantWithStock, type TestTenant } from "./api.ts";
import { erpInbox, type ErpInbox } from "./erp-posting-fixtures.ts";
import { eventually } from "./event-fixtures.ts";
import { financeSettings, parseCsv } from "./finance-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";

quietAccessLog();

async function documents(tenant: TestTenant): Promise<ErpSalesDocumentList["documents"]> {
  return (await call<ErpSalesDocumentList>("GET", "/v1/erp/connections/books/sales-documents", { key: tenant.adminKey })).body.documents;
}

/** When the connection's alarm is due, in ms from now (null: none set). */
async function alarmIn(tenant: TestTenant): Promise<number | null> {
  const at = await runInDurableObject(erpConnection(env, tenant.id, "books"), (_instance, state) => state.storage.getAlarm());
  return at === null ? null : at - Date.now();
}

/**
 * A stocked tenant (wh-1 holds 10 of one SKU) with finance settings, and a
 * file connection sending sales documents to an inbox, idle until its 60 s
 * catch-up: anything that reaches the inbox sooner came through the nudge.
 */
async function booksWithSalesDocuments(salesDocumentsOn: "created" | "fulfilled"): Promise<{ tenant: TestTenant; sku: string; inbox: ErpInbox }> {
  const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
  expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ salesDocumentsOn }) })).status).toBe(200);
  const inbox = erpInbox();
  const put = await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { type: "file", settings: { deliverTo: inbox.url, salesDocuments: { enabled: true, customer: "Web customers" } } } });
  expect(put.status).toBe(201);
  await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
  expect(await alarmIn(tenant)).toBeGreaterThan(30_000);
  return { tenant, sku, inbox };
}

describe("orders reach the ERP as sales documents, each once", () => {
  it("a fulfilled order reaches the file connection within seconds (the nudge), under the order's external id, once whatever the feed is read again or the event sent again", async () => {
    const { tenant, sku, inbox } = await booksWithSalesDocuments("fulfilled");
    const body = orderBody([[sku, 2]], { shipping: 500 });
    const order = await submitOrder(tenant.adminKey, body);
    expect(order.status).toBe(201);
    await scheduler.wait(500);
    expect(inbox.deliveries).toEqual([]);

    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 2 }] })).status).toBe(200);
    const externalId = `web:${body.externalId}`;
    await eventually(() => (inbox.deliveries.length > 0 ? true : undefined), 5_000);
    expect(inbox.deliveries.map((delivery) => delivery.idempotencyKey)).toEqual([externalId]);
    const rows = parseCsv(inbox.deliveries[0]!.body);
    expect(rows[0]).toContain("External ID");
    expect(rows.slice(1).map((row) => [row[0], row[2], row[7], row[8], row[9]])).toEqual([[externalId, "Web customers", sku, "2", "10.00"]]);
    expect(rows[1]![6]).toBe("5.00");

    const listed = await documents(tenant);
    expect(listed.map(({ externalId, remoteId, orderId, state }) => ({ externalId, remoteId, orderId, state }))).toEqual([{ externalId, remoteId: externalId, orderId: order.body.id, state: "posted" }]);
    const trace = await call<SourceTrace>("GET", `/v1/finance/sources/order/${order.body.id}`, { key: tenant.adminKey });
    expect(trace.body.contributions.map((contribution) => contribution.salesDocumentId)).toEqual([externalId]);
    // The order's trace shows the document reaching the ERP, from the connection.
    const hops = await eventually(async () => {
      const found = (await call("GET", `/v1/traces/${order.body.traceId}`, { key: tenant.adminKey })).body.hops as { hop: string; where: string; detail: string }[] | undefined;
      return found?.some((hop) => hop.hop === "erp.sales_document_posted") ? found : undefined;
    }, 5_000);
    expect(hops!.filter((hop) => hop.hop.startsWith("erp."))).toEqual([expect.objectContaining({ hop: "erp.sales_document_posted", where: "books", detail: `${externalId} to file` })]);
    const file = await SELF.fetch(`https://edge.test/v1/erp/connections/books/sales-documents/${encodeURIComponent(externalId)}/file`, { headers: { authorization: `Bearer ${tenant.adminKey}` } });
    expect(file.status).toBe(200);
    expect(await file.text()).toBe(inbox.deliveries[0]!.body);

    // The fulfilment event sent again (a queue redelivery), and the feed read again from its start (a cursor lost).
    const source = trace.body.contributions[0]!.source;
    const ledger = financeLedger(env, tenant.id);
    const again = await ledger.contribute([
      { kind: "order", trigger: "fulfilled", eventId: source.split(":")[2]!, orderId: order.body.id, channel: "web", externalId: body.externalId, location: "wh-1", occurredAt: new Date().toISOString(), currency: "USD", lines: order.body.lines, shipping: 500, units: [{ sku, qty: 2 }] },
    ]);
    expect(again).toEqual({ booked: 0, skipped: 1 });
    expect((await ledger.salesDocumentsAfter(0, 100)).documents.map((document) => document.externalId)).toEqual([externalId]);
    await runInDurableObject(erpConnection(env, tenant.id, "books"), (instance: ErpConnection) => {
      Reflect.get(instance, "db").update(connection).set({ salesCursor: 0 }).run();
    });
    await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
    expect((await documents(tenant)).map((document) => document.externalId)).toEqual([externalId]);
    expect(inbox.deliveries).toHaveLength(1);
    const status = await call<ErpConnectionStatus>("GET", "/v1/erp/connections/books/status", { key: tenant.adminKey });
    expect(status.body.salesDocuments).toMatchObject({ pending: 0, refused: 0, oldestAgeSeconds: null });
  });

  it("with salesDocumentsOn: created, the document goes at creation, and the fulfilment sends nothing more", async () => {
    const { tenant, sku, inbox } = await booksWithSalesDocuments("created");
    const body = orderBody([[sku, 3]]);
    const order = await submitOrder(tenant.adminKey, body);
    expect(order.status).toBe(201);
    await eventually(() => (inbox.deliveries.length > 0 ? true : undefined), 5_000);
    expect(inbox.deliveries.map((delivery) => delivery.idempotencyKey)).toEqual([`web:${body.externalId}`]);

    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 3 }] })).status).toBe(200);
    await scheduler.wait(1_500);
    await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
    expect(inbox.deliveries).toHaveLength(1);
    expect((await documents(tenant)).map((document) => document.externalId)).toEqual([`web:${body.externalId}`]);
  });

  it("a partial fulfilment then the rest make two documents with stable ids, each with the units it shipped", async () => {
    const { tenant, sku, inbox } = await booksWithSalesDocuments("fulfilled");
    const body = orderBody([[sku, 3]]);
    const order = await submitOrder(tenant.adminKey, body);
    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 1 }] })).status).toBe(200);
    await eventually(() => (inbox.deliveries.length > 0 ? true : undefined), 5_000);
    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 2 }] })).status).toBe(200);
    await eventually(() => (inbox.deliveries.length > 1 ? true : undefined), 5_000);

    const first = `web:${body.externalId}`;
    const second = `web:${body.externalId}~2`;
    expect(inbox.deliveries.map((delivery) => delivery.idempotencyKey)).toEqual([first, second]);
    expect(inbox.deliveries.map((delivery) => parseCsv(delivery.body)[1]![8])).toEqual(["1", "2"]);
    const { documents: fed } = await financeLedger(env, tenant.id).salesDocumentsAfter(0, 100);
    expect(fed.map((document) => [document.externalId, document.sequence, document.lines.map((line) => line.qty)])).toEqual([
      [first, 1, [1]],
      [second, 2, [2]],
    ]);
    expect((await documents(tenant)).map((document) => [document.externalId, document.state])).toEqual([
      [first, "posted"],
      [second, "posted"],
    ]);
  });

  it("a connection that does not enable sales documents sends none (journals only, as before)", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const inbox = erpInbox();
    expect((await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { type: "file", settings: { deliverTo: inbox.url } } })).status).toBe(201);
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 1]]));
    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 1 }] })).status).toBe(200);
    await eventually(async () => ((await financeLedger(env, tenant.id).salesDocumentsAfter(0, 10)).documents.length > 0 ? true : undefined), 5_000);
    await runDurableObjectAlarm(erpConnection(env, tenant.id, "books"));
    expect(inbox.deliveries).toEqual([]);
    expect(await documents(tenant)).toEqual([]);
  });

  it("sales document settings that cannot work are 400 validation_failed, nothing stored", async () => {
    const { tenant } = await tenantWithStock({ "wh-1": 1 });
    const bad = await call("PUT", "/v1/erp/connections/books", {
      key: tenant.adminKey,
      body: { type: "netsuite", settings: { accountId: "1234567", salesDocuments: { enabled: true, items: { "SKU-1": "not-digits" } } }, credentials: { clientId: "client-id-1", certificateId: "certificate-1", privateKey: `-----BEGIN PRIVATE KEY-----${"A".repeat(120)}` } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("validation_failed");
    expect(JSON.stringify(bad.body)).toContain("customer");
    expect((await call("GET", "/v1/erp/connections/books", { key: tenant.adminKey })).status).toBe(404);
  });
});
