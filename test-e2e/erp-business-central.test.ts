import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import { documentNumberOf } from "../durable/connectors/business-central-api.ts";
import type { Journal, JournalSummary } from "../shared/schemas/finance.ts";
import { businessCentralDocumentNumberOf } from "../shared/sales-document-ids.ts";
import { closedDay, drained, erpStatus, fulfilledOrder, internalIds, salesDocumentsDrained } from "./erp-fixtures.ts";
import { FakeBusinessCentral, type FakeBusinessCentralOptions } from "./fakes/business-central.ts";
import { seedStore, useEdge, waitFor, type SeededStore } from "./harness.ts";

/*
 * The tenant's books posted to a Business Central test environment from a
 * real edge (Miniflare): journal lines in $batch requests of at most 100
 * operations, then Microsoft.NAV.post, within 6,000 requests per 5 minutes;
 * a lost answer to the post, a 503 and a restart of the edge post nothing
 * twice.
 */

const rig = useEdge("erp-business-central");

async function businessCentral(options: FakeBusinessCentralOptions = {}): Promise<FakeBusinessCentral> {
  const fake = await FakeBusinessCentral.start({ accounts: Object.keys(internalIds), ...options });
  onTestFinished(() => fake.close());
  return fake;
}

function connect(store: SeededStore, fake: FakeBusinessCentral, id: string, settings: Record<string, unknown> = {}) {
  return edgeRequest(rig.edge.url, "PUT", `/v1/erp/connections/${id}`, {
    key: store.adminKey,
    body: {
      type: "business-central",
      settings: { directoryId: fake.directoryId, environment: fake.environment, companyId: fake.companyId, baseUrl: fake.url, tokenUrl: fake.tokenUrl, ...settings },
      credentials: { clientId: fake.clientId, clientSecret: fake.clientSecret },
    },
  });
}

/** Each journal's G/L entries in Business Central: its lines, balanced, posted once. */
async function expectPostedOnce(fake: FakeBusinessCentral, store: SeededStore, journals: JournalSummary[]): Promise<void> {
  for (const summary of journals) {
    const journal = await edgeCall<Journal>(rig.edge.url, "GET", `/v1/finance/journals/${summary.id}`, { key: store.adminKey });
    const entries = fake.entriesOf(await documentNumberOf(summary.id));
    expect(entries).toHaveLength(journal.lines.length);
    const debits = entries.reduce((total, entry) => total + Math.round(entry.debitAmount * 100), 0);
    const credits = entries.reduce((total, entry) => total + Math.round(entry.creditAmount * 100), 0);
    expect(debits).toBe(credits);
    expect(debits).toBe(journal.totalDebit);
    expect(entries.map((entry) => entry.accountNumber)).toEqual(journal.lines.map((line) => line.account));
    expect(entries.every((entry) => entry.postingDate === journal.date)).toBe(true);
  }
}

