import { currencyExponent } from "./money.ts";
import type { LoyaltySettings } from "./schemas/loyalty.ts";
import type { OrderLine } from "./schemas/orders.ts";
import type { PosTransaction } from "./schemas/store-transactions.ts";

/** What applying one POS transaction does to its customer's points, each under a key derived from the transaction. */
export type PosLoyaltyAction =
  | { kind: "redeem"; points: number; holdId?: string; sourceKey: string }
  | { kind: "earn"; points: number; sourceKey: string }
  /** Undo `part / whole` of the points the earning under `earningKey` gave. */
  | { kind: "reverseEarning"; earningKey: string; part: number; whole: number; sourceKey: string }
  /** Give back `part / whole` of the points the redemption under `redemptionKey` spent. */
  | { kind: "reverseRedemption"; redemptionKey: string; part: number; whole: number; sourceKey: string };

type Line = PosTransaction["lines"][number];

/** What lines paid, in minor units: qty × unitPrice less the discount (lines of `excludedSkus` left out when given). */
export function paidAmount(lines: readonly Line[], excludedSkus: readonly string[] = []): number {
  return lines.filter((line) => !excludedSkus.includes(line.sku)).reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount, 0);
}

/**
 * Points for `amount` minor units at `pointsPerUnit` points per major unit,
 * rounded down (a unit's last cent earns nothing extra).
 *
 * @example
 * pointsFor(12_999, "USD", 1) // 129
 * pointsFor(1_000, "JPY", 0.1) // 100
 */
export function pointsFor(amount: number, currency: string, pointsPerUnit: number): number {
  if (amount <= 0 || pointsPerUnit <= 0) return 0;
  const scale = 10 ** (currencyExponent(currency) ?? 2);
  // The rate has at most a few decimals: a tiny nudge keeps 0.1 × 10 from landing on 0.999….
  return Math.floor((amount * pointsPerUnit) / scale + 1e-9);
}

/** The source key of one effect of a store's POS transaction: a replay of the transaction derives the same key. */
export function posLoyaltyKey(location: string, transactionId: string, effect: "earn" | "redeem" | "reverse-earn" | "reverse-redeem"): string {
  return `pos:${location}:${transactionId}:${effect}`;
}

/**
 * The loyalty effects of a POS transaction of a store, and whose points
 * they move, given the sale it returns or voids when this store recorded it
 * (`original`):
 * - a sale spends what it redeems, then earns on what its lines paid
 *   (lines of excluded SKUs earn nothing);
 * - a return undoes the sale's earning in the share its lines paid of what
 *   the sale's earning lines paid, and gives back its redemption in the
 *   share of everything the sale paid; a void undoes all of both. They move
 *   the points of the sale's customer.
 * A return without a known sale changes no points (there is no earning to
 * undo at this store).
 */
export function posLoyalty(location: string, transaction: PosTransaction, original: PosTransaction | null, settings: LoyaltySettings): { customerId: string; actions: PosLoyaltyAction[] } | null {
  const key = (effect: Parameters<typeof posLoyaltyKey>[2]) => posLoyaltyKey(location, transaction.transactionId, effect);
  if (transaction.type === "sale") {
    if (transaction.customerId === undefined) return null;
    const actions: PosLoyaltyAction[] = [];
    const redeem = transaction.loyalty?.redeem;
    if (redeem) actions.push({ kind: "redeem", points: redeem.points, ...(redeem.holdId === undefined ? {} : { holdId: redeem.holdId }), sourceKey: key("redeem") });
    const points = pointsFor(paidAmount(transaction.lines, settings.excludedSkus), transaction.currency, settings.storeRates[location] ?? settings.pointsPerUnit);
    if (points > 0) actions.push({ kind: "earn", points, sourceKey: key("earn") });
    return actions.length === 0 ? null : { customerId: transaction.customerId, actions };
  }
  if (!original || original.customerId === undefined) return null;
  const originalKey = (effect: "earn" | "redeem") => posLoyaltyKey(location, original.transactionId, effect);
  const share = (paid: (lines: readonly Line[]) => number) => {
    const whole = paid(original.lines);
    return { whole, part: transaction.type === "void" ? whole : Math.min(whole, paid(transaction.lines)) };
  };
  const earning = share((lines) => paidAmount(lines, settings.excludedSkus));
  const spent = share((lines) => paidAmount(lines));
  const actions: PosLoyaltyAction[] = [];
  if (earning.part > 0) actions.push({ kind: "reverseEarning", earningKey: originalKey("earn"), ...earning, sourceKey: key("reverse-earn") });
  if (original.loyalty?.redeem && spent.part > 0) actions.push({ kind: "reverseRedemption", redemptionKey: originalKey("redeem"), ...spent, sourceKey: key("reverse-redeem") });
  return actions.length === 0 ? null : { customerId: original.customerId, actions };
}

/**
 * What `units` of an order paid, in minor units: each SKU's units carry their
 * share of its lines' qty × unitPrice less discount (rounded to the minor
 * unit); SKUs of `excludedSkus`, and units the order does not have, carry
 * nothing.
 *
 * @example
 * // 3 × 10.00 with 3.00 off, 2 units shipped: 18.00
 * orderUnitsPaid([{ sku: "A", qty: 3, unitPrice: 1000, discount: 300, tax: 0 }], [{ sku: "A", qty: 2 }]) // 1800
 */
export function orderUnitsPaid(lines: readonly Pick<OrderLine, "sku" | "qty" | "unitPrice" | "discount">[], units: readonly { sku: string; qty: number }[], excludedSkus: readonly string[] = []): number {
  let paid = 0;
  for (const { sku, qty } of units) {
    if (excludedSkus.includes(sku)) continue;
    const ofSku = lines.filter((line) => line.sku === sku);
    const ordered = ofSku.reduce((sum, line) => sum + line.qty, 0);
    if (ordered === 0) continue;
    const net = ofSku.reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount, 0);
    paid += Math.round((net * Math.min(qty, ordered)) / ordered);
  }
  return paid;
}

/**
 * The source key of an order's loyalty effect: one earning per fulfilment
 * event, one reversal per return event. All of an order's earnings share
 * the prefix `orderEarningPrefix(orderId)`, which a return reverses across.
 */
export function orderLoyaltyKey(orderId: string, effect: "earn" | "reverse-earn", eventId: string): string {
  return `order:${orderId}:${effect}:${eventId}`;
}

export function orderEarningPrefix(orderId: string): string {
  return `order:${orderId}:earn:`;
}
