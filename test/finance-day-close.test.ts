import { runDurableObjectAlarm, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { financeLedger } from "../durable/objects.ts";
import { businessDate, closeOf } from "../shared/business-day.ts";
import { ManualClock } from "../shared/clock.ts";
import type { Journal, JournalPage, LineSourcesPage, SourceTrace } from "../shared/schemas/finance.ts";
import { call, setStock } from "./api.ts";
import { useClock } from "./clock.ts";
import { eventually } from "./event-fixtures.ts";
import { financeSettings, lineTotal, parseCsv, sides } from "./finance-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";
import { catalogedSku, createStore, handedToLedger, numbered, sendBatch, txId } from "./store-fixtures.ts";

quietAccessLog();

const settings = financeSettings();

function posSale(transactionId: string, sku: string, occurredAt: string, tenders: { type: string; amount: number }[], type: "sale" | "return" = "sale") {
  return { transactionId, terminalId: "T01", type, lines: [{ sku, qty: type === "sale" ? 2 : 1, unitPrice: 1999, tax: type === "sale" ? 320 : 160 }], tenders, occurredAt };
}

async function journalsOf(adminKey: string, date: string): Promise<Journal[]> {
  const page = await call<JournalPage>("GET", `/v1/finance/journals?date=${date}`, { key: adminKey });
  expect(page.status).toBe(200);
  return Promise.all(page.body.journals.map(async ({ id }) => (await call<Journal>("GET", `/v1/finance/journals/${id}`, { key: adminKey })).body));
}

async function csvOf(adminKey: string, path: string): Promise<{ status: number; type: string | null; rows: string[][] }> {
  const response = await SELF.fetch(`https://edge.test${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type"), rows: parseCsv(text) };
}

describe("a business day from the till and the web shop to the general ledger", () => {
  it("closes at the cut-off into balanced journals per location × channel, traceable both ways, exported as NetSuite CSV; a late POS transaction lands in an adjustment journal", async () => {
    const store = await createStore();
    const { tenant, storeKey } = store;
    const ledger = financeLedger(env, tenant.id);
    const clock = new ManualClock(Date.now());
    await useClock(ledger, clock);
    expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: settings })).status).toBe(200);

    // At the till of store-a: a sale paid by card and cash, and a return refunded to the card.
    const sku = await catalogedSku(store, 10);
    const now = new Date().toISOString();
    const date = businessDate(Date.parse(now), settings.timeZone);
    const saleId = txId("T01-sale");
    const returnId = txId("T01-return");
    const sale = posSale(saleId, sku, now, [{ type: "card", amount: 3000 }, { type: "cash", amount: 2 * 1999 + 320 - 3000 }]);
    const refund = posSale(returnId, sku, now, [{ type: "card", amount: -(1999 + 160) }], "return");
    const batch = await sendBatch(storeKey, "store-a", numbered(1, [sale, refund]));
    expect(batch.body.results.map((result) => result.status)).toEqual(["accepted", "accepted"]);
    await handedToLedger(tenant.id, "store-a");

    // On the web shop: 3 units shipped from the warehouse, 5.00 shipping.
    await setStock(tenant, sku, "wh-1", 5);
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 3]], { shipping: 500 }));
    expect(order.body.status).toBe("reserved");
    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 3 }] })).status).toBe(200);
    const orderTrace = await eventually(async () => {
      const trace = await call<SourceTrace>("GET", `/v1/finance/sources/order/${order.body.id}`, { key: tenant.adminKey });
      expect(trace.status).toBe(200);
      return trace.body.contributions.length > 0 ? trace.body : undefined;
    });
    expect(orderTrace!.contributions[0]).toMatchObject({ externalId: `web:${order.body.externalId}`, location: "wh-1", channel: "web", journalId: null });

    // Nothing is posted before the cut-off.
    expect(await journalsOf(tenant.adminKey, date)).toEqual([]);

    clock.advance(closeOf(date, settings.timeZone, settings.cutoff) - clock.now() + 60_000);
    await runDurableObjectAlarm(ledger);
    const journals = await journalsOf(tenant.adminKey, date);
    expect(journals.map((journal) => journal.id).sort()).toEqual([`JE-${tenant.id}-${date}-store-a-pos-0`, `JE-${tenant.id}-${date}-wh-1-web-0`]);
    for (const journal of journals) {
      expect(sides(journal).debit).toBe(sides(journal).credit);
      expect(journal).toMatchObject({ sequence: 0, adjustment: false, totalDebit: sides(journal).debit, totalCredit: sides(journal).credit });
    }
    const pos = journals.find((journal) => journal.channel === "pos")!;
    expect(pos.sourceCount).toBe(2);
    expect(lineTotal(pos, "gross_sales")).toBe(2 * 1999);
    expect(lineTotal(pos, "returns")).toBe(-1999);
    expect(lineTotal(pos, "tax_payable", "tax")).toBe(320 - 160);
    expect(lineTotal(pos, "tender_clearing", "card")).toBe(-(3000 - 2159));
    expect(lineTotal(pos, "tender_clearing", "cash")).toBe(-(2 * 1999 + 320 - 3000));
    expect(pos.lines.find((line) => line.kind === "gross_sales")).toMatchObject({ account: "4000", credit: 3998, debit: 0 });
    const web = journals.find((journal) => journal.channel === "web")!;
    expect(web.lines.map(({ kind, account, debit, credit }) => ({ kind, account, debit, credit }))).toEqual([
      { kind: "gross_sales", account: "4000", debit: 0, credit: 3000 },
      { kind: "shipping_income", account: "4200", debit: 0, credit: 500 },
      { kind: "channel_clearing", account: "1210", debit: 3500, credit: 0 },
    ]);

    // From a journal line to its sources, and from a source to its journal lines.
    const grossLine = pos.lines.find((line) => line.kind === "gross_sales")!;
    const sources = await call<LineSourcesPage>("GET", `/v1/finance/journals/${pos.id}/lines/${grossLine.line}/sources`, { key: tenant.adminKey });
    expect(sources.body).toEqual({ sources: [{ source: `pos:store-a:${saleId}`, kind: "pos", sourceId: saleId, externalId: saleId, amount: 3998 }], nextCursor: null });
    const cardLine = pos.lines.find((line) => line.detail === "card")!;
    const cardSources = await call<LineSourcesPage>("GET", `/v1/finance/journals/${pos.id}/lines/${cardLine.line}/sources`, { key: tenant.adminKey });
    expect(cardSources.body.sources.map((source) => [source.sourceId, source.amount])).toEqual([[saleId, -3000], [returnId, 2159]]);
    const saleTrace = await call<SourceTrace>("GET", `/v1/finance/sources/pos/${saleId}`, { key: tenant.adminKey });
    expect(saleTrace.body.contributions).toHaveLength(1);
    expect(saleTrace.body.contributions[0]).toMatchObject({ journalId: pos.id, date, location: "store-a", channel: "pos" });
    expect(saleTrace.body.contributions[0]!.lines.find((line) => line.kind === "gross_sales")).toEqual({ kind: "gross_sales", detail: null, line: grossLine.line, amount: 3998 });
    const webTrace = await call<SourceTrace>("GET", `/v1/finance/sources/order/${order.body.id}`, { key: tenant.adminKey });
    expect(webTrace.body.contributions[0]).toMatchObject({ journalId: web.id, externalId: `web:${order.body.externalId}` });

    // The file connection: NetSuite's journal import layout, the External ID on every row.
    const file = await csvOf(tenant.adminKey, `/v1/finance/journals/${pos.id}/export?format=netsuite-csv`);
    expect(file.status).toBe(200);
    expect(file.type).toContain("text/csv");
    expect(file.rows[0]).toEqual(["External ID", "Date", "Currency", "Memo", "Line: Account", "Line: Debit", "Line: Credit", "Line: Memo", "Line: Location", "Line: Department", "Line: Class"]);
    const lineRows = file.rows.slice(1);
    expect(lineRows).toHaveLength(pos.lines.length);
    for (const row of lineRows) expect(row[0]).toBe(pos.id);
    expect(lineRows.map((row) => [row[8], row[9]])).toEqual(lineRows.map(() => ["NS-LOC-1", "Retail"]));
    const cents = (column: number) => lineRows.reduce((total, row) => total + (row[column] ? Math.round(Number(row[column]) * 100) : 0), 0);
    expect(cents(5)).toBe(cents(6));
    expect(lineRows.find((row) => row[4] === "4000")?.[6]).toBe("39.98");

    // A store offline since the sale day: its transaction arrives after the cut-off, into an adjustment journal.
    const lateId = txId("T01-late");
    const late = posSale(lateId, sku, now, [{ type: "card", amount: 2 * 1999 + 320 }]);
    expect((await sendBatch(storeKey, "store-a", numbered(3, [late]))).body.results[0]!.status).toBe("accepted");
    await handedToLedger(tenant.id, "store-a");
    await runDurableObjectAlarm(ledger);
    const after = await journalsOf(tenant.adminKey, date);
    expect(after.filter((journal) => journal.id !== `JE-${tenant.id}-${date}-store-a-pos-1`)).toEqual(journals);
    const adjustment = after.find((journal) => journal.id === `JE-${tenant.id}-${date}-store-a-pos-1`)!;
    expect(adjustment).toMatchObject({ sequence: 1, adjustment: true, sourceCount: 1, location: "store-a", channel: "pos" });
    expect(lineTotal(adjustment, "gross_sales")).toBe(3998);
    expect(sides(adjustment).debit).toBe(sides(adjustment).credit);

    // Closing again posts nothing; the day's file holds all three journals.
    await runDurableObjectAlarm(ledger);
    expect(await journalsOf(tenant.adminKey, date)).toEqual(after);
    const day = await csvOf(tenant.adminKey, `/v1/finance/export?date=${date}`);
    expect(new Set(day.rows.slice(1).map((row) => row[0]))).toEqual(new Set(after.map((journal) => journal.id)));
    expect(day.rows.length - 1).toBe(after.reduce((total, journal) => total + journal.lines.length, 0));
  });
});
