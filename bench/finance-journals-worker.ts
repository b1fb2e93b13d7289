import type { ContributionInput } from "../durable/finance-contributions.ts";
import { sampleAccounts } from "../fixtures/chart-of-accounts.ts";
import { financeLedger } from "../durable/objects.ts";
import type { FinanceSettings } from "../shared/schemas/finance.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";

export { FinanceLedger } from "../durable/finance-ledger.ts";

const tenantId = "bench";
/** What the store ingest hands the ledger in one call (durable/store-ingest.ts, ledgerBatch). */
const batchSize = 200;
const channels = ["web", "amazon", "walmart"];

const settings: FinanceSettings = {
  timeZone: "America/New_York",
  cutoff: "02:00",
  salesDocumentsOn: "fulfilled",
  defaultTaxTitle: "tax",
  accounts: sampleAccounts,
  dimensions: { locations: {}, channels: {}, classes: {} },
};

/** A deterministic POS transaction: `lines` lines, mostly sales paid by card or cash, some returns and gift cards, a few short. */
function posTransaction(store: number, n: number, lines: number, occurredAt: string): PosTransaction {
  const items = Array.from({ length: lines }, (_, i) => ({ sku: `SKU-${(n * 7 + i) % 5000}`, qty: 1 + ((n + i) % 3), unitPrice: 199 + ((n * 31 + i * 17) % 9800), discount: (n + i) % 5 === 0 ? 100 : 0, tax: 50 + ((n + i) % 400) }));
  const total = items.reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount + line.tax, 0);
  const type = n % 20 === 0 ? "return" : "sale";
  const sign = type === "sale" ? 1 : -1;
  const paid = n % 97 === 0 ? total - 100 : total;
  const tenders = n % 10 === 0 ? [{ type: "gift_card" as const, amount: sign * 1000 }, { type: "card" as const, amount: sign * (paid - 1000) }] : [{ type: n % 3 === 0 ? ("cash" as const) : ("card" as const), amount: sign * paid }];
  return { transactionId: `S${store}-T${n}`, terminalId: "T01", type, currency: "USD", lines: items, tenders, occurredAt };
}

/**
 * Feeds the bench tenant's ledger one business day from inside workerd, in
 * the batches the real producers use, so the figures are the ledger's and
 * not HTTP's: /pos books a store's transactions, /orders a slice of orders
 * (each fulfilled from one store in one go), /close posts every due day.
 */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const ledger = financeLedger(env, tenantId);
    const number = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    const occurredAt = url.searchParams.get("at") ?? "2026-11-20T17:00:00.000Z";
    const started = performance.now();
    let result: unknown;
    switch (url.pathname) {
      case "/settings":
        result = await ledger.putSettings(settings);
        break;
      case "/pos": {
        const store = number("store", 1);
        const count = number("transactions", 100);
        const lines = number("lines", 4);
        let booked = 0;
        for (let start = 0; start < count; start += batchSize) {
          const batch: ContributionInput[] = [];
          for (let n = start; n < Math.min(count, start + batchSize); n++) batch.push({ kind: "pos", location: `store-${store}`, transaction: posTransaction(store, n, lines, occurredAt) });
          booked += (await ledger.contribute(batch)).booked;
        }
        result = { booked };
        break;
      }
      case "/orders": {
        const from = number("from", 0);
        const count = number("count", 100);
        const stores = number("stores", 20);
        let booked = 0;
        for (let start = from; start < from + count; start += batchSize) {
          const batch: ContributionInput[] = [];
          for (let n = start; n < Math.min(from + count, start + batchSize); n++) {
            const lines = [
              { sku: `SKU-${n % 5000}`, qty: 1 + (n % 2), unitPrice: 1500 + (n % 3000), discount: 0, tax: 120 },
              { sku: `SKU-${(n + 1) % 5000}`, qty: 1, unitPrice: 999, discount: n % 4 === 0 ? 99 : 0, tax: 80 },
            ];
            batch.push({ kind: "order", trigger: "fulfilled", eventId: `evt_${n}`, orderId: `ord_${n}`, channel: channels[n % channels.length]!, externalId: `EXT-${n}`, location: `store-${1 + (n % stores)}`, occurredAt, currency: "USD", lines, shipping: 499, units: lines.map(({ sku, qty }) => ({ sku, qty })) });
          }
          booked += (await ledger.contribute(batch)).booked;
        }
        result = { booked };
        break;
      }
      case "/close":
        result = await ledger.closeDueDays();
        break;
      case "/journals": {
        const page = await ledger.listJournals({ after: 0, limit: 500 });
        const unbalanced = page.journals.filter((journal) => journal.totalDebit !== journal.totalCredit).length;
        result = { journals: page.journals.length, unbalanced, sources: page.journals.reduce((total, journal) => total + journal.sourceCount, 0), debit: page.journals.reduce((total, journal) => total + journal.totalDebit, 0) };
        break;
      }
      default:
        return new Response(`unknown ${url.pathname}`, { status: 404 });
    }
    return Response.json({ result, ms: performance.now() - started });
  },
};
