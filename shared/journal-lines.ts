import { accountOf } from "./finance-settings.ts";
import type { Posting } from "./finance-postings.ts";
import { JournalLineKind, type FinanceSettings, type JournalLine } from "./schemas/finance.ts";

/** A line's postings added up over a journal's sources. */
export interface LineTotal extends Posting {
  sourceCount: number;
}

const memos: Record<JournalLineKind, string> = {
  gross_sales: "Gross sales",
  discounts: "Discounts",
  returns: "Returns and refunds",
  shipping_income: "Shipping income",
  tax_payable: "Tax payable",
  gift_card_liability: "Gift card liability",
  tender_clearing: "Tender clearing",
  channel_clearing: "Channel clearing",
  over_short: "Over/short (tenders did not match the total)",
  fees: "Fees",
  bank: "Bank (payout deposits)",
  reserves: "Reserves held by the provider",
  settlement_adjustments: "Settlement adjustments",
  settlement_suspense: "Settlement suspense (unmatched or unexplained payout amounts)",
};

const kindOrder = JournalLineKind.options;

/**
 * A journal's lines from its line totals: one line per kind and detail, in
 * a fixed order, a credit when the total is positive and a debit when it is
 * negative, each with its account under `settings`. Throws if debits and
 * credits differ: every source balances on its own, so that would be a bug,
 * and an unbalanced journal must never be posted.
 *
 * @example
 * journalLines([{ kind: "gross_sales", detail: null, amount: 1000, sourceCount: 1 }, { kind: "tender_clearing", detail: "card", amount: -1000, sourceCount: 1 }], settings)
 * // [{ line: 1, kind: "gross_sales", account: "4000", debit: 0, credit: 1000, … }, { line: 2, kind: "tender_clearing", detail: "card", debit: 1000, credit: 0, … }]
 */
export function journalLines(totals: LineTotal[], settings: FinanceSettings): JournalLine[] {
  const sorted = totals
    .filter((total) => total.amount !== 0)
    .sort((a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || (a.detail ?? "").localeCompare(b.detail ?? ""));
  const lines = sorted.map((total, index) => ({
    line: index + 1,
    kind: total.kind,
    detail: total.detail,
    account: accountOf(settings, total),
    debit: total.amount < 0 ? -total.amount : 0,
    credit: total.amount > 0 ? total.amount : 0,
    memo: total.detail === null ? memos[total.kind] : `${memos[total.kind]}: ${total.detail}`,
    sourceCount: total.sourceCount,
  }));
  const { debit, credit } = totalsOf(lines);
  if (debit !== credit) throw new Error(`journal would not balance: debits ${debit}, credits ${credit}`);
  return lines;
}

export function totalsOf(lines: Pick<JournalLine, "debit" | "credit">[]): { debit: number; credit: number } {
  let debit = 0;
  let credit = 0;
  for (const line of lines) {
    debit += line.debit;
    credit += line.credit;
  }
  return { debit, credit };
}

/**
 * A journal's external id, the same whenever it is built again, so posting
 * it twice to an ERP (upsert by external id) cannot make two.
 *
 * @example
 * journalIdOf("acme", "2026-11-23", "store-a", "pos", 0) // "JE-acme-2026-11-23-store-a-pos-0"
 */
export function journalIdOf(tenantId: string, date: string, location: string, channel: string, sequence: number): string {
  return `JE-${tenantId}-${date}-${location}-${channel}-${sequence}`;
}
