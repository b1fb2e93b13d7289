import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ContributionInput } from "../durable/finance-contributions.ts";
import type { FinanceLedger } from "../durable/finance-ledger.ts";
import { financeLedger } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { orderPostings, posPostings } from "../shared/finance-postings.ts";
import { journalLines } from "../shared/journal-lines.ts";
import type { Journal } from "../shared/schemas/finance.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import { unique } from "./api.ts";
import { useClock } from "./clock.ts";
import { financeSettings, lineTotal, sides } from "./finance-fixtures.ts";

const settings = financeSettings();
const hour = 60 * 60 * 1000;

// Plain prototypes: RPC arguments must be structured-cloneable.
const posLine = fc
  .record({ sku: fc.constantFrom("A", "B", "C"), qty: fc.integer({ min: 1, max: 5 }), unitPrice: fc.integer({ min: 1, max: 20_000 }), tax: fc.integer({ min: 0, max: 3_000 }), discountPercent: fc.integer({ min: 0, max: 100 }) }, { noNullPrototype: true })
  .map(({ discountPercent, ...line }) => ({ ...line, discount: Math.floor((line.qty * line.unitPrice * discountPercent) / 100) }));

/** A POS transaction whose tenders mostly cover its total, sometimes fall short or overpay, split over cash, card and gift card. */
const posTransaction = fc
  .record(
    {
      type: fc.constantFrom("sale", "sale", "sale", "return", "void"),
      lines: fc.array(posLine, { minLength: 1, maxLength: 4 }),
      pay: fc.constantFrom("exact", "exact", "exact", "short", "over", "none"),
      split: fc.array(fc.constantFrom("cash", "card", "gift_card"), { minLength: 1, maxLength: 3 }),
      location: fc.constantFrom("store-a", "store-b"),
      // 2026-11-20 00:00 to 2026-11-21 01:59 New York time (UTC-5 in November).
      minutes: fc.integer({ min: 0, max: 26 * 60 - 1 }),
      id: fc.integer({ min: 1, max: 1_000_000_000 }),
    },
    { noNullPrototype: true },
  )
  .map(({ type, lines, pay, split, location, minutes, id }) => {
    const total = lines.reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount + line.tax, 0);
    const paid = pay === "exact" ? total : pay === "short" ? Math.floor(total / 2) : pay === "over" ? total + 500 : 0;
    const sign = type === "sale" ? 1 : -1;
    const tenders = split.map((tenderType, i) => ({ type: tenderType, amount: sign * (Math.floor(paid / split.length) + (i === 0 ? paid % split.length : 0)) }));
    const transaction: PosTransaction = {
      transactionId: `T-${id}`,
      terminalId: "T01",
      type,
      currency: "USD",
      lines,
      tenders,
      occurredAt: new Date(Date.parse("2026-11-20T05:00:00Z") + minutes * 60_000).toISOString(),
    };
    return { location, transaction };
  });

const orderArb = fc
  .record(
    {
      lines: fc.uniqueArray(fc.record({ sku: fc.constantFrom("A", "B", "C", "D"), qty: fc.integer({ min: 1, max: 7 }), unitPrice: fc.integer({ min: 1, max: 9_999 }), tax: fc.integer({ min: 0, max: 999 }), discount: fc.integer({ min: 0, max: 1 }) }, { noNullPrototype: true }), {
        minLength: 1,
        maxLength: 3,
        selector: (line) => line.sku,
      }),
      shipping: fc.integer({ min: 0, max: 1_500 }),
      // How many fulfilments it takes (each ships a slice of each line).
      parts: fc.integer({ min: 1, max: 3 }),
      channel: fc.constantFrom("web", "amazon"),
      location: fc.constantFrom("store-a", "wh-1"),
    },
    { noNullPrototype: true },
  )
  .map((order) => ({ ...order, lines: order.lines.map((line) => ({ ...line, discount: line.discount * Math.floor((line.qty * line.unitPrice) / 3) })) }));

/** Its fulfilments: part i ships units of each line in turn; together they ship every unit. */
function fulfilmentsOf(order: { lines: { sku: string; qty: number }[]; parts: number }): { sku: string; qty: number }[][] {
  return Array.from({ length: order.parts }, (_, part) =>
    order.lines.flatMap(({ sku, qty }) => {
      const share = Math.floor(qty / order.parts) + (part < qty % order.parts ? 1 : 0);
      return share > 0 ? [{ sku, qty: share }] : [];
    }),
  ).filter((units) => units.length > 0);
}

