import { sampleAccounts as accounts } from "../fixtures/chart-of-accounts.ts";
import { edgeCall } from "../scripts/edge-client.ts";
import type { ErpConnectionStatus, ErpSalesDocumentList } from "../shared/schemas/erp-connections.ts";
import type { JournalPage, JournalSummary } from "../shared/schemas/finance.ts";
import { location, seedStore, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";

/** A chart of accounts as a small retailer numbers it, every kind of line mapped (finance settings), and each account's internal id in the ERP. */
export { sampleAccounts as accounts, sampleInternalIds as internalIds } from "../fixtures/chart-of-accounts.ts";

export interface ClosedDay {
  store: SeededStore;
  date: string;
  journals: JournalSummary[];
}

/**
 * A tenant whose books close a past day: `stores` store locations, each with
 * a store key, two POS sales at each (card and cash) on a day two days ago,
 * sent through the store ingest API; the tenant's books in UTC with a
 * midnight cut-off, so that day is past its cut-off and the ledger posts one
 * journal per store as the sales arrive. Waits for the journals.
 */
export async function closedDay(edge: EdgeHost, stores: number): Promise<ClosedDay> {
  const store = await seedStore(edge.url, { "ERP-SKU": 1_000 });
  await edgeCall(edge.url, "PUT", "/v1/finance/accounts", { key: store.adminKey, body: { timeZone: "UTC", cutoff: "00:00", accounts, dimensions: { locations: { "store-001": "7" }, channels: { pos: "3" } } } });
  const day = new Date(Date.now() - 2 * 86_400_000);
  const date = day.toISOString().slice(0, 10);
  for (let i = 1; i <= stores; i++) {
    const location = `store-${String(i).padStart(3, "0")}`;
    if (i > 2) await edgeCall(edge.url, "PUT", `/v1/locations/${location}`, { key: store.adminKey, body: { type: "store", name: location } });
    const key = i === 1 ? store.storeKey : i === 2 ? store.otherStoreKey : (await edgeCall<{ key: string }>(edge.url, "POST", "/v1/keys", { key: store.adminKey, body: { role: "store", location, name: `till ${location}` } })).key;
    const sale = (n: number, tender: "card" | "cash") => ({
      sequence: n,
      transaction: { transactionId: `${location}-T01-${n}`, terminalId: "T01", type: "sale", lines: [{ sku: "ERP-SKU", qty: n, unitPrice: 1999, tax: 160 * n }], tenders: [{ type: tender, amount: (1999 + 160) * n }], occurredAt: new Date(day.getTime() + n * 60_000).toISOString() },
    });
    await edgeCall(edge.url, "POST", `/v1/stores/${location}/transactions`, { key, body: { transactions: [sale(1, "card"), sale(2, "cash")] } });
  }
  const journals = await waitFor(`${stores} journals of ${date}`, 60_000, async () => {
    const page = await edgeCall<JournalPage>(edge.url, "GET", `/v1/finance/journals?date=${date}&limit=500`, { key: store.adminKey });
    return page.journals.length >= stores ? page.journals : undefined;
  });
  return { store, date, journals };
}

export function erpStatus(edge: EdgeHost, store: SeededStore, id: string): Promise<ErpConnectionStatus> {
  return edgeCall<ErpConnectionStatus>(edge.url, "GET", `/v1/erp/connections/${id}/status`, { key: store.adminKey });
}

/** Waits until the connection has nothing pending and has posted `posted` journals in the last hour. */
export function drained(edge: EdgeHost, store: SeededStore, id: string, timeoutMs = 60_000): Promise<ErpConnectionStatus> {
  return waitFor(`ERP connection ${id} to post every journal`, timeoutMs, async () => {
    const status = await erpStatus(edge, store, id);
    return status.pending.journals === 0 && Number(status.cursor) > 0 ? status : undefined;
  });
}

/**
 * An order on `web` (pooled at store-001) for `qty` of `sku` at 19.99, 5.00
 * shipping, placed and then fulfilled in full through the edge, so that the
 * ledger books it and makes its sales document (decision 0027). Returns the
 * order's id and the document's external id, `web:<channel order id>`.
 */
export async function fulfilledOrder(edge: EdgeHost, store: SeededStore, sku: string, qty: number): Promise<{ orderId: string; externalId: string }> {
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location] } });
  const channelOrderId = `WEB-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
  const order = await edgeCall<{ id: string }>(edge.url, "POST", "/v1/orders", {
    key: store.adminKey,
    body: { channel: "web", externalId: channelOrderId, currency: "USD", lines: [{ sku, qty, unitPrice: 1999 }], shipping: 500, delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
  });
  await edgeCall(edge.url, "POST", `/v1/orders/${order.id}/fulfillments`, { key: store.adminKey, body: { location, lines: [{ sku, qty }] } });
  return { orderId: order.id, externalId: `web:${channelOrderId}` };
}

/** Waits until the connection holds `count` sales documents, none pending. */
export function salesDocumentsDrained(edge: EdgeHost, store: SeededStore, id: string, count: number, timeoutMs = 30_000): Promise<ErpSalesDocumentList["documents"]> {
  return waitFor(`ERP connection ${id} to send ${count} sales documents`, timeoutMs, async () => {
    const { documents } = await edgeCall<ErpSalesDocumentList>(edge.url, "GET", `/v1/erp/connections/${id}/sales-documents`, { key: store.adminKey });
    return documents.length >= count && documents.every((document) => document.state !== "pending") ? documents : undefined;
  });
}
