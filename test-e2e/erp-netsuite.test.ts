import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import type { ErpConnection } from "../shared/schemas/erp-connections.ts";
import type { Journal } from "../shared/schemas/finance.ts";
import { netsuiteExternalIdOf } from "../shared/sales-document-ids.ts";
import { closedDay, drained, erpStatus, fulfilledOrder, internalIds, salesDocumentsDrained } from "./erp-fixtures.ts";
import { FakeNetSuite, type FakeNetSuiteOptions } from "./fakes/netsuite.ts";
import { seedStore, useEdge, waitFor, type SeededStore } from "./harness.ts";

/*
 * The tenant's books posted to a NetSuite test account from a real edge
 * (Miniflare): each journal the ledger posts is upserted once by its
 * external id, within the account's concurrency limit, balanced on
 * NetSuite's side; lost answers, 5xx, a restart of the edge and a refused
 * journal post nothing twice and block nothing else.
 */

const rig = useEdge("erp-netsuite");

async function netsuite(options: FakeNetSuiteOptions = {}): Promise<FakeNetSuite> {
  const fake = await FakeNetSuite.start({ accounts: Object.values(internalIds), ...options });
  onTestFinished(() => fake.close());
  return fake;
}

function connect(store: SeededStore, fake: FakeNetSuite, id: string, overrides: { accounts?: Record<string, string>; privateKey?: string; baseUrl?: string } = {}) {
  return edgeRequest<ErpConnection>(rig.edge.url, "PUT", `/v1/erp/connections/${id}`, {
    key: store.adminKey,
    body: {
      type: "netsuite",
      settings: { accountId: fake.accountId, baseUrl: overrides.baseUrl ?? fake.url, subsidiary: "1", accounts: overrides.accounts ?? internalIds, concurrency: 5 },
      credentials: { clientId: fake.clientId, certificateId: fake.certificateId, privateKey: overrides.privateKey ?? fake.privateKey },
    },
  });
}

/** A connection that sends sales documents only (no accounts mapped for journals matter here), under customer 42. */
function connectOrders(store: SeededStore, fake: FakeNetSuite, id: string, items: Record<string, string>) {
  return edgeRequest<ErpConnection>(rig.edge.url, "PUT", `/v1/erp/connections/${id}`, {
    key: store.adminKey,
    body: {
      type: "netsuite",
      settings: { accountId: fake.accountId, baseUrl: fake.url, accounts: internalIds, salesDocuments: { enabled: true, customer: "42", items } },
      credentials: { clientId: fake.clientId, certificateId: fake.certificateId, privateKey: fake.privateKey },
    },
  });
}