describe("a Business Central connection", () => {
  it("sends a fulfilled order's sales document once as a salesOrder with its lines, across a creation whose answer was lost, within the limits", async () => {
    const fake = await businessCentral({ customers: ["C-WEB"], items: ["1996-S"] });
    const store = await seedStore(rig.edge.url, { "ERP-SKU": 100 });
    expect((await connect(store, fake, "bc-orders", { salesDocuments: { enabled: true, customerNumber: "C-WEB", items: { "ERP-SKU": "1996-S" } } })).status).toBe(201);
    fake.failNext("order-cut-after-apply");
    const { orderId, externalId } = await fulfilledOrder(rig.edge, store, "ERP-SKU", 3);

    const number = await businessCentralDocumentNumberOf(externalId);
    const [document] = await salesDocumentsDrained(rig.edge, store, "bc-orders", 1);
    expect(document).toMatchObject({ externalId, orderId, remoteId: number, state: "posted" });
    const orders = [...fake.salesOrders.values()];
    expect(orders).toEqual([expect.objectContaining({ externalDocumentNumber: number, customerNumber: "C-WEB" })]);
    expect([...fake.salesOrderLines.values()]).toEqual([expect.objectContaining({ documentId: orders[0]!.id, lineType: "Item", lineObjectNumber: "1996-S", quantity: 3, unitPrice: 19.99, discountAmount: 0 })]);
    // The creation whose answer was lost was found by its externalDocumentNumber, not made again.
    expect(fake.stats).toMatchObject({ salesOrdersCreated: 1, salesOrderLinesCreated: 1, violations: 0, posts: 0 });
    expect(fake.stats.maxBatchOperations).toBeLessThanOrEqual(100);
    const status = await erpStatus(rig.edge, store, "bc-orders");
    expect(status.salesDocuments).toMatchObject({ pending: 0, refused: 0 });
    expect(status.lastError?.message).toContain("no answer from Business Central");
  });

  it("posts each journal once through journalLines and Microsoft.NAV.post, across a 503 and a post whose answer was lost", async () => {
    const fake = await businessCentral();
    const { store, journals } = await closedDay(rig.edge, 2);
    fake.failNext("5xx", "post-cut-after-apply");
    const put = await connect(store, fake, "bc-main");
    expect(put.status).toBe(201);
    expect(JSON.stringify(put.body)).not.toContain(fake.clientSecret);
    const status = await drained(rig.edge, store, "bc-main");
    expect(status).toMatchObject({ state: "idle", refused: 0 });
    await expectPostedOnce(fake, store, journals);
    // The post whose answer was lost went through once; the journal was found in the G/L, not posted again.
    expect(fake.stats).toMatchObject({ posts: journals.length, violations: 0 });
    expect(fake.stats.maxBatchOperations).toBeLessThanOrEqual(100);
    expect(fake.lines.size).toBe(0);
  });

  it("posts 20 stores' journals within Business Central's limits, and a restart of the edge mid-way posts none twice", async () => {
    const fake = await businessCentral({ latencyMs: 25 });
    const { store, journals } = await closedDay(rig.edge, 20);
    expect((await connect(store, fake, "bc-many")).status).toBe(201);
    await waitFor("a few journals posted", 30_000, async () => (fake.stats.posts >= 3 ? true : undefined), 10);
    await rig.edge.stop();
    expect(fake.stats.posts).toBeLessThan(journals.length);
    await rig.edge.start();
    await drained(rig.edge, store, "bc-many", 90_000);
    await expectPostedOnce(fake, store, journals);
    expect(fake.stats).toMatchObject({ posts: journals.length, violations: 0 });
    expect(fake.stats.maxBatchOperations).toBeLessThanOrEqual(100);
  });

  it("stops at its request budget and waits for the window instead of going over it", async () => {
    // 12 requests per 5 minutes: the journal batch lookup and one journal (7 requests) fit, the second journal's lines do not.
    const fake = await businessCentral({ requestsPerWindow: 12 });
    const { store, journals } = await closedDay(rig.edge, 2);
    expect((await connect(store, fake, "bc-budget", { requestsPerFiveMinutes: 12 })).status).toBe(201);
    const waiting = await waitFor("the connection to wait for its window", 30_000, async () => {
      const status = await erpStatus(rig.edge, store, "bc-budget");
      return status.state === "throttled" && status.pending.journals === journals.length - 1 ? status : undefined;
    });
    expect(waiting.budget).toMatchObject({ requestsPerFiveMinutes: 12 });
    expect(waiting.budget.remaining).toBeLessThan(4);
    // Several catch-up runs later (every 2 s here), still nothing over the budget.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(fake.stats).toMatchObject({ posts: 1, violations: 0 });
    expect((await erpStatus(rig.edge, store, "bc-budget")).pending.journals).toBe(journals.length - 1);
  });

  it("refuses settings that cannot work with problem+json and a stable code, changing nothing", async () => {
    const fake = await businessCentral();
    const { store } = await closedDay(rig.edge, 1);
    for (const settings of [{ companyId: "not-a-guid" }, { baseUrl: `${fake.url}/api` }, { requestsPerFiveMinutes: 6_001 }, { journalCode: "far-too-long-code" }]) {
      const refused = await connect(store, fake, "bc-bad", settings);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: "validation_failed" });
    }
    expect((await edgeRequest(rig.edge.url, "GET", "/v1/erp/connections/bc-bad", { key: store.adminKey })).status).toBe(404);
    expect(fake.stats.calls).toBe(0);
  });
});
