import { forEachLimited } from "../shared/for-each-limited.ts";
import { posLoyalty, type PosLoyaltyAction } from "../shared/loyalty-earning.ts";
import type { LoyaltySettings } from "../shared/schemas/loyalty.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { PosEffect, PosEffectResult, RedeemResult, ReverseEarningResult } from "./customer-loyalty.ts";
import type { ExceptionDraft } from "./exception-queue.ts";
import { customerDirectory, customerLoyalty, exceptionQueue } from "./objects.ts";

const day = 24 * 60 * 60 * 1000;

/** Customers whose points are moved at once in one hand-off. */
const customerConcurrency = 16;

/** An accepted POS transaction of the store, with the sale it returns or voids when the store recorded it. */
export interface LoyaltyItem {
  transaction: PosTransaction;
  original: PosTransaction | null;
}

/**
 * Applies the loyalty effects of a store's accepted POS transactions
 * (docs/decisions/0038), each under a key derived from the transaction, so
 * a hand-off that runs again after a crash or a failed call earns, spends
 * and reverses nothing twice. Each customer's effects go to its object in
 * one call and run there in the store's order (a return after its sale), in
 * one transaction; customers run side by side. What the
 * customer's points could not cover becomes a `loyalty_short` exception.
 * Answers whose points each transaction moved, and how. Throws if an object
 * could not be reached: the caller keeps the items for its alarm.
 */
export async function applyStoreLoyalty(env: Env, tenantId: string, location: string, items: LoyaltyItem[]): Promise<LoyaltyMoved[]> {
  if (items.length === 0) return [];
  const directory = customerDirectory(env, tenantId);
  const settings = await directory.getLoyaltySettings();
  const planned = items.flatMap(({ transaction, original }) => {
    const effects = posLoyalty(location, transaction, original, settings);
    return effects ? [{ transactionId: transaction.transactionId, ...effects }] : [];
  });
  if (planned.length === 0) return [];
  const customers = await directory.resolvePosCustomers([...new Set(planned.map((item) => item.customerId))]);
  const byCustomer = new Map<string, typeof planned>();
  for (const item of planned) {
    const customerId = customers[item.customerId] ?? item.customerId;
    const list = byCustomer.get(customerId) ?? [];
    list.push(item);
    byCustomer.set(customerId, list);
  }
  const drafts: ExceptionDraft[] = [];
  await forEachLimited([...byCustomer], customerConcurrency, async ([customerId, transactions]) => {
    const actions = transactions.flatMap(({ transactionId, actions }) => actions.map((action) => ({ transactionId, action })));
    // All of the customer's effects of this hand-off in one call, in the store's order (a return after its sale).
    const results = await customerLoyalty(env, tenantId, customerId).applyPosEffects(actions.map(({ transactionId, action }) => effectOf(transactionId, action, settings)));
    actions.forEach(({ transactionId, action }, index) => {
      const short = shortOf(action, results[index]!);
      if (short) drafts.push(loyaltyShort(customerId, location, transactionId, short));
    });
  });
  if (drafts.length > 0) await exceptionQueue(env, tenantId).record(drafts);
  return planned.map(({ transactionId, customerId, actions }) => ({ transactionId, customerId: customers[customerId] ?? customerId, detail: actions.map(describeAction).join(", ") }));
}

/** Whose points one transaction moved, and how (for its trace). */
export interface LoyaltyMoved {
  transactionId: string;
  customerId: string;
  detail: string;
}

function describeAction(action: PosLoyaltyAction): string {
  switch (action.kind) {
    case "earn":
      return `earn ${action.points}`;
    case "redeem":
      return `redeem ${action.points}`;
    case "reverseEarning":
      return `reverse earning ${action.part}/${action.whole}`;
    case "reverseRedemption":
      return `give back redemption ${action.part}/${action.whole}`;
  }
}

/** Whether applying the transaction may move a customer's points: a sale with a customer, or a return or void of a sale. */
export function movesPoints(body: PosTransaction): boolean {
  return body.type === "sale" ? body.customerId !== undefined : (body.returnsTransactionId ?? body.voidsTransactionId) !== undefined;
}

interface Short {
  effect: "redeem" | "reverse-earn";
  points: number;
  short: number;
}

/** The customer object's input for one effect of a POS transaction. */
function effectOf(transactionId: string, action: PosLoyaltyAction, settings: LoyaltySettings): PosEffect {
  const source = { source: "pos" as const, reference: transactionId, sourceKey: action.sourceKey };
  switch (action.kind) {
    case "earn":
      return { kind: "earn", ...source, points: action.points, lifetimeMs: settings.lifetimeDays * day };
    case "redeem":
      // The sale happened: the points it spent are taken, from its hold while that stands, else from what is there (upTo).
      return { kind: "redeem", ...source, points: action.points, ...(action.holdId === undefined ? {} : { holdId: action.holdId }), upTo: true };
    case "reverseEarning":
      return { kind: "reverseEarning", ...source, source: "return", earningKey: action.earningKey, part: action.part, whole: action.whole, allowNegative: settings.allowNegativeBalance };
    case "reverseRedemption":
      return { kind: "reverseRedemption", ...source, source: "return", redemptionKey: action.redemptionKey, part: action.part, whole: action.whole };
  }
}

/** What the customer's points could not cover of one effect, if anything; throws on an answer no effect should get. */
function shortOf(action: PosLoyaltyAction, result: PosEffectResult): Short | null {
  switch (action.kind) {
    case "earn":
      if (!result.ok) throw new Error(`earning ${action.sourceKey}: ${result.code}`);
      return null;
    case "redeem": {
      const outcome = result as RedeemResult;
      if (outcome.ok) return outcome.redemption.points < action.points ? { effect: "redeem", points: action.points, short: action.points - outcome.redemption.points } : null;
      if (outcome.code === "insufficient_points") return { effect: "redeem", points: action.points, short: action.points };
      throw new Error(`redemption ${action.sourceKey}: ${outcome.code}`);
    }
    case "reverseEarning": {
      const outcome = result as ReverseEarningResult;
      if (!outcome.ok) {
        // A sale that earned nothing has no earning to undo.
        if (outcome.code === "not_found") return null;
        throw new Error(`reversal ${action.sourceKey}: ${outcome.code}`);
      }
      return outcome.shortfall > 0 ? { effect: "reverse-earn", points: outcome.reversed + outcome.shortfall, short: outcome.shortfall } : null;
    }
    case "reverseRedemption":
      if (!result.ok) throw new Error(`reversal ${action.sourceKey}: ${result.code}`);
      return null;
  }
}

function loyaltyShort(customerId: string, location: string, transactionId: string, { effect, points, short }: Short): ExceptionDraft {
  return {
    naturalKey: `loyalty_short:${location}:${transactionId}:${effect}`,
    type: "loyalty_short",
    subject: `customer:${customerId}`,
    correlationId: transactionId,
    payload: { customerId, location, transactionId, effect, points, short },
  };
}