describe("every source balances on its own, so every journal balances", () => {
  it("a POS transaction's postings sum to zero whatever its tenders, and its journal lines have debits = credits", () => {
    fc.assert(
      fc.property(fc.array(posTransaction, { minLength: 1, maxLength: 30 }), (transactions) => {
        for (const { transaction } of transactions) expect(posPostings(transaction, "tax").reduce((total, posting) => total + posting.amount, 0)).toBe(0);
        const lines = journalLines(
          transactions.flatMap(({ transaction }) => posPostings(transaction, "tax").map((posting) => ({ ...posting, sourceCount: 1 }))),
          settings,
        );
        const { debit, credit } = sides({ lines });
        expect(debit).toBe(credit);
        for (const line of lines) expect(line.debit === 0 || line.credit === 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("an order split over any fulfilments books exactly its amounts, shipping once, all owed by the channel", () => {
    fc.assert(
      fc.property(orderArb, (order) => {
        const booked = new Map<string, number>();
        let gross = 0;
        let clearing = 0;
        let shipping = 0;
        for (const [index, units] of fulfilmentsOf(order).entries()) {
          const counted = units.map(({ sku, qty }) => ({ sku, before: booked.get(sku) ?? 0, now: (booked.get(sku) ?? 0) + qty }));
          for (const { sku, now } of counted) booked.set(sku, now);
          const postings = orderPostings(order.lines, counted, index === 0 ? order.shipping : 0, order.channel, "tax");
          expect(postings.reduce((total, posting) => total + posting.amount, 0)).toBe(0);
          for (const posting of postings) {
            if (posting.kind === "gross_sales") gross += posting.amount;
            if (posting.kind === "channel_clearing") clearing += posting.amount;
            if (posting.kind === "shipping_income") shipping += posting.amount;
          }
        }
        const total = order.lines.reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount + line.tax, 0);
        expect(gross).toBe(order.lines.reduce((sum, line) => sum + line.qty * line.unitPrice, 0));
        expect(shipping).toBe(order.shipping);
        expect(-clearing).toBe(total + order.shipping);
      }),
      { numRuns: 300 },
    );
  });
});

/** The expected signed line totals of one journal group, computed from the sources the plain way. */
type Expected = Map<string, Map<string, number>>;

function add(expected: Expected, group: string, line: string, amount: number): void {
  const lines = expected.get(group) ?? new Map<string, number>();
  lines.set(line, (lines.get(line) ?? 0) + amount);
  expected.set(group, lines);
}

/** New York's date of an instant in November (UTC-5), independently of the ledger's time zone code. */
function newYorkDate(iso: string): string {
  return new Date(Date.parse(iso) - 5 * hour).toISOString().slice(0, 10);
}

async function ledgerJournals(ledger: DurableObjectStub<FinanceLedger>): Promise<Journal[]> {
  const page = await ledger.listJournals({ after: 0, limit: 500 });
  return Promise.all(page.journals.map(async (summary) => {
    const found = await ledger.getJournal(summary.id);
    if (!found.ok) throw new Error(found.detail);
    return found.journal;
  }));
}

describe("a ledger's day closed by its alarm", () => {
  it("posts journals that balance and sum to the day's sales, returns, tenders and orders; resending and closing again posts nothing twice", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(posTransaction, { minLength: 1, maxLength: 25 }), fc.array(orderArb, { maxLength: 4 }), fc.integer({ min: 1, max: 7 }), async (pos, orders, batchSize) => {
        const tenantId = unique("books");
        const ledger = financeLedger(env, tenantId);
        const clock = new ManualClock(Date.parse("2026-11-21T06:00:00Z"));
        await useClock(ledger, clock);
        expect((await ledger.putSettings(settings)).ok).toBe(true);

        const inputs: ContributionInput[] = [];
        const expected: Expected = new Map();
        const seen = new Set<string>();
        for (const { location, transaction } of pos) {
          if (seen.has(transaction.transactionId)) continue;
          seen.add(transaction.transactionId);
          inputs.push({ kind: "pos", location, transaction });
          const group = `${newYorkDate(transaction.occurredAt)}/${location}/pos`;
          const gross = transaction.lines.reduce((t, l) => t + l.qty * l.unitPrice, 0);
          const discount = transaction.lines.reduce((t, l) => t + l.discount, 0);
          const tax = transaction.lines.reduce((t, l) => t + l.tax, 0);
          if (transaction.type === "sale") {
            add(expected, group, "gross_sales", gross);
            add(expected, group, "discounts", -discount);
            add(expected, group, "tax_payable:tax", tax);
          } else if (transaction.type === "return") {
            add(expected, group, "returns", -(gross - discount));
            add(expected, group, "tax_payable:tax", -tax);
          } else {
            add(expected, group, "gross_sales", -gross);
            add(expected, group, "discounts", discount);
            add(expected, group, "tax_payable:tax", -tax);
          }
          for (const tender of transaction.tenders) add(expected, group, tender.type === "gift_card" ? "gift_card_liability" : `tender_clearing:${tender.type}`, -tender.amount);
          const total = (transaction.type === "sale" ? 1 : -1) * (gross - discount + tax);
          add(expected, group, "over_short", -(total - transaction.tenders.reduce((t, tender) => t + tender.amount, 0)));
        }
        for (const [n, order] of orders.entries()) {
          const orderId = `ord_${n}`;
          const group = `2026-11-20/${order.location}/${order.channel}`;
          for (const [part, units] of fulfilmentsOf(order).entries()) {
            inputs.push({
              kind: "order",
              trigger: "fulfilled",
              eventId: `evt_${n}_${part}`,
              orderId,
              channel: order.channel,
              externalId: `EXT-${n}`,
              location: order.location,
              occurredAt: `2026-11-20T${String(15 + part).padStart(2, "0")}:00:00.000Z`,
              currency: "USD",
              lines: order.lines,
              shipping: order.shipping,
              units,
            });
          }
          const gross = order.lines.reduce((t, l) => t + l.qty * l.unitPrice, 0);
          const discount = order.lines.reduce((t, l) => t + l.discount, 0);
          const tax = order.lines.reduce((t, l) => t + l.tax, 0);
          add(expected, group, "gross_sales", gross);
          add(expected, group, "discounts", -discount);
          add(expected, group, "tax_payable:tax", tax);
          add(expected, group, "shipping_income", order.shipping);
          add(expected, group, `channel_clearing:${order.channel}`, -(gross - discount + tax + order.shipping));
        }

        // Everything arrives in batches, and every batch is sent twice (a lost answer, a retry).
        for (let start = 0; start < inputs.length; start += batchSize) {
          const batch = inputs.slice(start, start + batchSize);
          await ledger.contribute(batch);
          expect((await ledger.contribute(batch)).booked).toBe(0);
        }
        expect(await ledger.listJournals({ after: 0, limit: 10 })).toEqual({ journals: [], nextCursor: null });

        clock.advance(26 * hour);
        await runDurableObjectAlarm(ledger);
        const journals = await ledgerJournals(ledger);

        for (const journal of journals) {
          const { debit, credit } = sides(journal);
          expect(debit).toBe(credit);
          expect(journal.totalDebit).toBe(debit);
          expect(journal.sequence).toBe(0);
        }
        const groups = new Map(journals.map((journal) => [`${journal.date}/${journal.location}/${journal.channel}`, journal]));
        for (const [group, lines] of expected) {
          const nonZero = [...lines].filter(([, amount]) => amount !== 0);
          if (nonZero.length === 0) continue;
          const journal = groups.get(group);
          expect(journal, group).toBeDefined();
          for (const [line, amount] of nonZero) {
            const [kind, detail] = line.split(":") as [Journal["lines"][number]["kind"], string | undefined];
            expect(lineTotal(journal!, kind, detail), `${group} ${line}`).toBe(amount);
          }
        }

        // Everything again, and the alarm again: the books do not move.
        await ledger.contribute(inputs);
        await runInDurableObject(ledger, (instance: FinanceLedger) => instance.closeDueDays());
        await runDurableObjectAlarm(ledger);
        expect(await ledgerJournals(ledger)).toEqual(journals);
      }),
      { numRuns: 15 },
    );
  });
});