describe("a NetSuite connection", () => {
  it("posts each journal of a closed day once, balanced, with its lines and dimensions; a lost answer, a 503 and a 429 resend nothing twice", async () => {
    const fake = await netsuite();
    const { store, journals } = await closedDay(rig.edge, 2);
    fake.failNext("cut-after-apply", "5xx", "429");
    const put = await connect(store, fake, "netsuite-main");
    expect(put.status).toBe(201);
    expect(put.body.credentials.privateKey).toMatch(/^•+/);
    expect(JSON.stringify(put.body)).not.toContain("BEGIN PRIVATE KEY");

    const status = await drained(rig.edge, store, "netsuite-main");
    expect(status).toMatchObject({ state: "idle", refused: 0, pending: { journals: 0 }, budget: { concurrency: 5 } });
    expect(status.lastHour.throttled).toBe(1);
    expect(status.lastHour.posted).toBe(journals.length);
    expect(fake.journals()).toHaveLength(journals.length);
    expect(fake.stats).toMatchObject({ created: journals.length, violations: 0 });
    for (const summary of journals) {
      const journal = await edgeCall<Journal>(rig.edge.url, "GET", `/v1/finance/journals/${summary.id}`, { key: store.adminKey });
      const posted = fake.journal(summary.id)!;
      expect(posted).toBeDefined();
      const debits = posted.lines.reduce((total, line) => total + Math.round(line.debit * 100), 0);
      const credits = posted.lines.reduce((total, line) => total + Math.round(line.credit * 100), 0);
      expect(debits).toBe(credits);
      expect(debits).toBe(journal.totalDebit);
      expect(posted.lines.map((line) => line.account)).toEqual(journal.lines.map((line) => internalIds[line.account]));
      expect(posted).toMatchObject({ tranDate: journal.date, subsidiary: "1" });
    }
    // The journal whose answer was lost was applied, then sent again: NetSuite updated the same entry.
    expect(fake.stats.updated).toBe(1);
    expect(fake.journals().filter((journal) => journal.writes > 1)).toHaveLength(1);
    expect(fake.journal(journals.find((j) => j.location === "store-001")!.id)!.lines[0]).toMatchObject({ location: "7", department: "3" });

    // Nothing more goes out: the feed is read to its end, nothing is pending.
    const calls = fake.stats.created + fake.stats.updated;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(fake.stats.created + fake.stats.updated).toBe(calls);
  });

  it("posts 20 stores' journals with at most 5 requests in flight, and a restart of the edge mid-way posts none twice", async () => {
    const fake = await netsuite({ latencyMs: 150 });
    const { store, journals } = await closedDay(rig.edge, 20);
    expect(journals.length).toBeGreaterThanOrEqual(20);
    expect((await connect(store, fake, "netsuite-many")).status).toBe(201);
    await waitFor("a few journals in NetSuite", 30_000, async () => (fake.stats.created >= 3 ? true : undefined), 20);
    await rig.edge.stop();
    expect(fake.stats.created).toBeLessThan(journals.length);
    await rig.edge.start();
    await drained(rig.edge, store, "netsuite-many", 90_000);
    expect(fake.journals().map((journal) => journal.externalId).sort()).toEqual(journals.map((journal) => journal.id).sort());
    expect(fake.stats).toMatchObject({ created: journals.length, violations: 0 });
    expect(fake.stats.maxInFlight).toBeLessThanOrEqual(5);
    expect(fake.stats.maxInFlight).toBeGreaterThan(1);
  });

  it("sets a journal NetSuite refuses aside as an exception, posts the others, and posts it on replay once the account is mapped", async () => {
    const fake = await netsuite({ accounts: Object.values(internalIds).filter((id) => id !== "110") });
    const { store, journals } = await closedDay(rig.edge, 2);
    expect((await connect(store, fake, "netsuite-refusing")).status).toBe(201);
    // Card sales clear through 1020 (internal id 110), which this NetSuite account lacks: every journal has a card line.
    const refused = await waitFor("the journals refused", 30_000, async () => {
      const status = await erpStatus(rig.edge, store, "netsuite-refusing");
      return status.refused === journals.length ? status : undefined;
    });
    expect(refused.lastError?.message).toContain("INVALID_KEY_OR_REF");
    const page = await edgeCall<{ exceptions: { id: string; type: string; payload: { journalId: string } }[] }>(rig.edge.url, "GET", "/v1/exceptions?type=erp_journal_refused", { key: store.adminKey });
    expect(page.exceptions.map((exception) => exception.payload.journalId).sort()).toEqual(journals.map((journal) => journal.id).sort());
    expect(fake.stats.created).toBe(0);

    // The account is mapped to one NetSuite has; replaying each exception posts its journal.
    expect((await connect(store, fake, "netsuite-refusing", { accounts: { ...internalIds, "1020": "109" } })).status).toBe(200);
    for (const exception of page.exceptions) {
      const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${exception.id}/replay`, { key: store.adminKey, body: {} });
      expect(replay.outcome).toBe("resolved");
    }
    expect(fake.stats).toMatchObject({ created: journals.length, violations: 0 });
  });

  it("sends a fulfilled order's sales document once, as a sales order upserted by its external id, across a lost answer, with zero violations", async () => {
    const fake = await netsuite({ items: ["901"] });
    const store = await seedStore(rig.edge.url, { "ERP-SKU": 100 });
    expect((await connectOrders(store, fake, "netsuite-orders", { "ERP-SKU": "901" })).status).toBe(201);
    fake.failNext("cut-after-apply");
    const { orderId, externalId } = await fulfilledOrder(rig.edge, store, "ERP-SKU", 2);

    const [document] = await salesDocumentsDrained(rig.edge, store, "netsuite-orders", 1);
    expect(document).toMatchObject({ externalId, orderId, remoteId: netsuiteExternalIdOf(externalId), state: "posted" });
    expect(fake.salesOrders()).toEqual([
      expect.objectContaining({ externalId: netsuiteExternalIdOf(externalId), entity: "42", shippingCost: 5, items: [{ item: "901", quantity: 2, rate: 19.99, amount: 39.98 }], writes: 2 }),
    ]);
    expect(fake.salesOrders()[0]!.memo).toContain(externalId);
    // Applied, its answer cut, then sent again: NetSuite updated the one order.
    expect(fake.stats).toMatchObject({ salesOrdersCreated: 1, salesOrdersUpdated: 1, violations: 0, created: 0 });
    const status = await erpStatus(rig.edge, store, "netsuite-orders");
    expect(status.salesDocuments).toMatchObject({ pending: 0, refused: 0 });

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(fake.stats.salesOrdersCreated + fake.stats.salesOrdersUpdated).toBe(2);
  });

  it("refuses a sales document with an unmapped SKU without a call, as an exception, and sends it once on replay after the SKU is mapped", async () => {
    const fake = await netsuite({ items: ["901"] });
    const store = await seedStore(rig.edge.url, { "ERP-SKU": 100 });
    expect((await connectOrders(store, fake, "netsuite-unmapped", {})).status).toBe(201);
    const { orderId, externalId } = await fulfilledOrder(rig.edge, store, "ERP-SKU", 1);
    const [document] = await salesDocumentsDrained(rig.edge, store, "netsuite-unmapped", 1);
    expect(document).toMatchObject({ externalId, state: "refused" });
    expect(document!.lastError).toContain("ERP-SKU");
    const page = await edgeCall<{ exceptions: { id: string; correlationId: string; payload: { externalId: string; orderId: string } }[] }>(rig.edge.url, "GET", "/v1/exceptions?type=erp_sales_document_refused", { key: store.adminKey });
    expect(page.exceptions.map((exception) => [exception.payload.externalId, exception.payload.orderId, exception.correlationId])).toEqual([[externalId, orderId, orderId]]);
    expect(fake.stats).toMatchObject({ salesOrdersCreated: 0, salesOrdersUpdated: 0, refused: 0 });
    expect((await erpStatus(rig.edge, store, "netsuite-unmapped")).salesDocuments).toMatchObject({ pending: 0, refused: 1 });

    expect((await connectOrders(store, fake, "netsuite-unmapped", { "ERP-SKU": "901" })).status).toBe(200);
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${page.exceptions[0]!.id}/replay`, { key: store.adminKey, body: {} });
    expect(replay.outcome).toBe("resolved");
    expect(fake.salesOrders().map((order) => [order.externalId, order.writes])).toEqual([[netsuiteExternalIdOf(externalId), 1]]);
    expect(fake.stats.violations).toBe(0);

    // The order's trace shows the refusal, then the posting, from the connection.
    const { traceId } = await edgeCall<{ traceId: string }>(rig.edge.url, "GET", `/v1/orders/${orderId}`, { key: store.adminKey });
    const trace = await edgeCall<{ hops: { hop: string; where: string; detail: string }[] }>(rig.edge.url, "GET", `/v1/traces/${traceId}`, { key: store.adminKey });
    expect(trace.hops.filter((hop) => hop.hop.startsWith("erp.")).map((hop) => [hop.hop, hop.where])).toEqual([
      ["erp.sales_document_refused", "netsuite-unmapped"],
      ["erp.sales_document_posted", "netsuite-unmapped"],
    ]);
    expect(trace.hops.find((hop) => hop.hop === "erp.sales_document_refused")!.detail).toContain("ERP-SKU");
  });

  it("refuses settings that cannot work with problem+json and a stable code, changing nothing", async () => {
    const fake = await netsuite();
    const { store } = await closedDay(rig.edge, 1);
    const badKey = await connect(store, fake, "netsuite-bad", { privateKey: `-----BEGIN PRIVATE KEY-----\n${"A".repeat(120)}\n-----END PRIVATE KEY-----` });
    expect(badKey.status).toBe(422);
    expect(badKey.body).toMatchObject({ code: "erp_connection_invalid" });
    const plainHttp = await connect(store, fake, "netsuite-bad", { baseUrl: "http://netsuite.example.com" });
    expect(plainHttp.status).toBe(400);
    expect(plainHttp.body).toMatchObject({ code: "validation_failed" });
    expect((await edgeRequest(rig.edge.url, "GET", "/v1/erp/connections/netsuite-bad", { key: store.adminKey })).status).toBe(404);
    expect(fake.stats.calls).toBe(0);
  });
});
