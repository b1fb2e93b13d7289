import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { storeIngest } from "../durable/objects.ts";
import type { LedgerEntry } from "../shared/schemas/inventory.ts";
import type { StoreTransactionBatchResult } from "../shared/schemas/store-transactions.ts";
import { call, createKey, createStockedTenant, setStock, unique, type ApiResponse, type TestTenant } from "./api.ts";

/** A stocked tenant (store-a, store-b, wh-1) with a store key for each store and cataloged SKUs. */
export interface Store {
  tenant: TestTenant;
  storeKey: string;
  otherStoreKey: string;
}

export async function createStore(): Promise<Store> {
  const tenant = await createStockedTenant();
  const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
  const otherStoreKey = await createKey(tenant, { role: "store", location: "store-b" });
  return { tenant, storeKey, otherStoreKey };
}

/** A SKU in the catalog with stock at store-a. */
export async function catalogedSku(store: Store, onHand: number, barcodes: string[] = []): Promise<string> {
  const sku = unique("sku");
  const put = await call("PUT", `/v1/catalog/items/${sku}`, { key: store.tenant.adminKey, body: { name: `Item ${sku}`, barcodes, price: 1999, currency: "USD" } });
  expect(put.status).toBe(200);
  await setStock(store.tenant, sku, "store-a", onHand);
  return sku;
}

export interface Line {
  sku: string;
  qty: number;
}

/** A POS transaction as a terminal records it. */
export function posTransaction(transactionId: string, lines: Line[], type: "sale" | "return" | "void" = "sale"): Record<string, unknown> {
  return {
    transactionId,
    terminalId: "T01",
    type,
    lines: lines.map((line) => ({ ...line, unitPrice: 1999 })),
    // Paid in full: a sale whose tenders fall short raises a tender_short exception.
    tenders: [{ type: "card", amount: (type === "sale" ? 1 : -1) * lines.reduce((total, line) => total + line.qty * 1999, 0) }],
    occurredAt: "2026-11-23T19:30:00.000Z",
  };
}

export function sendBatch(key: string, location: string, envelopes: { sequence: number; transaction: unknown; traceparent?: string; recordedAt?: string }[]): Promise<ApiResponse<StoreTransactionBatchResult>> {
  return call<StoreTransactionBatchResult>("POST", `/v1/stores/${location}/transactions`, { key, body: { transactions: envelopes } });
}

/**
 * Returns once every transaction the store's ingest accepted is handed on:
 * booked in the finance ledger (`ledger_outbox`), or its customer's points
 * moved (`loyalty_outbox`). The ingest hands them over from its alarm, a
 * second after a batch; the alarm is run here rather than waited for (the
 * real one may run first, and is waited out: a row leaves its outbox only
 * once handed on).
 */
export async function handedToLedger(tenantId: string, location: string, outbox: "ledger_outbox" | "loyalty_outbox" = "ledger_outbox"): Promise<void> {
  const ingest = storeIngest(env, tenantId, location);
  const waiting = () => runInDurableObject(ingest, (_instance, state) => state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${outbox}`).one().n);
  const deadline = Date.now() + 5_000;
  for (;;) {
    await runDurableObjectAlarm(ingest);
    if ((await waiting()) === 0) return;
    if (Date.now() > deadline) throw new Error(`${location}'s accepted transactions were not handed on (${outbox}) within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Envelopes numbered from `first`, one per transaction. */
export function numbered(first: number, transactions: unknown[]): { sequence: number; transaction: unknown }[] {
  return transactions.map((transaction, index) => ({ sequence: first + index, transaction }));
}

/** A unique transaction id (ids repeat across tests otherwise; each test has its own tenant anyway). */
export function txId(label: string): string {
  return unique(label).replace(/[^A-Za-z0-9._:-]/g, "");
}

export async function onHandAt(tenant: TestTenant, sku: string, location = "store-a"): Promise<number | undefined> {
  const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
  expect(inventory.status).toBe(200);
  return (inventory.body.locations as { location: string; onHand: number }[]).find((stock) => stock.location === location)?.onHand;
}

/** The POS entries of a SKU's ledger. */
export async function posEntries(tenant: TestTenant, sku: string): Promise<LedgerEntry[]> {
  const ledger = await call<{ entries: LedgerEntry[] }>("GET", `/v1/inventory/${sku}/ledger?limit=1000`, { key: tenant.adminKey });
  expect(ledger.status).toBe(200);
  return ledger.body.entries.filter((entry) => entry.type.startsWith("pos_"));
}

export async function listExceptions(tenant: TestTenant, query = ""): Promise<Record<string, any>[]> {
  const response = await call("GET", `/v1/exceptions${query}`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body.exceptions;
}
