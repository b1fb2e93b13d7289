import { proRata } from "./money.ts";
import type { JournalLineKind } from "./schemas/finance.ts";
import type { OrderLine } from "./schemas/orders.ts";
import type { PosTransaction } from "./schemas/store-transactions.ts";

/**
 * What one source puts on one journal line: positive is a credit, negative
 * a debit, in minor units. Every source's postings sum to zero, so every
 * journal, which only adds sources up, balances.
 */
export interface Posting {
  kind: JournalLineKind;
  /** The tax title, tender type or channel; null for the other kinds. */
  detail: string | null;
  amount: number;
}

/** The name of a journal line: its kind and detail. */
export function lineKeyOf(posting: Pick<Posting, "kind" | "detail">): string {
  return posting.detail === null ? posting.kind : `${posting.kind}:${posting.detail}`;
}

/** Adds postings of the same line together and drops those that come to zero. */
export function netted(postings: Posting[]): Posting[] {
  const byLine = new Map<string, Posting>();
  for (const posting of postings) {
    const key = lineKeyOf(posting);
    const line = byLine.get(key);
    if (line) line.amount += posting.amount;
    else byLine.set(key, { ...posting });
  }
  return [...byLine.values()].filter((posting) => posting.amount !== 0);
}

/**
 * A POS transaction's postings.
 * - sale: credit gross sales (qty × unitPrice), debit discounts, credit tax payable;
 * - return: debit returns (net of discount), debit tax payable;
 * - void: the sale's lines reversed (debit gross sales, credit discounts, debit tax);
 * - each tender: debit its clearing account (a gift card: the gift-card liability)
 *   by its amount, which is negative (a credit) for money given back;
 * - whatever the tenders do not cover, or cover twice, goes to over/short, so the
 *   transaction balances anyway (the store's `tender_short` exception says why).
 */
export function posPostings(transaction: Pick<PosTransaction, "type" | "lines" | "tenders">, taxTitle: string): Posting[] {
  let gross = 0;
  let discount = 0;
  let tax = 0;
  for (const line of transaction.lines) {
    gross += line.qty * line.unitPrice;
    discount += line.discount;
    tax += line.tax;
  }
  const postings: Posting[] = [];
  if (transaction.type === "sale") {
    postings.push({ kind: "gross_sales", detail: null, amount: gross }, { kind: "discounts", detail: null, amount: -discount }, { kind: "tax_payable", detail: taxTitle, amount: tax });
  } else if (transaction.type === "return") {
    postings.push({ kind: "returns", detail: null, amount: -(gross - discount) }, { kind: "tax_payable", detail: taxTitle, amount: -tax });
  } else {
    postings.push({ kind: "gross_sales", detail: null, amount: -gross }, { kind: "discounts", detail: null, amount: discount }, { kind: "tax_payable", detail: taxTitle, amount: -tax });
  }
  for (const tender of transaction.tenders) {
    postings.push(tender.type === "gift_card" ? { kind: "gift_card_liability", detail: null, amount: -tender.amount } : { kind: "tender_clearing", detail: tender.type, amount: -tender.amount });
  }
  const unbalanced = postings.reduce((total, posting) => total + posting.amount, 0);
  postings.push({ kind: "over_short", detail: null, amount: -unbalanced });
  return netted(postings);
}

/** Units of an order's SKU counted into the books before, and now. */
export interface UnitsCounted {
  sku: string;
  before: number;
  now: number;
}

/**
 * The postings of `units` of an order becoming sales: per line, the share
 * of its gross, discount and tax that the units counted so far carry less
 * what earlier units carried (floor(amount × countedSoFar / ordered), exact
 * integers, so the whole order comes to its amounts to the unit whichever
 * way it is split); the shipping with the first of them; all owed by the
 * channel's clearing account until the channel pays out.
 */
export function orderPostings(lines: Pick<OrderLine, "sku" | "qty" | "unitPrice" | "discount" | "tax">[], units: UnitsCounted[], shipping: number, channel: string, taxTitle: string): Posting[] {
  let gross = 0;
  let discount = 0;
  let tax = 0;
  for (const share of orderLineShares(lines, units)) {
    gross += share.gross;
    discount += share.discount;
    tax += share.tax;
  }
  return netted([
    { kind: "gross_sales", detail: null, amount: gross },
    { kind: "discounts", detail: null, amount: -discount },
    { kind: "tax_payable", detail: taxTitle, amount: tax },
    { kind: "shipping_income", detail: null, amount: shipping },
    { kind: "channel_clearing", detail: channel, amount: -(gross - discount + tax + shipping) },
  ]);
}

/** What one order line's counted units carry: the units, the line's unit price, and their share of its gross, discount and tax. */
export interface OrderLineShare {
  sku: string;
  qty: number;
  unitPrice: number;
  gross: number;
  discount: number;
  tax: number;
}

/**
 * Per SKU counted, the share of its line's gross, discount and tax that the
 * units counted so far carry less what earlier units carried
 * (floor(amount × countedSoFar / ordered)): the amounts a sales document of
 * these units carries, and what orderPostings sums.
 */
export function orderLineShares(lines: Pick<OrderLine, "sku" | "qty" | "unitPrice" | "discount" | "tax">[], units: UnitsCounted[]): OrderLineShare[] {
  const shares: OrderLineShare[] = [];
  for (const { sku, before, now } of units) {
    const line = lines.find((candidate) => candidate.sku === sku);
    if (!line) continue;
    const share = (amount: number) => proRata(amount, now, line.qty) - proRata(amount, before, line.qty);
    shares.push({ sku, qty: now - before, unitPrice: line.unitPrice, gross: share(line.qty * line.unitPrice), discount: share(line.discount), tax: share(line.tax) });
  }
  return shares;
}

/** A refund of a channel order: debit returns, credit what the channel owes (it pays the customer back). */
export function refundPostings(amount: number, channel: string): Posting[] {
  return netted([
    { kind: "returns", detail: null, amount: -amount },
    { kind: "channel_clearing", detail: channel, amount },
  ]);
}
